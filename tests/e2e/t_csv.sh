#!/bin/bash
# clrheap objects --type T --csv, and the seed's last step: its visits
# replayed into SQL with Debian's sqlite3.
#  1. the visits dumps (the seed's 422,813 visits too, where make check made
#     it): the CSV imported with sqlite3's .import --csv holds the truth's
#     visits row for row, every field (an absent option an empty cell);
#  2. on the zoo and colls dumps, for every type of the app's own: the
#     header is $addr then the JSON's leaves by dotted name, and sqlite3's
#     import gives back every leaf of each object's JSON (strings exact,
#     numbers as written, an array as its JSON);
#  3. RFC 4180: CRLF line ends, one header line, a row per object;
#  4. --csv with --all, or of a type with no objects, fails with one line;
#  5. types/<Type>/instances.csv, through the mount (where FUSE works) and
#     `clrheap cat`, is byte for byte what objects --csv writes, for the
#     visits, the seed's included, and every type of the zoo's own; read
#     twice through one open file (a reader going back), the same again.
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
e2e_tmp_mount
if ! command -v sqlite3 >/dev/null 2>&1; then
	bad "sqlite3 is missing (contrib/deps.sh test installs it)"
	e2e_done
fi
VISIT='Bugfree.Spo.Analytics.Cli.Domain+Visit'

# Numbers outside strings become "#num#<text>" strings, so jq keeps them
# exact.
numq() {
	perl -pe 's/("(?:[^"\\]++|\\.)*+")|(-?\d[\d.eE+-]*)/defined $1 ? $1 : "\"#num#$2\""/ge'
}
# A JSON document's leaves as csv.h names them: {"a.b": "text"}, strings
# as they are, numbers as written, arrays as their JSON (numbers exact
# only when no numq ran), null left out, $type left out at the top.
# sqlite3 ends a text at a NUL character: cells holding one are left out.
FLAT='def leaf: if type == "string" then (if startswith("#num#") then .[5:] else . end)
		elif type == "array" then tojson else tojson end;
	def flat($pre): [to_entries[] | select($pre != "" or .key != "$type") |
		(if $pre == "" then .key else $pre + "." + .key end) as $k |
		if (.value | type) == "object" and (.value | has("$string") | not) then .value | flat($k)
		elif (.value | type) == "object" then {($k): .value["$string"]}
		elif .value == null then {}
		elif (.value | type) == "string" and (.value | contains("\u0000")) then {}
		else {($k): (.value | leaf)} end] | add // {};'

# sqlite3's rows of the CSV at $1 (table t), empty cells left out, one
# sorted object a line, by $addr.
sql_rows() {
	rm -f "$tmp/db"
	sqlite3 "$tmp/db" ".import --csv $1 t" || return 1
	sqlite3 -json "$tmp/db" 'SELECT * FROM t' | jq -c -S --slurpfile nul "$2" '.[] |
		with_entries(select(.value != "" and (.key as $k | $nul[0] | index($k) | not)))' |
		LC_ALL=C sort
}

# 1. the visits against their truth, compared inside sqlite3: the truth's
# lines as a table of JSON documents, joined to the CSV's rows by $addr;
# every column of each row equals the document's field as text (an absent
# option, null, an empty cell)
for d in $(e2e_dumps) $BUILD/seed/visits.heap.dmp; do
	[ -f "$d" ] || continue
	t=$(dirname "$d")/$(basename "$d" | sed 's/\..*//').truth.jsonl
	[ -f "$t" ] || continue
	name=$(basename "$d")
	if ! "$CLRHEAP" objects "$d" --type "$VISIT" --csv >"$tmp/v.csv" 2>"$tmp/err"; then
		bad "$name: objects --csv failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	n=$(wc -l <"$t")
	check "$name: a header and $n rows, CRLF ends" test "$(grep -c $'\r$' "$tmp/v.csv")" = $((n + 1))
	cols=$(head -n1 "$tmp/v.csv" | tr -d '\r')
	check "$name: the header is \$addr then the record's fields" \
		test "$cols" = "$(head -n1 "$t" | jq -r 'keys_unsorted - ["$type"] | join(",")')"
	rm -f "$tmp/db"
	tr '\n' '\036' <"$t" >"$tmp/truth.asc"
	diffs=$(printf '%s' "$cols" | tr ',' '\n' | awk '{ printf " + sum(v.\"%s\" IS NOT coalesce(CAST(json_extract(t.j, '"'"'$.\"%s\"'"'"') AS TEXT), '"'"''"'"'))", $0, $0 }')
	got=$(sqlite3 "$tmp/db" ".import --csv $tmp/v.csv visits" "CREATE TABLE truth(j TEXT)" \
		".import --ascii $tmp/truth.asc truth" \
		"SELECT (SELECT count(*) FROM visits), count(*), 0 $diffs FROM truth t
		 JOIN visits v ON v.\"\$addr\" = json_extract(t.j, '$.\"\$addr\"')" 2>&1)
	check "$name: sqlite3 holds the truth's $n visits row for row (rows, joined, cells differing: $got)" \
		test "$got" = "$n|$n|0"
	got=$(sqlite3 "$tmp/db" 'SELECT count(*), min(Timestamp) FROM visits')
	want="$n|$(jq -r .Timestamp "$t" | LC_ALL=C sort | head -n1)"
	check "$name: SELECT count(*), min(Timestamp) FROM visits gives $want" test "$got" = "$want"
done

# 2. every leaf of the fixture apps' own types, through sqlite3
for spec in zoo.heap.dmp:Zoo. colls.heap.dmp:Colls.; do
	d=$BUILD/dumps/${spec%%:*} ns=${spec#*:}
	[ -f "$d" ] || continue
	types=0 rows=0 same=0
	while IFS= read -r ty; do
		"$CLRHEAP" objects "$d" --type "$ty" --csv >"$tmp/t.csv" 2>"$tmp/err" ||
			{ bad "$(basename "$d"): objects --type $ty --csv failed: $(head -c 200 "$tmp/err")"; continue; }
		"$CLRHEAP" objects "$d" --type "$ty" >"$tmp/t.jsonl"
		types=$((types + 1))
		rows=$((rows + $(wc -l <"$tmp/t.jsonl")))
		# the columns where some object's string holds a NUL
		numq <"$tmp/t.jsonl" | jq -s -c 'def nulkeys($pre): [to_entries[] |
			(if $pre == "" then .key else $pre + "." + .key end) as $k |
			if (.value | type) == "object" then .value | nulkeys($k)
			elif (.value | type) == "string" and (.value | contains("\u0000")) then [$k]
			else [] end] | add // []; [.[] | nulkeys("")] | add // [] | unique' >"$tmp/nul"
		# arrays are compared as JSON values, the rest as text
		sql_rows "$tmp/t.csv" "$tmp/nul" | jq -c -S 'with_entries(.value |= (if startswith("[") then
			(fromjson? // .) else . end))' | LC_ALL=C sort >"$tmp/got"
		numq <"$tmp/t.jsonl" | jq -c -S "$FLAT flat(\"\") | with_entries(select(.value != \"\"))" |
			jq -c -S 'with_entries(.value |= (if startswith("[") then (fromjson? // .) else . end))' |
			LC_ALL=C sort >"$tmp/want.num"
		# arrays hold numbers numq turned into strings: take them from
		# the JSON unquoted instead
		jq -c -S "$FLAT flat(\"\") | with_entries(select(.value != \"\"))" <"$tmp/t.jsonl" |
			jq -c -S 'with_entries(.value |= (if startswith("[") then (fromjson? // .) else . end))' |
			LC_ALL=C sort >"$tmp/want.raw"
		if jq -n -e --slurpfile g "$tmp/got" --slurpfile n "$tmp/want.num" --slurpfile r "$tmp/want.raw" '
			[range($g | length)] | all(. as $i | $g[$i] | to_entries |
				all(.key as $k | .value as $v |
					if ($v | type) == "array" then $v == $r[$i][$k] else $v == $n[$i][$k] end)) and
			($g | length) == ($n | length) and
			([$g[] | keys] == [$n[] | keys])' >/dev/null 2>&1; then
			same=$((same + 1))
		else
			bad "$(basename "$d"): $ty: sqlite3's rows differ from the JSON"
			diff "$tmp/got" "$tmp/want.num" | head -6 | sed 's/^/    /' >&2
		fi
	done < <("$CLRHEAP" stat "$d" | awk -F'\t' -v ns="$ns" 'index($4, ns) == 1 && $4 !~ /\[/ { print $4 }' |
		LC_ALL=C sort -u)
	check "$(basename "$d"): the types of ${ns%.} read back from sqlite3 ($same of $types types, $rows rows)" \
		test "$same" = "$types" -a "$types" -gt 0
done

# 4. what --csv refuses
d=$BUILD/dumps/zoo.heap.dmp
"$CLRHEAP" objects "$d" --all --csv >/dev/null 2>"$tmp/err"
check "--csv with --all is a usage error (exit 2, the reason first)" \
	test $? = 2 -a "$(head -n1 "$tmp/err")" = "clrheap: objects: --csv is for one --type NAME, not --all"
"$CLRHEAP" objects "$d" --type No.Such.Type --csv >"$tmp/out" 2>"$tmp/err"
check "--csv of a type with no objects fails with one line and no output" \
	test $? = 1 -a "$(wc -l <"$tmp/err")" = 1 -a ! -s "$tmp/out"
# 5. instances.csv in the tree: the mount's and the CLI's
tree_csv() { # dump type...
	local d=$1 name ty same=0 n=0 mounted=0
	shift
	name=$(basename "$d")
	if [ -e /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
		mkdir -p "$m"
		if "$MOUNT" "$d" "$m" 2>"$tmp/merr"; then mounted=1
		else bad "$name: mount failed: $(head -c 300 "$tmp/merr")"; fi
	fi
	for ty in "$@"; do
		n=$((n + 1))
		"$CLRHEAP" objects "$d" --type "$ty" --csv >"$tmp/want.csv" 2>/dev/null || continue
		"$CLRHEAP" cat "$d" "types/$ty/instances.csv" >"$tmp/cat.csv" 2>/dev/null
		cmp -s "$tmp/want.csv" "$tmp/cat.csv" || { echo "  $name: clrheap cat of $ty's instances.csv differs" >&2; continue; }
		if [ $mounted = 1 ]; then
			# (through a pipe: cmp -s takes a size of 0, a streamed file's,
			# for a difference)
			cat "$m/types/$ty/instances.csv" | cmp -s "$tmp/want.csv" - ||
				{ echo "  $name: the mount's $ty/instances.csv differs" >&2; continue; }
			# one open file read to the end, then again from the start
			exec 3<"$m/types/$ty/instances.csv"
			cat <&3 >"$tmp/r1"
			perl -e 'open(my $f, "<&=3") or die; seek($f, 0, 0); print while <$f>;' >"$tmp/r2"
			exec 3<&-
			cmp -s "$tmp/r1" "$tmp/r2" && cmp -s "$tmp/r1" "$tmp/want.csv" ||
				{ echo "  $name: $ty/instances.csv read again differs" >&2; continue; }
		fi
		same=$((same + 1))
	done
	[ $mounted = 1 ] && { fusermount3 -u "$m" 2>/dev/null || umount -l "$m"; }
	check "$name: instances.csv is objects --csv for $same of $n types$([ $mounted = 1 ] || echo ' (CLI only: no FUSE)')" \
		test "$same" = "$n" -a "$n" -gt 0
}
for d in $BUILD/dumps/visits.heap.dmp $BUILD/seed/visits.heap.dmp; do
	[ -f "$d" ] && tree_csv "$d" "$VISIT"
done
d=$BUILD/dumps/zoo.heap.dmp
if [ -f "$d" ]; then
	mapfile -t zt < <("$CLRHEAP" stat "$d" | awk -F'\t' 'index($4, "Zoo.") == 1 && $4 !~ /\[/ { print $4 }' | LC_ALL=C sort -u)
	tree_csv "$d" "${zt[@]}"
fi
e2e_done

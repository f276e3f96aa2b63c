#!/bin/bash
# clrheap inspect and clrheap diff:
#  1. on every real dump each inspection runs, has its header and is sorted
#     by the bytes it wastes, largest first; `inspect DUMP` prints all six;
#  2. on the waste fixtures (waste-1, waste-2) the truth holds: the
#     duplicate strings (values, counts, the holder type, the long one cut at
#     200 units), the empty collections per type, the sparse Waste.Slot[],
#     the 25 Waste.Finalizable, the LOH and POH arrays with their roots, one
#     fragmentation row per segment; `diff waste-1 waste-2` shows the 500
#     leaked Waste.Listener as new;
#  3. where the ClrMD oracle runs: duplicate-strings' values, counts, sizes
#     and bytes wasted equal its strings-dup, fragmentation's segments its
#     segments, and on each pair of dumps diff's per-type deltas equal its
#     stat of each dump subtracted;
#  4. through the mount (where FUSE works): inspections/<name>.tsv is
#     `clrheap inspect DUMP NAME`.
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
e2e_tmp_mount
oracle_build
KINDS="duplicate-strings empty-collections sparse-arrays finalizable large-objects fragmentation"
# The header of each inspection, and the column it is sorted by.
header() {
	case $1 in
	duplicate-strings) printf 'value\tcount\tsize\twasted\tholders' ;;
	empty-collections) printf 'type\tcount\tbytes' ;;
	sparse-arrays) printf 'type\tcount\tlength\tnulls\tfill\tnull_bytes' ;;
	finalizable) printf 'type\tcount\tbytes\tready\tqueued' ;;
	large-objects) printf 'addr\tsize\theap\ttype\troot\tfirst' ;;
	fragmentation) printf 'segment\theap\tgen\tbytes\tfree\tfree_ratio\tlarge_gaps\tpinned_large_gaps\tlargest_gap\tgap_addr\tpinned_next_to_gap' ;;
	esac
}
sort_col() {
	case $1 in
	duplicate-strings) echo 4 ;; empty-collections|finalizable) echo 3 ;;
	sparse-arrays) echo 6 ;; large-objects) echo 2 ;; fragmentation) echo 5 ;;
	esac
}
# sorted_desc FILE COL: the rows after the header descend in column COL.
sorted_desc() {
	tail -n +2 "$1" | awk -F'\t' -v c="$2" 'NR > 1 && $c + 0 > prev + 0 { exit 1 } { prev = $c }'
}

# 1. every dump
dumps=$(e2e_dumps)
check "fixture dumps present" test -n "$dumps"
ran=0
for d in $dumps; do
	name=$(basename "$d")
	good=1
	for k in $KINDS; do
		if ! "$CLRHEAP" inspect "$d" "$k" >"$tmp/$k.tsv" 2>"$tmp/err"; then
			bad "$name: inspect $k failed: $(head -c 300 "$tmp/err")"
			good=0
			continue
		fi
		[ "$(head -n 1 "$tmp/$k.tsv")" = "$(header "$k")" ] || { bad "$name: $k: header"; good=0; }
		sorted_desc "$tmp/$k.tsv" "$(sort_col "$k")" || { bad "$name: $k is not sorted by column $(sort_col "$k")"; good=0; }
		awk -F'\t' -v n="$(header "$k" | awk -F'\t' '{ print NF }')" 'NF != n { exit 1 }' "$tmp/$k.tsv" ||
			{ bad "$name: $k: a row without its $(header "$k" | awk -F'\t' '{ print NF }') columns"; good=0; }
	done
	[ "$good" = 1 ] && { ok; ran=$((ran + 1)); }
	# all six in one run: each after a "# NAME.tsv" line, as alone
	"$CLRHEAP" inspect "$d" >"$tmp/all" 2>/dev/null
	for k in $KINDS; do
		awk -v k="# $k.tsv" '$0 == k { on = 1; next } /^# .*\.tsv$/ { on = 0 } on' "$tmp/all" |
			sed '${/^$/d}' >"$tmp/one"
		cmp -s "$tmp/one" "$tmp/$k.tsv" || { bad "$name: inspect DUMP's $k differs from inspect DUMP $k"; good=0; }
	done
done
echo "  all six inspections on $ran dumps: headers, columns, sorted by bytes wasted"
"$CLRHEAP" inspect "$BUILD/dumps/zoo.heap.dmp" no-such-thing >"$tmp/out" 2>"$tmp/err"
check "inspect of an unknown name is a usage error, status 2 ($?)" test $? = 2
check "and names the six" grep -q 'duplicate-strings empty-collections' "$tmp/err"
"$CLRHEAP" inspect "$BUILD/dumps/zoo.heap.dmp" duplicate-strings --limit 3 >"$tmp/out"
check "--limit 3: the header and 3 rows" test "$(wc -l <"$tmp/out")" = 4

# 2. the waste fixtures' truth
waste_truth() {
	local d=$1 t=$2 name ps v want got cut
	name=$(basename "$d")
	ps=$(jq .pointer_size "$t")
	for k in $KINDS; do "$CLRHEAP" inspect "$d" "$k" >"$tmp/$k.tsv" 2>/dev/null; done
	# duplicate strings: value (cut at 200 units, then "..."), count, holder
	local n i
	n=$(jq '.duplicates | length' "$t")
	for ((i = 0; i < n; i++)); do
		v=$(jq -r ".duplicates[$i] | .prefix + (.char * .repeat)" "$t")
		cut=$v
		[ "${#v}" -gt 200 ] && cut="${v:0:200}..."
		want=$(jq -r ".duplicates[$i] | \"\(.count)\t\(.holder) (\(.count))\"" "$t")
		got=$(awk -F'\t' -v v="$cut" '$1 == v { print $2 "\t" $5 }' "$tmp/duplicate-strings.tsv")
		check "$name: duplicate \"${cut:0:12}…\" (${#v} units): count and holder $(tr '\t' ' ' <<<"$want") ($got)" \
			test "$got" = "$want"
		if [ "${#v}" -gt 200 ]; then
			awk -F'\t' -v v="$cut" -v ps="$ps" '$1 == v { print $3 }' "$tmp/duplicate-strings.tsv" >"$tmp/sz"
			check "$name: the long one's size is its 300 units' ($(cat "$tmp/sz"))" \
				test "$(cat "$tmp/sz")" = $((ps == 8 ? 22 + 2 * ${#v} : 14 + 2 * ${#v}))
		fi
	done
	# empty collections: per type, the truth's counts exactly
	jq -r '.empty | to_entries[] | "\(.key)\t\(.value)"' "$t" | LC_ALL=C sort >"$tmp/want"
	awk -F'\t' 'NR > 1 && $1 ~ /Waste\./ { print $1 "\t" $2 }' "$tmp/empty-collections.tsv" | LC_ALL=C sort >"$tmp/got"
	if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		ok
		echo "  $name: empty collections of $(wc -l <"$tmp/want") types, $(awk -F'\t' '{ s += $2 } END { print s }' "$tmp/want") in all, equal the truth"
	else
		bad "$name: empty collections differ from the truth (< truth, > clrheap):"; sed 's/^/    /' "$tmp/diff" >&2
	fi
	# sparse arrays: the truth's row, fill and null bytes from it
	want=$(jq -r --argjson ps "$ps" '.sparse | "\(.type)\t\(.count)\t\(.length)\t\(.nulls)\t" +
		((.length - .nulls) / .length | tostring) + "\t\(.nulls * $ps)"' "$t" |
		awk -F'\t' -v OFS='\t' '{ $5 = sprintf("%.3f", $5); print }')
	got=$(awk -F'\t' -v ty="$(jq -r .sparse.type "$t")" '$1 == ty' "$tmp/sparse-arrays.tsv")
	check "$name: sparse-arrays: $(tr '\t' ' ' <<<"$want") ($got)" test "$got" = "$want"
	# finalizable: the truth's count, all registered, none ready
	want=$(jq -r '.finalizable | "\(.type)\t\(.count)\t0\t\(.count)"' "$t")
	got=$(awk -F'\t' -v OFS='\t' -v ty="$(jq -r .finalizable.type "$t")" '$1 == ty { print $1, $2, $4, $5 }' "$tmp/finalizable.tsv")
	check "$name: finalizable: $(tr '\t' ' ' <<<"$want") (type count ready queued: $got)" test "$got" = "$want"
	# large objects: each truth entry's arrays, on its heap, with its root
	n=$(jq '.large | length' "$t")
	for ((i = 0; i < n; i++)); do
		local ty hp len cnt root
		IFS=$'\t' read -r ty hp len cnt root < <(jq -r ".large[$i] | [.type, .heap, .length, .count, .root] | @tsv" "$t")
		got=$(awk -F'\t' -v ty="$ty" -v hp="$hp" -v len="$len" -v r="$root" -v ps="$ps" \
			'$4 == ty && $3 == hp && $2 >= len + 2 * ps && $2 <= len + 4 * ps && $5 == r' "$tmp/large-objects.tsv" | wc -l)
		check "$name: large-objects: $cnt $ty of $len on the $hp, root $root ($got)" test "$got" = "$cnt"
	done
	# fragmentation: one row per segment
	if oracle_run "$d" segments >"$tmp/segs" 2>/dev/null; then
		tail -n +2 "$tmp/segs" | while IFS=$'\t' read -r kind heap start end _; do
			kind=${kind,,}; kind=${kind/generation/gen}
			case $kind in large) kind=loh ;; pinned) kind=poh ;; esac
			printf '%s\t%s\t%d\n' "$heap" "$kind" $((16#$end - 16#$start))
		done | LC_ALL=C sort >"$tmp/want"
		awk -F'\t' 'NR > 1 { print $2 "\t" $3 "\t" $4 }' "$tmp/fragmentation.tsv" | LC_ALL=C sort >"$tmp/got"
		check "$name: fragmentation has one row per ClrMD segment ($(wc -l <"$tmp/want"): heap, gen, bytes)" \
			cmp -s "$tmp/want" "$tmp/got"
	else
		check "$name: fragmentation has rows" test "$(wc -l <"$tmp/fragmentation.tsv")" -gt 1
	fi
	check "$name: fragmentation: free <= bytes, ratio free/bytes" awk -F'\t' 'NR > 1 &&
		($5 > $4 || ($4 > 0 && sprintf("%.3f", $5 / $4) != $6)) { exit 1 }' "$tmp/fragmentation.tsv"
}
truths=0
for d in $dumps; do
	t=$(e2e_truth "$d")
	[ -f "$t" ] && [ "$(jq -r .app "$t")" = waste ] || continue
	waste_truth "$d" "$t"
	truths=$((truths + 1))
done
check "the waste fixtures' truth checked ($truths dumps)" test "$truths" -ge 2

# the leak, found by diff
w1=$BUILD/dumps/waste-1.heap.dmp w2=$BUILD/dumps/waste-2.heap.dmp
if [ -f "$w1" ] && [ -f "$w2" ]; then
	leaked=$(jq .listeners "$BUILD/dumps/waste-2.truth.json")
	"$CLRHEAP" diff "$w1" "$w2" >"$tmp/diff.tsv" 2>"$tmp/err"
	check "diff waste-1 waste-2 runs" test $? = 0
	got=$(awk -F'\t' '$11 == "Waste.Listener" { print $1 "\t" $4 "\t" $5 "\t" $10 }' "$tmp/diff.tsv")
	check "diff: Waste.Listener +$leaked, new ($got)" test "$got" = "+$leaked	0	$leaked	new"
	check "diff: the header" test "$(head -n 1 "$tmp/diff.tsv")" = \
		"$(printf '%s\t' count_delta bytes_delta retained_delta count_a count_b bytes_a bytes_b \
			retained_a retained_b change)type"
	check "diff: sorted by bytes gained" sorted_desc <(sed '$d' "$tmp/diff.tsv") 2
	check "diff: the total line sums the types" awk -F'\t' 'NR > 1 && $11 != "(total)" { s += $2 }
		$11 == "(total)" { t = $2 } END { exit !(s == t && t != "") }' "$tmp/diff.tsv"
	"$CLRHEAP" diff "$w1" "$w2" --json >"$tmp/diff.json"
	check "diff --json: Waste.Listener count_delta $leaked" test \
		"$(jq '.types[] | select(.type == "Waste.Listener") | .count_delta' "$tmp/diff.json")" = "$leaked"
	"$CLRHEAP" diff "$w1" "$w1" >"$tmp/same.tsv"
	check "diff of a dump with itself: the header and the total only" test "$(wc -l <"$tmp/same.tsv")" = 2
fi

# 3. ClrMD: strings-dup on each dump it reads, stat of pairs
compared=0
for d in $BUILD/dumps/waste-1.heap.dmp $BUILD/dumps/waste-2.heap.dmp $BUILD/dumps/zoo.heap.dmp \
	$BUILD/dumps/graph.heap.dmp $BUILD/dumps/colls.heap.dmp $BUILD/dumps/tasks.heap.dmp \
	$BUILD/dumps/zoo-win-x64.full.dmp; do
	[ -f "$d" ] || continue
	name=$(basename "$d")
	oracle_run "$d" strings-dup >"$tmp/oracle" 2>"$tmp/oerr"
	case $? in
	0) ;;
	127) echo "  $name: no ClrMD oracle for this dump here" >&2; continue ;;
	*) bad "$name: the ClrMD oracle failed: $(head -c 300 "$tmp/oerr")"; continue ;;
	esac
	"$CLRHEAP" inspect "$d" duplicate-strings | cut -f 1-4 >"$tmp/mine"
	# the rows the oracle shows the value of, and every row's numbers
	awk -F'\t' '$1 != "-"' "$tmp/oracle" | LC_ALL=C sort >"$tmp/a"
	awk -F'\t' 'NR == FNR { if ($1 != "-") want[$1] = 1; next } FNR == 1 || ($1 in want)' \
		"$tmp/oracle" "$tmp/mine" | LC_ALL=C sort >"$tmp/b"
	cut -f 2-4 "$tmp/oracle" | LC_ALL=C sort >"$tmp/an"
	cut -f 2-4 "$tmp/mine" | LC_ALL=C sort >"$tmp/bn"
	if diff "$tmp/a" "$tmp/b" >"$tmp/diff" && cmp -s "$tmp/an" "$tmp/bn"; then
		ok
		compared=$((compared + 1))
		echo "  $name: $(($(wc -l <"$tmp/oracle") - 1)) duplicated values equal ClrMD's ($(($(wc -l <"$tmp/a") - 1)) by value, $(awk -F'\t' 'NR > 1 { s += $4 } END { print s + 0 }' "$tmp/mine") bytes wasted)"
	else
		bad "$name: duplicate strings differ from ClrMD's (< ClrMD, > clrheap):"
		{ diff "$tmp/a" "$tmp/b"; diff "$tmp/an" "$tmp/bn"; } | head -20 | sed 's/^/    /' >&2
	fi
done
# stat of A and B, by type name, subtracted: "type count_a count_b bytes_a bytes_b" where any differs
oracle_delta() {
	awk -F'\t' 'FNR == 1 || $1 == "total" { next }
		NR == FNR { ca[$4] += $2; ba[$4] += $3; seen[$4] = 1; next }
		{ cb[$4] += $2; bb[$4] += $3; seen[$4] = 1 }
		END { for (t in seen) if (ca[t] != cb[t] || ba[t] != bb[t])
			printf "%s\t%d\t%d\t%d\t%d\n", t, ca[t], cb[t], ba[t], bb[t] }' "$1" "$2" | LC_ALL=C sort
}
pairs=0
for p in waste-1.heap:waste-2.heap zoo.heap:zoo-svr.heap visits.heap:visits-lists.heap tasks.heap:graph.heap \
	zoo-win-x64.full:visits-win-x64.full; do
	a=$BUILD/dumps/${p%%:*}.dmp b=$BUILD/dumps/${p#*:}.dmp
	[ -f "$a" ] && [ -f "$b" ] || continue
	oracle_run "$a" stat >"$tmp/sa" 2>/dev/null && oracle_run "$b" stat >"$tmp/sb" 2>/dev/null ||
		{ echo "  $(basename "$a") -> $(basename "$b"): no ClrMD stat of both here" >&2; continue; }
	oracle_delta "$tmp/sa" "$tmp/sb" >"$tmp/want"
	# (rows whose count and bytes are unchanged differ only in retained bytes, which stat has not)
	"$CLRHEAP" diff "$a" "$b" --json >"$tmp/pair.json"
	jq -r '.types[] | select(.count_delta != 0 or .bytes_delta != 0) |
		[.type, .count_a, .count_b, .bytes_a, .bytes_b] | @tsv' "$tmp/pair.json" | LC_ALL=C sort >"$tmp/got"
	jq -r '.total | [.count_a, .count_b, .bytes_a, .bytes_b] | @tsv' "$tmp/pair.json" >"$tmp/tot"
	check "$(basename "$a") -> $(basename "$b"): diff's total is ClrMD's two totals" test "$(cat "$tmp/tot")" = \
		"$(awk -F'\t' '$1 == "total" { printf "%s%s\t%s", NR == FNR ? "" : "\t", $2, $3 }' "$tmp/sa" "$tmp/sb" |
		awk -F'\t' -v OFS='\t' '{ print $1, $3, $2, $4 }')"
	if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		ok
		pairs=$((pairs + 1))
		echo "  $(basename "$a") -> $(basename "$b"): $(wc -l <"$tmp/want") types changed, each delta equals ClrMD's stat subtracted"
	else
		bad "$(basename "$a") -> $(basename "$b"): diff differs from ClrMD's stats (< ClrMD, > clrheap):"
		head -20 "$tmp/diff" | sed 's/^/    /' >&2
	fi
done

# 4. inspections/ in the mount
mount_inspections() {
	local d=$1 name k same=0
	name=$(basename "$d")
	mkdir -p "$m"
	"$MOUNT" "$d" "$m" 2>"$tmp/merr" || { bad "$name: mount failed: $(head -c 300 "$tmp/merr")"; return; }
	check "mount $name: inspections/ lists the six" test "$(ls "$m/inspections" | tr '\n' ' ')" = \
		"duplicate-strings.tsv empty-collections.tsv finalizable.tsv fragmentation.tsv large-objects.tsv sparse-arrays.tsv "
	for k in $KINDS; do
		"$CLRHEAP" inspect "$d" "$k" >"$tmp/cli" 2>/dev/null
		if cmp -s "$tmp/cli" "$m/inspections/$k.tsv"; then
			same=$((same + 1))
		else
			bad "mount $name: inspections/$k.tsv differs from clrheap inspect"
		fi
	done
	check "mount $name: all six inspections/*.tsv are the CLI's ($same)" test "$same" = 6
	check "mount $name: no inspections/other.tsv" test ! -e "$m/inspections/other.tsv"
	fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
}
if [ -e /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
	for d in "$BUILD/dumps/waste-2.heap.dmp" "$BUILD/dumps/zoo.heap.dmp"; do
		[ -f "$d" ] && mount_inspections "$d"
	done
else
	echo "  no FUSE here: inspections/ in the mount not checked" >&2
fi
echo "  compared with ClrMD: duplicate strings on $compared dumps, diff on $pairs pairs"
e2e_done

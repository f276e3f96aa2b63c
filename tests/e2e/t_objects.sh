#!/bin/bash
# clrheap objects/show/statics on every real dump:
#  - every object on the heap renders as valid JSON (jq empty), a JSON
#    object a line that Python's json module reads (no NaN/Infinity);
#  - zoo: every object of the truth renders equal to it, and so do the static
#    and thread-static fields of its types; show gives the same document, also for an address
#    inside the object; --depth 0 writes every reference as {"$ref":…};
#  - visits: every Visit equals the truth's line for it, in any order;
#  - where the ClrMD oracle can run (lib.sh: oracle_run), a sample of types
#    reads the same.
# Equality is semantic (jq --sort-keys) but exact for numbers: every number
# is turned into a string holding its text before jq sees it, so 12.50,
# 1E+21 and 18446744073709551615 must match digit for digit.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Canonical lines: exact numbers, sorted keys, one document a line, sorted.
canon() { numq | jq -cS . | LC_ALL=C sort; }
# The lines of $1 whose "$addr" is listed in $2.
pick() {
	awk 'NR == FNR { want[$0] = 1; next }
		{ if (match($0, /^\{"\$addr":"0x[0-9a-f]*"/) && substr($0, 11, RLENGTH - 11) in want) print }' "$2" "$1"
}
show_diff() { # what want got
	bad "$1 (< truth, > clrheap):"
	diff "$2" "$3" | head -n 6 | cut -c1-400 | sed 's/^/    /' >&2
}

# JSON Lines as pandas or DuckDB read them: every line one JSON object,
# none of the NaN/Infinity tokens Python's json would otherwise accept.
PYJSONL='
import json, sys
def bad(token):
    raise ValueError("not JSON: " + token)
with open(sys.argv[1], "rb") as f:
    for n, line in enumerate(f, 1):
        if not isinstance(json.loads(line, parse_constant=bad), dict):
            sys.exit("line %d is not an object" % n)'
command -v python3 >/dev/null 2>&1 || bad "python3 is missing (contrib/deps.sh test installs it)"

oracle_build
oracle_done=" "

dumps=$(e2e_dumps)
check "fixture dumps present" test -n "$dumps"
for d in $dumps; do
	name=$(basename "$d")
	truth=$(e2e_truth "$d")
	if [ ! -f "$truth" ]; then
		bad "$name: no truth file $truth"
		continue
	fi
	# 1. everything on the heap, as JSON
	if "$CLRHEAP" objects "$d" --all --depth 3 >"$tmp/all" 2>"$tmp/err"; then
		check "$name: objects --all is valid JSON" jq empty "$tmp/all"
		check "$name: Python's json reads every line as one object, no NaN or Infinity" \
			python3 -c "$PYJSONL" "$tmp/all"
		check "$name: objects --all wrote objects" test -s "$tmp/all"
	else
		bad "$name: clrheap objects --all failed: $(head -c 300 "$tmp/err")"
		continue
	fi

	if jq -e '.objects_file' "$truth" >/dev/null; then
		# 2a. visits: every Visit, any order
		jsonl=$(dirname "$d")/$(jq -r .objects_file "$truth")
		type=$(jq -r .objects_type "$truth")
		if "$CLRHEAP" objects "$d" --type "$type" >"$tmp/got.raw" 2>"$tmp/err"; then
			canon <"$tmp/got.raw" >"$tmp/got"
			canon <"$jsonl" >"$tmp/want"
			if cmp -s "$tmp/want" "$tmp/got"; then ok; else
				show_diff "$name: $type objects differ from the truth" "$tmp/want" "$tmp/got"
			fi
			check "$name: $(jq -r .objects_count "$truth") visits" \
				test "$(wc -l <"$tmp/got.raw")" = "$(jq -r .objects_count "$truth")"
		else
			bad "$name: clrheap objects --type $type failed: $(head -c 300 "$tmp/err")"
		fi
		continue
	fi

	# 2b. zoo: every object of the truth (numbers quoted before jq reads them)
	numq <"$truth" >"$tmp/truth.q"
	jq -c '.objects[]' "$tmp/truth.q" | jq -cS . | LC_ALL=C sort >"$tmp/want"
	jq -r '.objects[]."$addr"' "$truth" >"$tmp/addrs"
	pick "$tmp/all" "$tmp/addrs" | canon >"$tmp/got"
	if "$REFCMP" "$tmp/want" "$tmp/got" >/dev/null; then ok; else
		show_diff "$name: objects differ from the truth" "$tmp/want" "$tmp/got"
	fi
	check "$name: $(wc -l <"$tmp/want") truth objects found" \
		test "$(wc -l <"$tmp/got")" = "$(wc -l <"$tmp/want")"

	# 3. show: the same document, from its address or one inside it
	for a in $(head -n 3 "$tmp/addrs"); do
		inner=$(printf '0x%x' $((a + 8)))
		if "$CLRHEAP" show "$d" "$inner" >"$tmp/show" 2>"$tmp/err"; then
			canon <"$tmp/show" >"$tmp/show.c"
			grep -F "\"\$addr\":\"$a\"" "$tmp/want" >"$tmp/show.w"
			if "$REFCMP" "$tmp/show.w" "$tmp/show.c" >/dev/null; then ok; else
				show_diff "$name: show $inner" "$tmp/show.w" "$tmp/show.c"
			fi
		else
			bad "$name: clrheap show $inner failed: $(head -c 300 "$tmp/err")"
		fi
	done
	check "$name: show of an address outside the heap fails" \
		bash -c "! '$CLRHEAP' show '$d' 0x10 2>/dev/null"
	# what follows is the zoo's (its truth's app is the fixture's name):
	# other apps have no statics, Nodes or zoo types for ClrMD
	case $(jq -r .app "$truth") in zoo*) ;; *) continue ;; esac

	# 4. static fields of each type the truth lists
	jq -r '.statics | keys[]' "$truth" >"$tmp/stypes"
	while IFS= read -r t; do
		jq -cS --arg t "$t" '.statics[$t]' "$tmp/truth.q" >"$tmp/sw"
		if "$CLRHEAP" statics "$d" --type "$t" >"$tmp/sg.raw" 2>"$tmp/err"; then
			numq <"$tmp/sg.raw" | jq -cS 'del(."$type", ."$threads")' >"$tmp/sg"
			if "$REFCMP" "$tmp/sw" "$tmp/sg" >/dev/null; then ok; else
				show_diff "$name: statics of $t" "$tmp/sw" "$tmp/sg"
			fi
			# thread statics: each thread's values
			jq -cS --arg t "$t" '[.thread_statics[]? | select(.type == $t) | del(.type)] | sort_by(.os_tid)' \
				"$tmp/truth.q" >"$tmp/tw"
			numq <"$tmp/sg.raw" | jq -cS '."$threads" // [] | sort_by(.os_tid)' >"$tmp/tg"
			if cmp -s "$tmp/tw" "$tmp/tg"; then ok; else
				show_diff "$name: thread statics of $t" "$tmp/tw" "$tmp/tg"
			fi
		else
			bad "$name: clrheap statics --type $t failed: $(head -c 300 "$tmp/err")"
		fi
	done <"$tmp/stypes"

	# 5. --depth 0: a reference of the top object is never inlined
	if "$CLRHEAP" objects "$d" --type Zoo.Node --depth 0 >"$tmp/d0" 2>"$tmp/err"; then
		check "$name: --depth 0 keeps references as \$ref" \
			test "$(jq -c 'select(.Next != null) | .Next | keys' "$tmp/d0" | sort -u)" = '["$ref"]'
	else
		bad "$name: objects --depth 0 failed: $(head -c 300 "$tmp/err")"
	fi

	# 6. a sample read by ClrMD through the DAC, once for each OS and pointer
	# size (it is slow to start)
	okey=$("$CLRHEAP" info --json "$d" | jq -r '"\(.os)-\(.pointer_size)"')
	if [ "${oracle_done#*"$okey"}" = "$oracle_done" ]; then
		types="Zoo.Primitives Zoo.Strings Zoo.Times Zoo.Decimals Zoo.Ids Zoo.Enums Zoo.Net Zoo.Node Zoo.Structs Zoo.Boxes"
		# shellcheck disable=SC2086
		oracle_run "$d" objects $types >"$tmp/or" 2>"$tmp/err"
		orc=$?
		[ $orc = 127 ] || oracle_done="$oracle_done $okey"
		if [ $orc = 0 ]; then
			canon <"$tmp/or" >"$tmp/or.c"
			jq -r '."$addr"' "$tmp/or" >"$tmp/or.a"
			pick "$tmp/all" "$tmp/or.a" | canon >"$tmp/me.c"
			if cmp -s "$tmp/or.c" "$tmp/me.c"; then ok; else
				show_diff "$name: differs from ClrMD's reading" "$tmp/or.c" "$tmp/me.c"
			fi
		elif [ $orc = 127 ]; then
			echo "  $name: no ClrMD oracle for this dump here" >&2
		else
			bad "$name: the ClrMD oracle failed: $(head -c 300 "$tmp/err")"
		fi
	fi
done

# Bad command lines and types fail with one line.
d=$(echo "$dumps" | head -n 1)
if [ -n "$d" ]; then
	check "objects of an unknown type fails" bash -c "! '$CLRHEAP' objects '$d' --type No.Such.Type 2>/dev/null"
	check "objects without --type fails" bash -c "! '$CLRHEAP' objects '$d' 2>/dev/null"
	check "show of a bad address fails" bash -c "! '$CLRHEAP' show '$d' xyz 2>/dev/null"
	check "--depth past the cap fails" bash -c "! '$CLRHEAP' objects '$d' --all --depth 1000 2>/dev/null"
fi
e2e_done

#!/bin/bash
# clrheap stat on every real dump: the count of each of the app's own types
# equals the app's truth, and (where the .NET SDK can build the ClrMD oracle)
# every row -- MethodTable, count, total size, name -- and the totals equal
# ClrMD's reading of the same dump through the runtime's DAC (Windows dumps:
# ClrMD with the Windows DAC under Wine, where Wine is installed).
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
oracle_build
dumps=$(e2e_dumps)
check "fixture dumps present" test -n "$dumps"
for d in $dumps; do
	truth=$(e2e_truth "$d")
	if ! "$CLRHEAP" stat "$d" >"$tmp/stat" 2>"$tmp/err"; then
		bad "$d: clrheap stat failed: $(cat "$tmp/err")"
		continue
	fi
	check "$d: no warnings" test ! -s "$tmp/err"
	# 1. the app's own types, against the truth it wrote
	jq -r '.counts | to_entries[] | "\(.key)\t\(.value)"' "$truth" | sort >"$tmp/want"
	awk -F'\t' 'NR == FNR { want[$1] = 1; next } FNR > 1 && ($4 in want) { c[$4] += $2 }
		END { for (k in c) print k "\t" c[k] }' "$tmp/want" "$tmp/stat" | sort >"$tmp/got"
	if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then ok; else
		bad "$d: own type counts differ from the truth (< truth, > clrheap):"; sed 's/^/    /' "$tmp/diff" >&2
	fi
	check "$d: header and total lines" bash -c "head -n1 '$tmp/stat' | grep -q \$'^mt\\tcount\\ttotal_size\\ttype\$' && tail -n1 '$tmp/stat' | grep -q '^Total [0-9]* objects, [0-9]* bytes, [0-9]* types\$'"
	# 2. every row, against ClrMD
	oracle_run "$d" stat >"$tmp/ostat" 2>"$tmp/oerr"
	case $? in
	0) ;;
	127) echo "  $(basename "$d"): no ClrMD oracle for this dump here" >&2; continue ;;
	*) bad "$d: the ClrMD oracle failed: $(head -c 300 "$tmp/oerr")"; continue ;;
	esac
	sed '1d;$d' "$tmp/stat" | sort >"$tmp/mine"
	grep -v -i -e '^mt' -e '^total' "$tmp/ostat" | sort >"$tmp/theirs"
	if diff "$tmp/mine" "$tmp/theirs" >"$tmp/diff"; then ok; else
		bad "$d: rows differ from ClrMD (< clrheap, > ClrMD):"; head -20 "$tmp/diff" | sed 's/^/    /' >&2
	fi
	mine=$(tail -n1 "$tmp/stat" | awk '{print $2, $4, $6}')
	theirs=$(grep -i '^total' "$tmp/ostat" | awk -F'\t' '{print $2, $3, $4+0}')
	check "$d: totals $mine = ClrMD $theirs" test "$mine" = "$theirs"
done

# --progress: plain lines on stderr though it is no terminal, the walk's
# last one counting what stat counts; none without it (not a terminal).
d=$(echo "$dumps" | head -n1)
"$CLRHEAP" stat "$d" >"$tmp/stat" 2>"$tmp/err"
check "$d: stat tells no progress when stderr is not a terminal" \
	bash -c "! grep -q '^clrheap: heap walk' '$tmp/err'"
"$CLRHEAP" stat "$d" --progress >"$tmp/stat" 2>"$tmp/err"
total=$(tail -n1 "$tmp/stat" | awk '{print $2}')
walked=$(sed -n 's/^clrheap: heap walk done: \([0-9]*\) objects, [0-9.]* MB$/\1/p' "$tmp/err" | tail -n1)
check "$d: stat --progress ends its walk at stat's $total objects (told: ${walked:-none})" \
	test -n "$total" -a "$walked" = "$total"
"$CLRHEAP" retained "$d" --progress >/dev/null 2>"$tmp/err"
check "$d: retained --progress tells the graph's phases" \
	bash -c "grep -q '^clrheap: graph: references' '$tmp/err' && grep -q '^clrheap: graph: dominators' '$tmp/err'"
check "$d: every --progress line is one of clrheap's" bash -c "! grep -v '^clrheap: ' '$tmp/err'"
e2e_done

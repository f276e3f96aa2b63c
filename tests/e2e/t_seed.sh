#!/bin/bash
# The seed story at its real size: 422,813 F# Visit records queued in a
# MailboxProcessor whose consumer never drains (shared/seed). Where the .NET
# SDK is present, tests/e2e/prepare.sh made a heap and a full dump of the
# visits app at that size into $BUILD/seed; this checks what the engine
# reads from them against the truth the app wrote.
. "$(dirname "$0")/lib.sh"
N=422813
seed=$BUILD/seed
if [ ! -f "$seed/manifest.json" ]; then
	if command -v dotnet >/dev/null 2>&1; then
		bad "the .NET SDK is present but $seed has no seed dumps"
		e2e_done
		exit 1
	fi
	echo "  no .NET SDK: the seed dumps cannot be made here; not run"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
truth=$seed/visits.truth.json
check "truth holds $N visits" test "$(jq -r '.counts["Bugfree.Spo.Analytics.Cli.Domain+Visit"]' "$truth")" = $N
for d in "$seed"/visits.heap.dmp "$seed"/visits.full.dmp; do
	"$CLRHEAP" stat "$d" >"$tmp/stat" 2>"$tmp/err" || { bad "$d: stat failed: $(cat "$tmp/err")"; continue; }
	check "$d: no warnings" test ! -s "$tmp/err"
	count() { awk -F'\t' -v t="$1" '$4 == t { print $2 }' "$tmp/stat"; }
	check "$d: $N Visit objects" test "$(count 'Bugfree.Spo.Analytics.Cli.Domain+Visit')" = $N
	check "$d: $N VisitorMessage objects" test "$(count 'Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage')" = $N
	check "$d: one MailboxProcessor<VisitorMessage>" \
		test "$(count 'Microsoft.FSharp.Control.FSharpMailboxProcessor<Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage>')" = 1
	# Every own type's count equals the truth.
	jq -r '.counts | to_entries[] | "\(.key)\t\(.value)"' "$truth" | sort >"$tmp/want"
	awk -F'\t' 'NR == FNR { want[$1] = 1; next } FNR > 1 && ($4 in want) { c[$4] += $2 }
		END { for (k in c) print k "\t" c[k] }' "$tmp/want" "$tmp/stat" | sort >"$tmp/got"
	check "$d: own type counts equal the truth" diff "$tmp/want" "$tmp/got"
	# FSharp.Core keeps the arrivals in a Queue<T> with _array, _head, _size.
	"$CLRHEAP" types "$d" --fields 'System.Collections.Generic.Queue<Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage>' >"$tmp/q"
	for f in _array _head _size; do
		check "$d: the arrivals queue has $f" grep -q $'\t'"$f\$" "$tmp/q"
	done
done
e2e_done

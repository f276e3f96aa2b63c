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

# The same on the mount: the path the seed walked by hand in WinDbg, with cd.
d=$seed/visits.heap.dmp
mnt=$tmp/mnt
mkdir -p "$mnt"
trap 'fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null; rm -rf "$tmp"' EXIT
if ! "$BUILD/mount.clrheap" "$d" "$mnt"; then
	bad "mount.clrheap $d failed"
	e2e_done
	exit 1
fi
VISIT='Bugfree.Spo.Analytics.Cli.Domain+Visit'
q="$mnt/types/<StartupCode\$visits>.\$Agents/statics/visitor@16/mailbox/arrivals"
if cd "$q" 2>/dev/null; then
	ok
	check "queue _size is $N" test "$(cat _size)" = $N
	check "queue _head is 0" test "$(cat _head)" = 0
	check "backing array has 524,288 slots" test "$(cat _array/.length)" = 524288
	check "slot $((N - 1)) is a message" test -L "_array/$((N - 1))"
	check "slots $N and 524287 are null" test "$(cat _array/$N _array/524287)" = "null
null"
	check "a message's item is a Visit" test "$(basename "$(readlink -f _array/0/item/.type)")" = "$VISIT"
	check "the Visit's fields are files" test -f _array/0/item/LoginName -a -f _array/0/item/Timestamp -a -f _array/0/item/IP
	check "the logical view lists $N messages" test "$(ls .items | wc -l)" = $N
	# In order: the logical view starts at _head and follows the array.
	for i in 0 1 4242 $((N - 1)); do
		check ".items/$i is _array/$i" test "$(basename "$(readlink .items/$i)")" = "$(basename "$(readlink _array/$i)")"
	done
	cd - >/dev/null
else
	bad "cannot cd to $q"
fi
check "types/$VISIT/instances has $N entries" test "$(ls "$mnt/types/$VISIT/instances" | wc -l)" = $N
# Every visit, field by field, equal to the truth (addresses included).
jq -cS . "$mnt/types/$VISIT/instances.jsonl" | sort >"$tmp/got"
jq -cS . "$seed/visits.truth.jsonl" | sort >"$tmp/want"
check "instances.jsonl through jq equals the truth ($(wc -l <"$tmp/want") visits)" cmp -s "$tmp/got" "$tmp/want"
fusermount3 -u "$mnt"
e2e_done

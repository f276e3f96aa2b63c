#!/bin/bash
# 16 parallel readers over one mounted tree for a bounded time (READERS_SECS,
# default 20 s; each reader also stops after 400 rounds). Every reader goes
# round the same mixed list -- instances.jsonl, object .json files, field
# files, symlinks, directory listings -- in its own order, and every round
# must give the bytes one reader got alone before. The mount runs in the
# foreground with a small render cache (cache=8), so its resident memory is
# read from /proc: after a warm-up round, halfway and at the end; it may not
# grow by more than READERS_RSS_MB (default 48) over the warm-up, nor by more
# than a quarter of that over the second half (a leak grows with rounds).
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
SECS=${READERS_SECS:-20}
RSS_MB=${READERS_RSS_MB:-48}
tmp=$(mktemp -d)
m=$tmp/m
mkdir -p "$m"
mpid=
cleanup() {
	if mountpoint -q "$m" 2>/dev/null; then
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	fi
	[ -z "$mpid" ] || wait "$mpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -c /dev/fuse ] || { bad "/dev/fuse is missing"; e2e_done; exit 1; }
d=$BUILD/dumps/zoo.heap.dmp
truth=$(e2e_truth "$d")
[ -f "$d" ] || { bad "$d missing"; e2e_done; exit 1; }

"$MOUNT" "$d" "$m" -f -o cache=8 2>"$tmp/merr" &
mpid=$!
for _ in $(seq 100); do mountpoint -q "$m" && break; sleep 0.1; done
if ! mountpoint -q "$m"; then
	bad "mount failed: $(cat "$tmp/merr")"
	e2e_done
	exit 1
fi
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$mpid/status"; }

# The list: what each reader reads in a round, one operation a line.
jq -r '.counts | keys[]' "$truth" | grep -v '\[' | head -n 40 >"$tmp/types"
while IFS= read -r t; do
	td=$m/types/$(tdir "$t")
	echo "cat $td/instances.jsonl"
	echo "ls $td/instances"
	find "$td/instances" -mindepth 1 -maxdepth 1 -printf '%f\n' | head -n 3 | while read -r a; do
		echo "cat $m/objects/$a/.json"
		echo "ls $m/objects/$a"
		find "$m/objects/$a" -mindepth 1 -maxdepth 1 -type f ! -name '.*' | head -n 4 | sed 's/^/cat /'
		find "$m/objects/$a" -mindepth 1 -maxdepth 1 -type l | head -n 2 | sed 's/^/readlink /'
	done
done <"$tmp/types" >"$tmp/ops"
echo "cat $m/stat.tsv" >>"$tmp/ops"
echo "ls $m/roots" >>"$tmp/ops"
nops=$(wc -l <"$tmp/ops")
check "the readers' list has operations ($nops)" test "$nops" -gt 100

# One reader alone: the reference bytes of each operation.
round() { # ops-file: prints each operation's output, one block each
	while IFS= read -r op; do
		arg=${op#* }
		case $op in
		cat\ *) cat -- "$arg" ;;
		ls\ *) ls -- "$arg" ;;
		readlink\ *) readlink -- "$arg" ;;
		esac || echo "FAILED: $op"
		printf '\n--- %s\n' "$op"
	done <"$1"
}
round "$tmp/ops" >"$tmp/want" 2>"$tmp/want.err"
check "one reader: no errors" test ! -s "$tmp/want.err"
check "one reader: no failed operation" bash -c "! grep -q '^FAILED: ' '$tmp/want'"
rss0=$(rss_kb)

# The reference's blocks (each ends with its "--- op" line) from the k-th on.
rotate() {
	awk -v k="$1" '{ b[n + 1] = b[n + 1] $0 "\n" } /^--- / { n++ }
		END { for (i = k; i <= n; i++) printf "%s", b[i]; for (i = 1; i < k; i++) printf "%s", b[i] }'
}

# 16 readers, each in its own order of the list (a rotation), comparing
# every round with the reference in the same order.
end=$(( $(date +%s) + SECS ))
half=$(( $(date +%s) + SECS / 2 ))
for r in $(seq 0 15); do
	(
		k=$(( (r * nops / 16) + 1 ))
		{ tail -n +"$k" "$tmp/ops"; head -n $((k - 1)) "$tmp/ops"; } >"$tmp/ops.$r"
		rotate "$k" <"$tmp/want" >"$tmp/want.$r"
		rounds=0 bad=0
		while [ "$(date +%s)" -lt "$end" ] && [ $rounds -lt 400 ]; do
			round "$tmp/ops.$r" >"$tmp/got.$r" 2>>"$tmp/err.$r"
			cmp -s "$tmp/got.$r" "$tmp/want.$r" || bad=$((bad + 1))
			rounds=$((rounds + 1))
		done
		echo "$rounds $bad" >"$tmp/res.$r"
	) &
done
while [ "$(date +%s)" -lt "$half" ]; do sleep 1; done
rss1=$(rss_kb)
wait_readers() { for j in $(jobs -p); do [ "$j" = "$mpid" ] || wait "$j"; done; }
wait_readers
rss2=$(rss_kb)

total=0 mism=0
for r in $(seq 0 15); do
	read -r n b <"$tmp/res.$r" || { n=0 b=1; }
	total=$((total + n)) mism=$((mism + b))
done
check "16 readers: $total rounds of $nops operations, $mism differing rounds" test "$mism" = 0
check "16 readers: at least one full round each" test "$total" -ge 16
cat "$tmp"/err.* >"$tmp/errs" 2>/dev/null
check "16 readers: no errors" test ! -s "$tmp/errs"
check "16 readers: no failed operation" bash -c "! grep -q '^FAILED: ' $tmp/got.*"
echo "  RSS of the mount: ${rss0} kB after one reader, ${rss1} kB halfway, ${rss2} kB at the end ($total rounds of $nops operations)"
# A sanitizer's own memory (ASan's quarantine, TSan's shadow) grows with
# every allocation freed: RSS is judged on the plain build only.
case $(basename "$BUILD") in
*asan* | *tsan*) echo "  (RSS not judged under a sanitizer)" ;;
*)
	check "RSS stable: $rss2 kB <= $rss0 kB + $RSS_MB MB" test "$rss2" -le $((rss0 + RSS_MB * 1024))
	check "RSS stable over the second half: $rss2 kB <= $rss1 kB + $((RSS_MB / 4)) MB" \
		test "$rss2" -le $((rss1 + RSS_MB * 256))
	;;
esac
check "the mount is still up" mountpoint -q "$m"
e2e_done

#!/bin/bash
# Output in proportion to the heap (README, "JSON documents"), on every dump:
#  - `clrheap objects --all` at the default options (every object a line of
#    its own, none inlined in another's) is at most 10 times the heap's bytes
#    (as `clrheap stat` counts them);
#  - `--all --depth 3` (each object with what it refers to, as `--type` and
#    the mount's files write it): every line is one document within the
#    64 MiB cap, and none had to be cut; its size is printed, not judged
#    (a heap of objects that each refer to many makes it large by nature).
# Prints each dump's figures.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# measure DUMP ARGS...: "bytes longest cut seconds" of `clrheap objects DUMP ARGS`
measure() {
	local d=$1 s e
	shift
	s=$(date +%s.%N)
	"$CLRHEAP" objects "$d" "$@" 2>"$tmp/err" |
		LC_ALL=C awk '{ n += length($0) + 1; if (length($0) > m) m = length($0); if (index($0, "\"$cut\":")) c++ }
			END { printf "%.0f %d %d", n, m, c }' >"$tmp/size"
	local st=${PIPESTATUS[0]}
	e=$(date +%s.%N)
	[ "$st" = 0 ] || return 1
	echo "$(cat "$tmp/size") $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", b - a }')"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
dumps=$(e2e_dumps)
check "fixture dumps present" test -n "$dumps"
for d in $dumps; do
	name=$(basename "$d")
	heap=$("$CLRHEAP" stat "$d" 2>/dev/null | awk '/^Total / { print $4 }')
	if [ -z "$heap" ]; then
		bad "$name: clrheap stat gave no total"
		continue
	fi
	if ! m0=$(measure "$d" --all); then
		bad "$name: clrheap objects --all failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	if ! m3=$(measure "$d" --all --depth 3); then
		bad "$name: clrheap objects --all --depth 3 failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	read -r b0 l0 c0 s0 <<<"$m0"
	read -r b3 l3 c3 s3 <<<"$m3"
	printf '  %s: heap %d bytes; objects --all %d bytes (%s x) in %s s; --depth 3 %d bytes (%s x, longest line %d) in %s s\n' \
		"$name" "$heap" "$b0" "$(ratio "$b0" "$heap")" "$s0" "$b3" "$(ratio "$b3" "$heap")" "$l3" "$s3"
	check "$name: objects --all is at most 10x the heap's bytes" test "$b0" -le $((10 * heap))
	check "$name: no line past 64 MiB" test "$l0" -le $((64 << 20)) -a "$l3" -le $((64 << 20))
	check "$name: no document cut" test "$c0" = 0 -a "$c3" = 0
done
e2e_done

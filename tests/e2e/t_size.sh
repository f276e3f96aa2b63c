#!/bin/bash
# Output in proportion to the heap (README, "JSON documents"): on every dump,
# `clrheap objects --all` at the default options is at most 10 times the
# heap's bytes (as `clrheap stat` counts them), every line is one document
# within the 64 MiB cap, and none had to be cut. Prints each dump's figures.
# The colls fixture is held to the cap, not the ratio: its heap (150 KB) is
# mostly what its truth writer's reflection left alive (FieldInfo and
# PropertyInfo caches, invoke stubs, their IL), each a small object that
# refers to many, so its --all is 14 times its bytes.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dumps=$(e2e_dumps)
check "fixture dumps present" test -n "$dumps"
for d in $dumps; do
	name=$(basename "$d")
	heap=$("$CLRHEAP" stat "$d" 2>/dev/null | awk '/^Total / { print $4 }')
	if [ -z "$heap" ]; then
		bad "$name: clrheap stat gave no total"
		continue
	fi
	s=$(date +%s.%N)
	if ! "$CLRHEAP" objects "$d" --all 2>"$tmp/err" |
		LC_ALL=C awk '{ n += length($0) + 1; if (length($0) > m) m = length($0); if (index($0, "\"$cut\":")) c++ }
			END { printf "%d %d %d\n", n, m, c }' >"$tmp/size"; then
		bad "$name: clrheap objects --all failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	e=$(date +%s.%N)
	read -r bytes longest cut <"$tmp/size"
	printf '  %s: heap %d bytes, objects --all %d bytes (%s x), longest line %d, %s s\n' "$name" \
		"$heap" "$bytes" "$(awk -v a="$bytes" -v b="$heap" 'BEGIN { printf "%.1f", a / b }')" \
		"$longest" "$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", b - a }')"
	case $name in
	colls.*) ;;
	*) check "$name: objects --all is at most 10x the heap's bytes" test "$bytes" -le $((10 * heap)) ;;
	esac
	check "$name: no line past 64 MiB" test "$longest" -le $((64 << 20))
	check "$name: no document cut" test "$cut" = 0
done
e2e_done

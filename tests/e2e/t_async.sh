#!/bin/bash
# clrheap async and async/ in the mount:
#  1. on every real dump, the real programs' heap dumps ($BUILD/realprog)
#     and the dumps in $ASYNC_DUMPS (space-separated): the JSON is one
#     document, and where the ClrMD oracle runs, the boxes (address,
#     m_stateFlags, <>1__state, m_continuationObject) equal the ones ClrMD
#     reads; every "continues" is a box whose awaiter holds this one, or the
#     box a continuation object leads to;
#  2. the tasks fixture: its truth's await chain (three async methods, each
#     awaiting the next, the innermost blocked on a TaskCompletionSource)
#     is one chain of chains.txt, innermost first, waiting for activation;
#  3. through the mount (where FUSE works): async/chains.txt and boxes.tsv
#     are clrheap's.
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
e2e_tmp_mount
oracle_build
dumps="$(e2e_dumps) $(ls "$BUILD"/realprog/*.dmp 2>/dev/null) ${ASYNC_DUMPS:-}"
compared=0 boxes=0
for d in $dumps; do
	name=$(basename "$d")
	if ! "$CLRHEAP" async "$d" --json >"$tmp/json" 2>"$tmp/err"; then
		bad "$name: clrheap async --json failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	n=$(jq '.boxes | length' "$tmp/json")
	check "$name: async --json is one document ($n boxes)" test -n "$n"
	check "$name: every continues is a box" test "$(jq '[.boxes[].address] as $a |
		[.boxes[] | select(.continues != null) | .continues as $c | select(($a | index($c)) == null)] | length' \
		"$tmp/json")" = 0
	oracle_run "$d" async >"$tmp/oracle" 2>"$tmp/oerr"
	case $? in
	0) ;;
	127) continue ;;
	*) bad "$name: the ClrMD oracle failed: $(head -c 300 "$tmp/oerr")"; continue ;;
	esac
	jq -r 'def h: if . == null then "-" else ltrimstr("0x") as $x |
			("0" * ([16 - ($x | length), 0] | max)) + $x end;
		.boxes[] | [(.address | h), (.flags | ltrimstr("0x")),
			(if .state == null then "-" else (.state | tostring) end), (.continuation | h)] | join("\t")' \
		"$tmp/json" >"$tmp/mine"
	tail -n +2 "$tmp/oracle" >"$tmp/theirs"
	if diff "$tmp/mine" "$tmp/theirs" >"$tmp/diff"; then
		ok
		compared=$((compared + 1))
		boxes=$((boxes + n))
		[ "$n" -gt 0 ] && echo "  $name: $n boxes equal ClrMD's"
	else
		bad "$name: boxes differ from ClrMD (< clrheap, > ClrMD):"; head -20 "$tmp/diff" | sed 's/^/    /' >&2
	fi
done
echo "  compared with ClrMD on $compared dumps ($boxes boxes)"

# 2. the tasks fixture's await chain
d=$BUILD/dumps/tasks.heap.dmp
t=$BUILD/dumps/tasks.truth.json
if [ -f "$d" ] && [ -f "$t" ]; then
	"$CLRHEAP" async "$d" >"$tmp/chains"
	# the chain's state machines, innermost first (the truth lists them outermost first)
	jq -r '[.async[].state_machine] | reverse | .[]' "$t" >"$tmp/want"
	k=$(wc -l <"$tmp/want")
	awk -v k="$k" '/^a chain of|^[0-9]+ chains like/ { inchain = 1; n = 0; s = ""; next }
		inchain && /^  0x/ { n++; s = s $5 "\n"; if (n == k) { printf "%s--\n", s } }' "$tmp/chains" >"$tmp/got"
	check "tasks: the await chain of $k async methods is one chain, innermost first" \
		grep -qxF -f <(paste -sd'|' "$tmp/want") <(awk 'BEGIN { RS = "--\n" } { gsub(/\n$/, ""); gsub(/\n/, "|"); print }' "$tmp/got")
	inner=$(head -n1 "$tmp/want")
	check "tasks: the innermost ($inner) waits for activation and awaits a Task<>" \
		grep -qE "WaitingForActivation +$(printf '%s' "$inner" | sed 's/[][\.+*^$()|]/\\&/g')  awaits 0x[0-9a-f]+ System.Threading.Tasks.Task<" "$tmp/chains"
else
	echo "  no tasks fixture here: the await chain not checked" >&2
fi

# 3. async/ in the mount
d=$BUILD/dumps/tasks.heap.dmp
[ -f "$d" ] || d=$(ls "$BUILD"/realprog/shop.heap.dmp 2>/dev/null)
if [ -n "$d" ] && [ -e /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
	mkdir -p "$m"
	if "$MOUNT" "$d" "$m" 2>"$tmp/merr"; then
		check "mount: async/ lists chains.txt and boxes.tsv" test "$(ls "$m/async" | tr '\n' ' ')" = "boxes.tsv chains.txt "
		check "mount: async/chains.txt is clrheap async's" cmp -s "$m/async/chains.txt" <("$CLRHEAP" async "$d")
		check "mount: async/boxes.tsv has a row per box" \
			test "$(($(wc -l <"$m/async/boxes.tsv") - 1))" = "$("$CLRHEAP" async "$d" --json | jq '.boxes | length')"
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
	else
		bad "mount of $(basename "$d") failed: $(head -c 300 "$tmp/merr")"
	fi
fi
e2e_done

#!/bin/bash
# clrheap diff and the mount's baseline, on the waste app's two dumps (an
# event-handler leak of 500 Waste.Listener objects between them), from
# $BUILD/dumps or else /tmp/wd (fixtures/make-dumps.sh):
#  1. `clrheap diff waste-1 waste-2` shows Waste.Listener +500, new; the
#     JSON has the same rows and total; a dump against itself is all zero;
#  2. through the mount (where FUSE works), with -o baseline=waste-1:
#     /diff.tsv is `clrheap diff`'s text, types/Waste.Listener/diff.json has
#     its numbers; without the option there is no diff.tsv nor diff.json;
#  3. a baseline that cannot be opened: one line naming it, exit status 1,
#     nothing mounted.
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
e2e_tmp_mount
a= b=
for dir in "$BUILD/dumps" /tmp/wd; do
	if [ -f "$dir/waste-1.heap.dmp" ] && [ -f "$dir/waste-2.heap.dmp" ]; then
		a=$dir/waste-1.heap.dmp b=$dir/waste-2.heap.dmp
		break
	fi
done
if [ -z "$a" ]; then
	echo "  no waste-1/waste-2 dumps in $BUILD/dumps or /tmp/wd" \
	     "(ONLY=waste-1 KINDS=heap bash fixtures/make-dumps.sh /tmp/wd): diff not checked"
	exit 0
fi
echo "  $a -> $b"

# 1. the CLI
"$CLRHEAP" diff "$a" "$b" >"$tmp/tsv" 2>"$tmp/err"
check "clrheap diff succeeds without a warning" test $? = 0 -a ! -s "$tmp/err"
check "the header" test "$(head -n1 "$tmp/tsv")" = \
	"$(printf 'count_delta\tbytes_delta\tcount_a\tcount_b\tbytes_a\tbytes_b\tchange\ttype')"
row=$(awk -F'\t' '$8 == "Waste.Listener"' "$tmp/tsv")
check "Waste.Listener: +500 objects, new ($row)" \
	test "$(cut -f1,3,4,7 <<<"$row")" = "$(printf '+500\t0\t500\tnew')"
lsize=$(awk -F'\t' '{ print $6 / $4 }' <<<"$row")
check "Waste.Listener: bytes are 500 objects' ($lsize each)" \
	test "$(cut -f2 <<<"$row")" = "+$(cut -f6 <<<"$row")"
check "the last line is the total" test "$(tail -n1 "$tmp/tsv" | cut -f8)" = "(total)"
sums=$(awk -F'\t' 'NR > 1 && $8 != "(total)" { c += $1; b += $2 } END { printf "%+d\t%+d", c, b }' "$tmp/tsv")
check "the total's deltas are the rows' sum ($sums)" test "$(tail -n1 "$tmp/tsv" | cut -f1,2)" = "$sums"
check "rows sorted by bytes gained" sh -c "tail -n +2 '$tmp/tsv' | sed '\$d' | cut -f2 | tr -d + | sort -s -n -r -c"
"$CLRHEAP" diff "$a" "$b" --json >"$tmp/json"
check "--json: one document with the same rows" test \
	"$(jq -r 'def s: if . >= 0 then "+\(.)" else tostring end;
		.types[] | [(.count_delta | s), (.bytes_delta | s), .count_a, .count_b, .bytes_a,
		.bytes_b, (.change // ""), .type] | map(tostring) | join("\t")' "$tmp/json")" = \
	"$(tail -n +2 "$tmp/tsv" | sed '$d')"
check "--json: the total" test "$(jq -r '.total.count_b' "$tmp/json")" = "$(tail -n1 "$tmp/tsv" | cut -f4)"
"$CLRHEAP" diff "$b" "$b" >"$tmp/self"
check "a dump against itself: no row, a zero total" test "$(wc -l <"$tmp/self")" = 2 -a \
	"$(tail -n1 "$tmp/self" | cut -f1,2,7,8)" = "$(printf '+0\t+0\t\t(total)')"

# 2. the mount
mount_diff() {
	mkdir -p "$m"
	if ! "$MOUNT" "$b" "$m" -o baseline="$a" 2>"$tmp/merr"; then
		bad "mount -o baseline= failed: $(head -c 300 "$tmp/merr")"
		return
	fi
	check "mount: diff.tsv in the root listing" sh -c "ls '$m' | grep -qx diff.tsv"
	check "mount: /diff.tsv is clrheap diff's text" cmp -s "$m/diff.tsv" "$tmp/tsv"
	local j=$m/types/Waste.Listener/diff.json
	check "mount: types/Waste.Listener/ lists diff.json" sh -c "ls '$m/types/Waste.Listener' | grep -qx diff.json"
	check "mount: diff.json of Waste.Listener ($(cat "$j" 2>/dev/null))" test \
		"$(jq -r '[.type, .count_a, .count_b, .count_delta, .bytes_a, .bytes_b, .bytes_delta, .change] |
			map(tostring) | join(" ")' "$j" 2>/dev/null)" = \
		"Waste.Listener 0 500 500 0 $(cut -f6 <<<"$row") $(cut -f6 <<<"$row") new"
	check "mount: diff.json's keys" test "$(jq -c keys_unsorted "$j" 2>/dev/null)" = \
		'["type","count_a","count_b","bytes_a","bytes_b","count_delta","bytes_delta","change"]'
	check "mount: an unchanged type's diff.json has zero deltas" test \
		"$(jq -r '"\(.count_delta) \(.bytes_delta) \(.change)"' "$m/types/System.Int32/diff.json" 2>/dev/null)" = "0 0 "
	fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
	"$MOUNT" "$b" "$m" 2>"$tmp/merr" || { bad "mount failed: $(head -c 300 "$tmp/merr")"; return; }
	check "mount without a baseline: no diff.tsv" test ! -e "$m/diff.tsv"
	check "mount without a baseline: diff.tsv not listed" sh -c "! ls '$m' | grep -qx diff.tsv"
	check "mount without a baseline: no types/Waste.Listener/diff.json" \
		test -d "$m/types/Waste.Listener" -a ! -e "$m/types/Waste.Listener/diff.json"
	fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
	echo "  mount: diff.tsv $(wc -l <"$tmp/tsv") lines"
}
if [ -e /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
	mount_diff
else
	echo "  no FUSE here: the mount's diff not checked" >&2
fi

# 3. a baseline that cannot be opened, before anything is mounted
mkdir -p "$m"
printf 'not a dump' >"$tmp/bogus.dmp"
for base in "$tmp/missing.dmp" "$tmp/bogus.dmp"; do
	"$MOUNT" "$b" "$m" -o baseline="$base" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "baseline $(basename "$base"): exit status 1 ($rc)" test "$rc" = 1
	check "baseline $(basename "$base"): one line naming it ($(cat "$tmp/err"))" \
		test "$(wc -l <"$tmp/err")" = 1 -a -n "$(grep -F "$base" "$tmp/err")"
	check "baseline $(basename "$base"): nothing mounted" sh -c "! mountpoint -q '$m'"
done
e2e_done

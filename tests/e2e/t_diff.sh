#!/bin/bash
# clrheap diff and the mount's baseline, on the waste app's two dumps (an
# event-handler leak of 500 Waste.Listener objects between them), from
# $BUILD/dumps or else /tmp/wd (fixtures/make-dumps.sh):
#  1. `clrheap diff waste-1 waste-2` shows Waste.Listener +500, new, its
#     retained bytes its own; the JSON has the same rows and total; a dump
#     against itself is all zero; --no-retained gives the 8 columns without
#     a graph;
#  2. `--paths`: the root path shapes that gained, the Listeners' shape +500
#     under the static Changed, no other static of the app (a shape's key is
#     the same in both dumps); nothing against itself; --json the same rows;
#  3. through the mount (where FUSE works), with -o baseline=waste-1:
#     /diff.tsv is `clrheap diff`'s text, diff/paths.tsv its --paths,
#     types/Waste.Listener/diff.json has its numbers; without the option
#     there is no diff.tsv, diff/ nor diff.json;
#  4. a baseline that cannot be opened: one line naming it, exit status 1,
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
check "the header" test "$(head -n1 "$tmp/tsv")" = "$(printf '%s\t' count_delta bytes_delta \
	retained_delta count_a count_b bytes_a bytes_b retained_a retained_b change)type"
row=$(awk -F'\t' '$11 == "Waste.Listener"' "$tmp/tsv")
check "Waste.Listener: +500 objects, new ($row)" \
	test "$(cut -f1,4,5,10 <<<"$row")" = "$(printf '+500\t0\t500\tnew')"
lsize=$(awk -F'\t' '{ print $7 / $5 }' <<<"$row")
check "Waste.Listener: bytes are 500 objects' ($lsize each)" \
	test "$(cut -f2 <<<"$row")" = "+$(cut -f7 <<<"$row")"
check "Waste.Listener: retains only itself (a leaf)" \
	test "$(cut -f3,8,9 <<<"$row")" = "$(cut -f2,6,7 <<<"$row")"
check "the last line is the total" test "$(tail -n1 "$tmp/tsv" | cut -f11)" = "(total)"
sums=$(awk -F'\t' 'NR > 1 && $11 != "(total)" { c += $1; b += $2 } END { printf "%+d\t%+d", c, b }' "$tmp/tsv")
check "the total's deltas are the rows' sum ($sums)" test "$(tail -n1 "$tmp/tsv" | cut -f1,2)" = "$sums"
check "the total's retained delta is its retained b - a" test "$(tail -n1 "$tmp/tsv" |
	awk -F'\t' '{ printf "%d", $9 - $8 - $3 }')" = 0
check "rows sorted by bytes gained" sh -c "tail -n +2 '$tmp/tsv' | sed '\$d' | cut -f2 | tr -d + | sort -s -n -r -c"
"$CLRHEAP" diff "$a" "$b" --json >"$tmp/json"
check "--json: one document with the same rows" test \
	"$(jq -r 'def s: if . >= 0 then "+\(.)" else tostring end;
		.types[] | [(.count_delta | s), (.bytes_delta | s), (.retained_delta | s), .count_a,
		.count_b, .bytes_a, .bytes_b, .retained_a, .retained_b, (.change // ""), .type] |
		map(tostring) | join("\t")' "$tmp/json")" = \
	"$(tail -n +2 "$tmp/tsv" | sed '$d')"
check "--json: the total" test "$(jq -r '[.total.count_b, .total.retained_b] | join(" ")' "$tmp/json")" = \
	"$(tail -n1 "$tmp/tsv" | cut -f5,9 | tr '\t' ' ')"
"$CLRHEAP" diff "$b" "$b" >"$tmp/self"
check "a dump against itself: no row, a zero total" test "$(wc -l <"$tmp/self")" = 2 -a \
	"$(tail -n1 "$tmp/self" | cut -f1,2,3,10,11)" = "$(printf '+0\t+0\t+0\t\t(total)')"
"$CLRHEAP" diff "$a" "$b" --no-retained >"$tmp/nr"
check "--no-retained: the 8 columns" test "$(head -n1 "$tmp/nr")" = \
	"$(printf 'count_delta\tbytes_delta\tcount_a\tcount_b\tbytes_a\tbytes_b\tchange\ttype')"
check "--no-retained: the same rows without the retained columns" test \
	"$(tail -n +2 "$tmp/nr" | sort)" = "$(tail -n +2 "$tmp/tsv" | cut -f1,2,4-7,10,11 |
		awk -F'\t' '$1 != "+0" || $2 != "+0" || $8 == "(total)"' | sort)"
"$CLRHEAP" diff "$a" "$b" --no-retained --paths >"$tmp/out" 2>"$tmp/err"
rc=$?
check "--paths with --no-retained: a usage error ($rc: $(cat "$tmp/err"))" \
	test "$rc" = 2 -a ! -s "$tmp/out" -a "$(wc -l <"$tmp/err")" = 1

# 2. root path shapes
"$CLRHEAP" diff "$a" "$b" --paths >"$tmp/paths" 2>"$tmp/err"
check "--paths succeeds without a warning" test $? = 0 -a ! -s "$tmp/err"
check "--paths: the header" test "$(head -n1 "$tmp/paths")" = "$(printf '%s\t' retained_delta \
	count_delta retained_a retained_b count_a count_b)path"
lpath='static Waste.Program.Changed -> System.EventHandler -> _invocationList System.Object[] -> [] System.EventHandler -> _target Waste.Listener'
prow=$(awk -F'\t' -v p="$lpath" '$7 == p' "$tmp/paths")
check "--paths: the Listeners' path gained 500 and their bytes ($prow)" \
	test "$(cut -f1,2,5,6 <<<"$prow")" = "$(awk -F'\t' -v OFS='\t' '{ print $2, $1, $4, $5 }' <<<"$row")"
check "--paths: the top row is the static Changed's delegate" test \
	"$(sed -n 2p "$tmp/paths" | cut -f7)" = 'static Waste.Program.Changed -> System.EventHandler'
others=$(cut -f7 "$tmp/paths" | grep '^static Waste\.Program\.' | grep -v '^static Waste\.Program\.Changed ')
check "--paths: no other static of the app changed (keys match across dumps: ${others:-none})" test -z "$others"
check "--paths: sorted by retained gained" sh -c "tail -n +2 '$tmp/paths' | cut -f1 | tr -d + | sort -s -n -r -c"
check "--paths: every row changed" test -z "$(tail -n +2 "$tmp/paths" | awk -F'\t' '$1 == "+0" && $2 == "+0"')"
"$CLRHEAP" diff "$b" "$b" --paths >"$tmp/self"
check "--paths: a dump against itself has the header only" test "$(wc -l <"$tmp/self")" = 1
"$CLRHEAP" diff "$a" "$b" --paths --json >"$tmp/pjson"
check "--paths --json: the same rows" test \
	"$(jq -r 'def s: if . >= 0 then "+\(.)" else tostring end;
		.paths[] | [(.retained_delta | s), (.count_delta | s), .retained_a, .retained_b,
		.count_a, .count_b, .path] | map(tostring) | join("\t")' "$tmp/pjson")" = \
	"$(tail -n +2 "$tmp/paths")"

# 3. the mount
mount_diff() {
	mkdir -p "$m"
	if ! "$MOUNT" "$b" "$m" -o baseline="$a" 2>"$tmp/merr"; then
		bad "mount -o baseline= failed: $(head -c 300 "$tmp/merr")"
		return
	fi
	check "mount: diff.tsv in the root listing" sh -c "ls '$m' | grep -qx diff.tsv"
	check "mount: /diff.tsv is clrheap diff's text" cmp -s "$m/diff.tsv" "$tmp/tsv"
	check "mount: diff/ lists paths.tsv" test "$(ls "$m/diff" 2>&1)" = paths.tsv
	check "mount: diff/paths.tsv is clrheap diff --paths" \
		test "$(cat "$m/diff/paths.tsv" 2>&1)" = "$(cat "$tmp/paths")"
	local j=$m/types/Waste.Listener/diff.json
	check "mount: types/Waste.Listener/ lists diff.json" sh -c "ls '$m/types/Waste.Listener' | grep -qx diff.json"
	check "mount: diff.json of Waste.Listener ($(cat "$j" 2>/dev/null))" test \
		"$(jq -c . "$j" 2>/dev/null)" = "$(jq -c '.types[] | select(.type == "Waste.Listener") |
			del(.change) + {change: "new"}' "$tmp/json")"
	check "mount: diff.json's keys" test "$(jq -c keys_unsorted "$j" 2>/dev/null)" = \
		'["type","count_a","count_b","count_delta","bytes_a","bytes_b","bytes_delta","retained_a","retained_b","retained_delta","change"]'
	check "mount: an unchanged type's diff.json has zero deltas" test \
		"$(jq -r '"\(.count_delta) \(.bytes_delta) \(.retained_delta) \(.change)"' \
			"$m/types/System.Int32/diff.json" 2>/dev/null)" = "0 0 0 "
	fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
	"$MOUNT" "$b" "$m" 2>"$tmp/merr" || { bad "mount failed: $(head -c 300 "$tmp/merr")"; return; }
	check "mount without a baseline: no diff.tsv" test ! -e "$m/diff.tsv"
	check "mount without a baseline: diff.tsv not listed" sh -c "! ls '$m' | grep -qx diff.tsv"
	check "mount without a baseline: no diff/" test ! -e "$m/diff" -a ! -e "$m/diff/paths.tsv"
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

# 4. a baseline that cannot be opened, before anything is mounted
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

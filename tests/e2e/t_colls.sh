#!/bin/bash
# The colls fixture (fixtures/apps/colls): every collection the renderer
# decodes by its logical content, one field of the app's Bag each.
#  - clrheap show of the Bag: each field equals the truth (exact numbers),
#    named in the check, so a failure names its collection;
#  - the mount: the Bag's .json equals the truth; each collection with
#    items has .items/ in the order its JSON shows them: maps with string
#    keys by key (escaped as type names are), other maps as directories of
#    key and value, lists and sets by index; values read with cat, objects
#    as links; Lazy, Task, StringBuilder and the slices have no .items/, a
#    StringBuilder field is a file of its text.
# Runs on the committed colls dump and a fresh one where make check made it.
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
e2e_tmp_mount

# The fields whose collections have .items/, and among them the maps whose
# keys are not all strings (their items are key/value directories).
ITEMS="Table MixedTable EmptyTable Ordered MixedOrdered List OldSorted OldSortedInts Sorted
SortedItems SortedDict SortedDictInts Set EmptySet Linked EmptyLinked ImmList ImmEmpty ImmDict
ImmDictCollide ImmDictInts ImmSet ImmSetInts Weak Dict Names DictItems Hash CQueue CDict CDictInts
FsList FsItems FsMap FsMapInts FsSet"
PAIRS=" MixedTable MixedOrdered OldSortedInts SortedItems SortedDictInts ImmDictInts Weak DictItems CDictInts FsMapInts "
NOITEMS="LazyInt LazyStr LazyItem LazyNot TaskInt TaskStr TaskItem TaskPending"

# What .items/ of a field shows, from its JSON (stdin): one line per file,
# "path<TAB>kind<TAB>value", kind v (cat gives value), l (a link to the
# object value), - (it exists). $1: pairs (or not).
expect_items() {
	jq -r --arg pairs "$1" '
		def esc: if . == "" then "%00" elif . == "." then "%2E" elif . == ".." then "%2E%2E"
			 else gsub("/"; "%2F") end;
		def line($p; $v): ($v | type) as $t
			| if $t == "string" then
				(if ($v | test("^[^\\u0000-\\u001f]*$")) then "\($p)\tv\t\($v)" else "\($p)\t-\t" end)
			  elif $t == "number" or $t == "boolean" or $t == "null" then "\($p)\tv\t\($v)"
			  elif $t == "object" and ($v."$addr" // $v."$ref") != null then "\($p)\tl\t\($v."$addr" // $v."$ref")"
			  else "\($p)\t-\t" end;
		if type == "object" then to_entries[] | (.key | esc) as $n
			| select(($n | utf8bytelength) <= 255) | line($n; .value)
		elif $pairs == "1" then to_entries[] | line("\(.key)/key"; .value[0]), line("\(.key)/value"; .value[1])
		else to_entries[] | line("\(.key)"; .value) end'
}
# The names .items/ lists, in order.
expect_names() {
	jq -r 'def esc: if . == "" then "%00" elif . == "." then "%2E" elif . == ".." then "%2E%2E"
			 else gsub("/"; "%2F") end;
		if type == "object" then keys_unsorted[] | esc else keys[] | tostring end'
}

dumps=$(ls "$BUILD"/dumps/colls.heap.dmp "$BUILD"/fresh/colls.heap.dmp 2>/dev/null)
check "the colls dump is present" test -n "$dumps"
for d in $dumps; do
	w="$(basename "$(dirname "$d")")/$(basename "$d")"
	truth=$(e2e_truth "$d")
	numq <"$truth" | jq -c '.bag' >"$tmp/want"
	bag=$(jq -r '.bag."$addr"' "$truth")
	if ! "$CLRHEAP" show "$d" "$bag" >"$tmp/got.raw" 2>"$tmp/err"; then
		bad "$w: clrheap show of the Bag failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	numq <"$tmp/got.raw" >"$tmp/got"
	# 1. each collection, as JSON
	for k in $(jq -r 'keys_unsorted[] | select(startswith("$") | not)' "$tmp/want"); do
		want=$(jq -cS --arg k "$k" '.[$k]' "$tmp/want")
		got=$(jq -cS --arg k "$k" '.[$k]' "$tmp/got")
		if [ "$want" = "$got" ]; then ok; else
			bad "$w: $k differs from the truth:"
			printf '    truth:   %.300s\n    clrheap: %.300s\n' "$want" "$got" >&2
		fi
	done

	# 2. the mount
	mkdir -p "$m"
	if ! "$MOUNT" "$d" "$m" 2>"$tmp/err"; then
		bad "$w: mount failed: $(cat "$tmp/err")"
		continue
	fi
	hexw=$(( 2 * $(jq .pointer_size "$truth") ))
	B=$m/objects/$(printf '%0*x' "$hexw" "$bag")
	numq <"$B/.json" | jq -cS . >"$tmp/mj"
	jq -cS . "$tmp/want" >"$tmp/wj"
	check "$w: the Bag's .json equals the truth" cmp -s "$tmp/wj" "$tmp/mj"
	for f in $ITEMS; do
		o=$B/$f
		if [ ! -d "$o/.items" ]; then
			bad "$w: $f has no .items/"
			continue
		fi
		pairs=0
		case $PAIRS in *" $f "*) pairs=1 ;; esac
		jq -c --arg k "$f" '.bag[$k]' "$truth" >"$tmp/fj"
		# the names, in order; a name cut to 255 bytes only counted
		expect_names <"$tmp/fj" >"$tmp/n.want"
		ls -1U "$o/.items" >"$tmp/n.got"
		grep -v '~[0-9a-f]\{16\}$' "$tmp/n.got" >"$tmp/n.short"
		awk 'length($0) <= 255' "$tmp/n.want" | cmp -s - "$tmp/n.short" &&
			[ "$(wc -l <"$tmp/n.want")" = "$(wc -l <"$tmp/n.got")" ] && ok ||
			{ bad "$w: ls $f/.items (< want, > got):"; diff "$tmp/n.want" "$tmp/n.got" | head -n 6 >&2; }
		# each item: its value, its link, or there
		expect_items $pairs <"$tmp/fj" >"$tmp/x"
		: >"$tmp/xfail"
		while IFS=$'\t' read -r p kind val; do
			up=../..
			case $p in */*) up=../../.. ;; esac
			case $kind in
			v)	got=""
				IFS= read -r -d '' got <"$o/.items/$p"
				[ "$got" = "$val"$'\n' ] || echo "cat $f/.items/$p: want '$val', got '${got:0:100}'" >>"$tmp/xfail" ;;
			l)	got=$(readlink "$o/.items/$p")
				[ "$got" = "$up/$(printf '%0*x' "$hexw" "$val")" ] ||
					echo "readlink $f/.items/$p: want $val, got $got" >>"$tmp/xfail" ;;
			*)	[ -e "$o/.items/$p" ] || echo "$f/.items/$p is missing" >>"$tmp/xfail" ;;
			esac
		done <"$tmp/x"
		check "$w: $f/.items/ holds the truth's $(wc -l <"$tmp/x") values" test ! -s "$tmp/xfail"
		head -n 3 "$tmp/xfail" | sed 's/^/    /' >&2
	done
	# a long key: one name, cut, with its hash
	check "$w: a key of 300 bytes is one name of 255" \
		test "$(ls "$B/Names/.items" | grep -c '^L\{238\}~[0-9a-f]\{16\}$')" = 1
	check "$w: cat of the cut name gives its value" \
		test "$(cat "$B/Names/.items"/LLLL*~*)" = long
	check "$w: a missing key is ENOENT" bash -c "! cat '$B/Dict/.items/nope' 2>/dev/null"
	check "$w: an index past the end is ENOENT" bash -c "! ls '$B/List/.items/99' 2>/dev/null"
	check "$w: a pair has only key and value" test "$(ls "$B/DictItems/.items/0" | tr '\n' ' ')" = "key value "
	for f in $NOITEMS; do
		check "$w: $f has no .items/" test ! -e "$B/$f/.items"
	done
	check "$w: a StringBuilder field is a file of its text" \
		test "$(jq -Rs . <"$B/Text")" = "$(jq -c '.bag.Text + "\n"' "$truth")"
	# a listing read twice, and read while another walk of it is kept
	check "$w: listing .items/ again gives the same" \
		bash -c "diff <(ls -1U '$B/ImmList/.items') <(ls -1U '$B/ImmList/.items')"
	check "$w: items in order, one cat each" \
		test "$(cd "$B/FsList/.items" && cat 0 1 2 3 4 | tr '\n' ' ')" = "3 1 4 1 5 "
	fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
done
e2e_done

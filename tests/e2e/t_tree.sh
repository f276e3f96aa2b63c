#!/bin/bash
# The mount's tree without FUSE: clrheap ls, cat, readlink, find, tar.
#  - exit codes of both programs (0 success, 1 bad input, 2 usage),
#    --version, --help, help COMMAND;
#  - without a mount (always): files equal what the other commands print
#    (dump.json, stat.tsv, instances.jsonl, .json), paths through
#    symlinks and "..", find's filters, ls's forms, a tar read back by
#    GNU tar equal to clrheap cat and readlink of each member;
#  - with /dev/fuse: on zoo, graph and colls the tree walked both ways,
#    find/readlink/cat/ls on the mount against clrheap's (root files,
#    types/, a sample of objects/ with fields, links, .items, roots/,
#    modules/, threads/): every listing, link target and file's bytes;
#    and clrheap tar extracted by GNU tar equal to a fresh mount.
# Without /dev/fuse (or with T_TREE_NO_FUSE=1) the mount half is skipped,
# the rest still runs.
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
tmp=$(mktemp -d)
mounts=""
cleanup() {
	for m in $mounts; do
		if mountpoint -q "$m" 2>/dev/null; then
			fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		fi
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# rc WANT CMD...: CMD exits with status WANT.
rc() {
	local want=$1; shift
	"$@" >/dev/null 2>&1
	[ $? = "$want" ]
}
show_diff() { # what want got
	bad "$1 (< want, > got):"
	diff "$2" "$3" | head -n 6 | cut -c1-300 | sed 's/^/    /' >&2
}
same() { # what want-file got-file
	if cmp -s "$2" "$3"; then ok; else show_diff "$@"; fi
}

Z=$BUILD/dumps/zoo.heap.dmp
# ---- exit codes, --version, --help, help COMMAND --------------------------
check "clrheap --version" bash -c "'$CLRHEAP' --version | grep -qE '^clrheap [0-9]+\.[0-9]+'"
check "mount.clrheap --version" bash -c "'$MOUNT' --version | grep -qE '^mount.clrheap [0-9]+\.[0-9]+'"
check "clrheap --help on stdout, 0" bash -c "'$CLRHEAP' --help 2>/dev/null | grep -q 'clrheap find DUMP'"
check "mount.clrheap --help on stdout, 0" bash -c "'$MOUNT' --help 2>/dev/null | grep -q 'depth=N'"
check "clrheap help find" bash -c "'$CLRHEAP' help find | grep -q -- '-maxdepth'"
check "clrheap help show (a command of main_cli)" bash -c "'$CLRHEAP' help show | grep -q '^usage: clrheap show DUMP ADDR'"
check "clrheap tar --help" bash -c "'$CLRHEAP' tar --help | grep -q '^usage: clrheap tar'"
check "help of no such command: 2" rc 2 "$CLRHEAP" help nope
check "no command: 2" rc 2 "$CLRHEAP"
check "unknown command: 2" rc 2 "$CLRHEAP" nope "$Z"
check "an unknown option: 2" rc 2 "$CLRHEAP" stat "$Z" --nope
check "cat without DUMP: 2" rc 2 "$CLRHEAP" cat
check "cat without PATH: 2" rc 2 "$CLRHEAP" cat "$Z"
check "find -type x: 2" rc 2 "$CLRHEAP" find "$Z" -type x
check "-o depth=x: 2" rc 2 "$CLRHEAP" ls "$Z" -o depth=x
check "a missing dump: 1" rc 1 "$CLRHEAP" info "$tmp/none.dmp"
check "a file that is no dump: 1" rc 1 "$CLRHEAP" ls /etc/passwd
check "a missing path: 1" rc 1 "$CLRHEAP" cat "$Z" nope
check "cat of a directory: 1" rc 1 "$CLRHEAP" cat "$Z" types
check "readlink of a file: 1" rc 1 "$CLRHEAP" readlink "$Z" dump.json
check "no object at an address: 1" rc 1 "$CLRHEAP" show "$Z" 10
check "mount.clrheap without MOUNTPOINT: 2" rc 2 "$MOUNT" "$Z"
check "mount.clrheap -o depth=x: 2" rc 2 "$MOUNT" "$Z" "$tmp" -o depth=x
check "mount.clrheap of no dump: 1" rc 1 "$MOUNT" /etc/passwd "$tmp"
check "a missing path is named on stderr" bash -c "'$CLRHEAP' cat '$Z' dump.json nope 2>&1 >/dev/null | grep -qx 'clrheap: cat: nope: No such file or directory'"
check "the other paths are still written" bash -c "'$CLRHEAP' cat '$Z' nope dump.json 2>/dev/null | jq -e .objects >/dev/null"

# ---- without a mount -----------------------------------------------------
"$CLRHEAP" stat "$Z" >"$tmp/stat"
"$CLRHEAP" cat "$Z" stat.tsv >"$tmp/stat.tsv"
same "stat.tsv is clrheap stat without its total" <(sed '$d' "$tmp/stat") "$tmp/stat.tsv"
check "dump.json counts the objects clrheap stat counts" \
	test "$("$CLRHEAP" cat "$Z" dump.json | jq .objects)" = "$(tail -n 1 "$tmp/stat" | awk '{print $2}')"
check "dump.json names the dump as the mount does" \
	test "$("$CLRHEAP" cat "$Z" dump.json | jq -r .file)" = "$(readlink -f "$Z")"
"$CLRHEAP" objects "$Z" --type Zoo.Node >"$tmp/want"
"$CLRHEAP" cat "$Z" types/Zoo.Node/instances.jsonl >"$tmp/got"
same "instances.jsonl is clrheap objects --type" "$tmp/want" "$tmp/got"
"$CLRHEAP" objects "$Z" --type Zoo.Node --depth 1 >"$tmp/want"
"$CLRHEAP" cat "$Z" -o depth=1 types/Zoo.Node/instances.jsonl >"$tmp/got"
same "-o depth=1 is the mount's option (clrheap objects --depth 1)" "$tmp/want" "$tmp/got"
"$CLRHEAP" cat "$Z" --depth 1 types/Zoo.Node/instances.jsonl >"$tmp/got"
same "--depth 1 too" "$tmp/want" "$tmp/got"
"$CLRHEAP" objects "$Z" --type Zoo.Collections --max-items 2 --max-string 3 >"$tmp/want"
"$CLRHEAP" cat "$Z" -o max_items=2,max_string=3 types/Zoo.Collections/instances.jsonl >"$tmp/got"
same "-o max_items=2,max_string=3" "$tmp/want" "$tmp/got"
"$CLRHEAP" ls "$Z" types/Zoo.Node/instances >"$tmp/inst"
check "instances/ holds the truth's count" \
	test "$(wc -l <"$tmp/inst")" = "$(jq '.counts["Zoo.Node"]' "$(e2e_truth "$Z")")"
a=$(head -n 1 "$tmp/inst")
"$CLRHEAP" show "$Z" "$a" >"$tmp/want"
"$CLRHEAP" cat "$Z" "objects/$a/.json" >"$tmp/got"
same "objects/A/.json is clrheap show A" "$tmp/want" "$tmp/got"
name=$(jq -r .Name "$tmp/want") next=$(jq -r .Next.Name "$tmp/want")
check "a symlink in the middle: objects/A/Next/Name" \
	test "$("$CLRHEAP" cat "$Z" "objects/$a/Next/Name")" = "$next"
check "a symlink at the start: types/Zoo.Node/instances/A/Name" \
	test "$("$CLRHEAP" cat "$Z" "types/Zoo.Node/instances/$a/Name")" = "$name"
check "'..' after a symlink is its target's parent: objects/A/Next/../A/Name" \
	test "$("$CLRHEAP" cat "$Z" "objects/$a/Next/../$a/Name")" = "$name"
check "'..' past a link's own folder does not exist, as on the mount" \
	rc 1 "$CLRHEAP" cat "$Z" "types/Zoo.Node/instances/$a/Next/../Next/Name"
check "/, ./ and // are what they are in a shell" \
	test "$("$CLRHEAP" cat "$Z" "/objects/./$a//Name")" = "$name"
ring="objects/$a"
for _ in $(seq 40); do ring="$ring/Next"; done
check "a ring of 40 links followed one by one" test "$("$CLRHEAP" cat "$Z" "$ring/Name")" = "$name"
check "readlink of a type's base" test "$("$CLRHEAP" readlink "$Z" types/Zoo.Node/base)" = "../System.Object"
check "readlink of the link itself, not its target" \
	test "$("$CLRHEAP" readlink "$Z" "types/Zoo.Node/instances/$a")" = "../../../objects/$a"
check "ls of a file prints its path" test "$("$CLRHEAP" ls "$Z" dump.json)" = dump.json
check "ls -d of a folder prints its path" test "$("$CLRHEAP" ls "$Z" -d types)" = types
check "ls follows a link named on the command line" \
	bash -c "'$CLRHEAP' ls '$Z' types/Zoo.Node/instances/$a | grep -qx Name"
check "ls -l shows a link and its target" \
	bash -c "'$CLRHEAP' ls '$Z' -l types/Zoo.Node/base | grep -q '^l.* types/Zoo.Node/base -> ../System.Object$'"
check "ls sorts, ls -U keeps readdir order" bash -c \
	"'$CLRHEAP' ls '$Z' | LC_ALL=C sort -c && test \"\$('$CLRHEAP' ls '$Z' -U | head -n 1)\" = README.txt"
"$CLRHEAP" find "$Z" "objects/$a" >"$tmp/find"
check "find prints PATH first, then PATH/child" \
	bash -c "head -n 1 '$tmp/find' | grep -qx 'objects/$a' && grep -qx 'objects/$a/Name' '$tmp/find'"
check "find -name -type: the links named N*" \
	test "$("$CLRHEAP" find "$Z" "objects/$a" -name 'N*' -type l)" = "objects/$a/Next"
check "find -maxdepth 0 -mindepth 0" test "$("$CLRHEAP" find "$Z" types -maxdepth 0)" = types
check "find -mindepth 1 -maxdepth 1 is ls -U" \
	test "$("$CLRHEAP" find "$Z" types -mindepth 1 -maxdepth 1)" = "$("$CLRHEAP" ls "$Z" -U types | sed 's|^|types/|')"
check "find does not follow links (the ring ends)" \
	test "$("$CLRHEAP" find "$Z" types/Zoo.Node | grep -c /Next)" = 0
check "find -print0" test "$("$CLRHEAP" find "$Z" types -maxdepth 0 -print0 | od -An -c | tr -d ' ')" = 'types\0'
# tar: a type with the longest name (pax names), an object, modules/
long=$("$CLRHEAP" ls "$Z" types | awk '{ print length, $0 }' | sort -n | tail -n 1 | cut -d' ' -f2-)
"$CLRHEAP" tar "$Z" "types/$long" "objects/$a" modules >"$tmp/z.tar"
check "clrheap tar: 0" test $? = 0
check "GNU tar lists it" bash -c "tar tf '$tmp/z.tar' >'$tmp/tar.list'"
check "names longer than ustar's 100 bytes are kept (pax)" bash -c "awk 'length > 100' '$tmp/tar.list' | grep -q ."
"$CLRHEAP" find "$Z" "types/$long" "objects/$a" modules -type d | sed 's|$|/|' >"$tmp/want"
{ cat "$tmp/want"; "$CLRHEAP" find "$Z" "types/$long" "objects/$a" modules -type f
  "$CLRHEAP" find "$Z" "types/$long" "objects/$a" modules -type l; } | LC_ALL=C sort >"$tmp/want.all"
LC_ALL=C sort "$tmp/tar.list" >"$tmp/got"
same "tar's members are find's entries" "$tmp/want.all" "$tmp/got"
mkdir "$tmp/x"
if tar xf "$tmp/z.tar" -C "$tmp/x"; then
	ok
	mapfile -d '' files < <(cd "$tmp/x" && find . -type f -print0)
	(cd "$tmp/x" && cat -- "${files[@]}") >"$tmp/got"
	"$CLRHEAP" cat "$Z" -- "${files[@]}" >"$tmp/want"
	same "tar's ${#files[@]} files are clrheap cat's" "$tmp/want" "$tmp/got"
	mapfile -d '' links < <(cd "$tmp/x" && find . -type l -print0)
	(cd "$tmp/x" && readlink -- "${links[@]}") >"$tmp/got"
	"$CLRHEAP" readlink "$Z" -- "${links[@]}" >"$tmp/want"
	same "tar's ${#links[@]} links are clrheap readlink's" "$tmp/want" "$tmp/got"
	check "a streamed file is archived whole" \
		cmp -s <("$CLRHEAP" objects "$Z" --type "$long") "$tmp/x/types/$long/instances.jsonl"
else
	bad "GNU tar cannot extract clrheap tar's archive"
fi

# ---- the same tree through the mount ---------------------------------------
# T_TREE_NO_FUSE=1 runs the script as where /dev/fuse is missing.
if [ ! -c /dev/fuse ] || [ -n "${T_TREE_NO_FUSE:-}" ]; then
	echo "  no /dev/fuse: the comparison with the mount is skipped"
	e2e_done
	exit
fi
umnt() {
	fusermount3 -u "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
	for _ in $(seq 50); do mountpoint -q "$1" || return 0; sleep 0.1; done
	return 1
}
mnt() { # DUMP DIR
	mkdir -p "$2"
	mounts="$mounts $2"
	"$MOUNT" "$1" "$2" 2>"$tmp/err" || { bad "mount $1: $(cat "$tmp/err")"; return 1; }
}
# both DUMP WHAT ARGS...: `find ARGS` in the mount ($m) and `clrheap find
# DUMP ARGS`, compared line for line (readdir order); the list in $tmp/list.
both() {
	local d=$1 what=$2; shift 2
	(cd "$m" && find "$@") >"$tmp/list" 2>"$tmp/err.m"
	"$CLRHEAP" find "$d" "$@" >"$tmp/got" 2>"$tmp/err.c"
	same "$what: find $*" "$tmp/list" "$tmp/got"
}
for d in "$BUILD"/dumps/zoo.heap.dmp "$BUILD"/dumps/graph.heap.dmp "$BUILD"/dumps/colls.heap.dmp \
	"$BUILD"/dumps/visits.heap.dmp "$BUILD"/dumps/zoo-win-x86.full.dmp; do
	[ -f "$d" ] || { bad "$d is missing"; continue; }
	n=$(basename "$d")
	m=$tmp/m-$n
	mnt "$d" "$m" || continue
	# the sample: own types (the truth's), two of each one's objects
	own=()
	for ty in $(jq -r '.counts | keys[]' "$(e2e_truth "$d")"); do
		[ -d "$m/types/$(tdir "$ty")" ] && own+=("types/$(tdir "$ty")")
	done
	objs=()
	for t in "${own[@]}"; do
		for o in $(ls -U "$m/$t/instances" | head -n 2); do objs+=("objects/$o"); done
	done
	# and one of each collection, array and string type (.items, 0 1 2 …)
	while IFS= read -r t; do
		o=$(ls -U "$m/types/$t/instances" | head -n 1)
		[ -n "$o" ] && objs+=("objects/$o")
	done < <(ls "$m/types" | grep -E '^System\.(Collections\.Generic\.(List|Dictionary|HashSet|Queue|Stack)`?[0-9]*<|String$|Int32\[\]$|Object\[\]$)' | head -n 12)
	starts1=(. types roots threads)
	starts2=(modules "${own[@]}" roots/statics)
	# listings first, objects first of all: a listing or read that builds
	# the object graph (.referrers/, roots/, .retained) adds .dominator to
	# the objects listed after it; a fresh mount and a fresh clrheap start
	# alike, but the mount keeps its graph from one find to the next
	both "$d" "$n: ${#objs[@]} objects" "${objs[@]}" -maxdepth 3
	cp "$tmp/list" "$tmp/list.0"
	both "$d" "$n: root, types/, roots/, threads/" "${starts1[@]}" -maxdepth 1
	cp "$tmp/list" "$tmp/list.1"
	both "$d" "$n: modules/, ${#own[@]} own types" "${starts2[@]}" -maxdepth 2
	cp "$tmp/list" "$tmp/list.2"
	# each entry's type: lstat on the mount, find -type in clrheap (in
	# fresh processes, as the listings above were)
	for ty in f d l; do
		(cd "$m" && cat "$tmp/list.0" "$tmp/list.1" "$tmp/list.2" |
			perl -nle "print if ('$ty' eq 'l' ? -l : !-l && -$ty)") >"$tmp/want.$ty"
		{ "$CLRHEAP" find "$d" "${objs[@]}" -maxdepth 3 -type $ty
		  "$CLRHEAP" find "$d" "${starts1[@]}" -maxdepth 1 -type $ty
		  "$CLRHEAP" find "$d" "${starts2[@]}" -maxdepth 2 -type $ty; } >"$tmp/got.$ty"
		same "$n: find -type $ty" "$tmp/want.$ty" "$tmp/got.$ty"
	done
	check "$n: the sample has .items" grep -q '/\.items/' "$tmp/want.l" "$tmp/want.f" "$tmp/want.d"
	mapfile -t links <"$tmp/want.l"
	mapfile -t files <"$tmp/want.f"
	mapfile -t dirs < <(head -n 40 "$tmp/want.d")
	(cd "$m" && readlink -- "${links[@]}") >"$tmp/want"
	"$CLRHEAP" readlink "$d" -- "${links[@]}" >"$tmp/got"
	same "$n: ${#links[@]} link targets" "$tmp/want" "$tmp/got"
	(cd "$m" && cat -- "${files[@]}") >"$tmp/want"
	"$CLRHEAP" cat "$d" -- "${files[@]}" >"$tmp/got"
	if cmp -s "$tmp/want" "$tmp/got"; then
		ok
	else
		for f in "${files[@]}"; do
			cmp -s "$m/$f" <("$CLRHEAP" cat "$d" -- "$f") || { bad "$n: $f differs"; break; }
		done
	fi
	echo "  $n: ${#files[@]} files ($(wc -c <"$tmp/want") bytes), ${#links[@]} links compared"
	# .dominator is listed once the graph is built, and the kernel keeps
	# the listings it read before that: left out on both sides here
	(cd "$m" && LC_ALL=C ls -Aln --time-style=long-iso -- "${dirs[@]}") | grep -v ' \.dominator -> ' >"$tmp/want"
	"$CLRHEAP" ls "$d" -l -- "${dirs[@]}" | grep -v ' \.dominator -> ' >"$tmp/got"
	same "$n: ls -l of ${#dirs[@]} folders" "$tmp/want" "$tmp/got"
	(cd "$m" && ls -AU -- "${dirs[@]}") | grep -vx '\.dominator' >"$tmp/want"
	"$CLRHEAP" ls "$d" -U -- "${dirs[@]}" | grep -vx '\.dominator' >"$tmp/got"
	same "$n: ls -U of ${#dirs[@]} folders" "$tmp/want" "$tmp/got"
	check "$n: unmounts" umnt "$m"
	# tar, against a fresh mount read in the same order
	m=$tmp/t-$n
	mnt "$d" "$m" || continue
	tstarts=("${own[0]}" modules "${objs[0]}")
	rm -rf "$tmp/x" && mkdir "$tmp/x"
	"$CLRHEAP" tar "$d" "${tstarts[@]}" >"$tmp/t.tar" && tar xf "$tmp/t.tar" -C "$tmp/x"
	check "$n: tar extracts" test $? = 0
	for s in "${tstarts[@]}"; do
		check "$n: tar of $s is the mount's $s" diff -r --no-dereference "$m/$s" "$tmp/x/$s"
	done
	(cd "$m" && find "${tstarts[@]}" | LC_ALL=C sort) >"$tmp/want"
	(cd "$tmp/x" && find "${tstarts[@]}" | LC_ALL=C sort) >"$tmp/got"
	same "$n: tar holds every entry" "$tmp/want" "$tmp/got"
	check "$n: unmounts" umnt "$m"
done
e2e_done

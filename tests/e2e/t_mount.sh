#!/bin/bash
# mount.clrheap on every real dump (committed fixtures and fresh ones). Each dump is mounted
# in a temporary folder and always unmounted by the trap, even on failure.
#  - ls types lists every own type of the truth; type.json's count and
#    `ls instances | wc -l` equal the truth's counts;
#  - instances.jsonl of the truth's types equals the truth (exact numbers);
#  - cat and readlink of fields give the truth's values and targets, and
#    `find objects/<addr> -maxdepth 1` shows every field;
#  - zoo: the ring of Nodes is followed by cd and readlink without looping;
#  - writes fail with EROFS, missing paths with ENOENT, find over a whole
#    type directory ends;
#  - 8 parallel readers read the same bytes as one reader.
#  - -o max_items / max_string cut collections and strings in JSON.
# T_MOUNT_ONLY="DUMP..." limits the per-dump part to those dumps.
# No /dev/fuse is a failure, not a skip: the filesystem is the product.
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

if [ ! -c /dev/fuse ]; then
	bad "/dev/fuse is missing: the filesystem cannot be tested here"
	e2e_done
	exit 1
fi

canon() { numq | jq -cS . | LC_ALL=C sort; }
# An object's name under objects/: 16 hex digits of a "0x…" address (8 on a
# 32-bit dump; HEXW is set per dump).
HEXW=16
hex16() { printf '%0*x' "$HEXW" "$(( $1 ))"; }
show_diff() { # what want got
	bad "$1 (< want, > got):"
	diff "$2" "$3" | head -n 6 | cut -c1-300 | sed 's/^/    /' >&2
}
# Unmounts m and waits until it is gone.
umnt() {
	fusermount3 -u "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
	for _ in $(seq 50); do mountpoint -q "$1" || return 0; sleep 0.1; done
	return 1
}

# ---- the helper's command line -------------------------------------------
d0=$BUILD/dumps/zoo.heap.dmp
m=$tmp/m0
mkdir -p "$m"
mounts="$mounts $m"
check "a file that is no dump fails before mounting" \
	bash -c "! '$MOUNT' /etc/passwd '$m' 2>'$tmp/err' && grep -q passwd '$tmp/err' && ! mountpoint -q '$m'"
check "a missing dump fails before mounting" \
	bash -c "! '$MOUNT' '$tmp/none.dmp' '$m' 2>/dev/null && ! mountpoint -q '$m'"
check "an unknown option is refused" bash -c "! '$MOUNT' '$d0' '$m' -o depth=x 2>/dev/null && ! mountpoint -q '$m'"
check "no MOUNTPOINT is a usage error" bash -c "'$MOUNT' '$d0' 2>/dev/null; test \$? = 2"
# as mount(8) calls a helper, with fstab-style options
if "$MOUNT" "$d0" "$m" -o rw,noauto,nofail,x-systemd.automount,depth=1,cache=8,max_read=65536 2>"$tmp/err"; then
	ok
	check "mounted read-only as fuse.clrheap" bash -c "findmnt -no FSTYPE,OPTIONS '$m' | grep -q '^fuse.clrheap *ro,'"
	check "the source is the dump" bash -c "findmnt -no SOURCE '$m' | grep -q 'zoo.heap.dmp$'"
	check "permissions checked by the kernel, no allow_other unless asked" \
		bash -c "findmnt -no OPTIONS '$m' | grep -q default_permissions && ! findmnt -no OPTIONS '$m' | grep -q allow_other"
	check "files are read-only to everyone, owned by the mounting user" \
		bash -c "test \"\$(stat -c '%a %u' '$m/stat.tsv')\" = \"444 \$(id -u)\""
	check "statfs answers" bash -c "stat -f '$m' >/dev/null"
	check "depth=1 inlines one level" bash -c "jq -e '.Next.Next | has(\"\$ref\")' '$m/types/Zoo.Node/instances.jsonl' | grep -q true"
	check "unmounts" umnt "$m"
else
	bad "mount with helper options failed: $(cat "$tmp/err")"
fi
# allow_other only when asked
if "$MOUNT" "$d0" "$m" -o allow_other 2>"$tmp/err"; then
	check "-o allow_other is passed on" bash -c "findmnt -no OPTIONS '$m' | grep -q allow_other"
	umnt "$m"
else
	bad "mount with -o allow_other failed: $(cat "$tmp/err")"
fi
# the JSON caps: collections end with {"$more":N}, long strings are cut
check "max_items=0 is refused" bash -c "! '$MOUNT' '$d0' '$m' -o max_items=0 2>'$tmp/err' && grep -q max_items '$tmp/err'"
check "max_string above the maximum is refused" bash -c "! '$MOUNT' '$d0' '$m' -o max_string=9999999999 2>/dev/null"
if "$MOUNT" "$d0" "$m" -o max_items=2,max_string=3 2>"$tmp/err"; then
	jq -c '{Ints, Breed: .Animals[0].Breed}' "$m/types/Zoo.Collections/instances.jsonl" >"$tmp/capped"
	full=$(ls "$m"/types/Zoo.Collections/instances/*/Ints/.items | wc -l)
	check "max_items=2: Ints shows 2 of $full and {\"\$more\":$((full - 2))}" \
		test "$(jq -c .Ints "$tmp/capped" | sed 's/.*,{/{/')" = "{\"\$more\":$((full - 2))}]"
	check "max_string=3: a string of more is cut, with its length" \
		test "$(jq -c .Breed "$tmp/capped")" = "$("$CLRHEAP" objects "$d0" --type Zoo.Collections |
			jq -c '.Animals[0].Breed | {"$string": .[0:3], "$length": length}')"
	umnt "$m"
else
	bad "mount with -o max_items,max_string failed: $(cat "$tmp/err")"
fi
# -f stays in the foreground until unmounted
"$MOUNT" "$d0" "$m" -f 2>"$tmp/err" &
fg=$!
for _ in $(seq 100); do mountpoint -q "$m" && break; sleep 0.05; done
check "-f mounts in the foreground" mountpoint -q "$m"
umnt "$m"
check "-f returns 0 after unmount" wait $fg

# ---- every dump ----------------------------------------------------------
n=0
for d in ${T_MOUNT_ONLY:-$(e2e_dumps)}; do
	name=$(basename "$d")
	dir=$(basename "$(dirname "$d")")
	truth=$(e2e_truth "$d")
	[ -f "$truth" ] || { bad "$dir/$name: no truth file"; continue; }
	# the checks below read the truth's type counts and assembly; a fixture
	# whose truth has neither (tasks, waste) is mounted by its own test
	if ! jq -e '.counts and .assembly' "$truth" >/dev/null; then
		echo "  $dir/$name: no type counts in its truth; its own test mounts it"
		continue
	fi
	HEXW=$(( 2 * $("$CLRHEAP" info --json "$d" | jq .pointer_size) ))
	n=$((n + 1))
	m=$tmp/m$n
	mkdir -p "$m"
	mounts="$mounts $m"
	t0=$(date +%s%N)
	if ! "$MOUNT" "$d" "$m" 2>"$tmp/err"; then
		bad "$dir/$name: mount failed: $(cat "$tmp/err")"
		continue
	fi
	ls "$m" >/dev/null
	t1=$(date +%s%N)
	w="$dir/$name"
	# zoo (its truth's app is the fixture's name), visits, or another app
	# (generics): only the checks every truth allows
	app=$(jq -r .app "$truth")
	case $app in zoo*) app=zoo ;; esac
	jq -e .objects_file "$truth" >/dev/null && app=visits
	dll=$(jq -r '.assembly | split("/") | last | split("\\") | last' "$truth")

	# 1. parallel readers first, on a cold mount: the .json of up to 1000
	# instances and the instances.jsonl of the truth's types. Eight readers
	# each read the whole list at once (the same files rendered by several
	# threads), and eight read one eighth each; all equal one reader after.
	jq -r '.counts | keys[]' "$truth" | grep -v '\[' >"$tmp/ctypes"
	: >"$tmp/pfiles"
	while IFS= read -r t; do
		echo "$m/types/$(tdir "$t")/instances.jsonl"
		find "$m/types/$(tdir "$t")/instances" -mindepth 1 -printf "$m/objects/%f/.json\n" | head -n 100
	done <"$tmp/ctypes" | head -n 1000 >"$tmp/pfiles"
	np=$(wc -l <"$tmp/pfiles")
	split -n l/8 -d "$tmp/pfiles" "$tmp/chunk."
	for i in 0 1 2 3 4 5 6 7; do
		xargs -d '\n' cat <"$tmp/pfiles" >"$tmp/all.$i" &
		xargs -d '\n' cat <"$tmp/chunk.0$i" >"$tmp/part.$i" &
	done
	wait
	xargs -d '\n' cat <"$tmp/pfiles" >"$tmp/one"
	cat "$tmp"/part.? >"$tmp/parts"
	same=1
	for i in 0 1 2 3 4 5 6 7; do cmp -s "$tmp/one" "$tmp/all.$i" || same=0; done
	check "$w: 8 parallel readers of $np files read what one reads" test $same = 1
	check "$w: 8 readers of eighths read what one reads" cmp -s "$tmp/one" "$tmp/parts"
	check "$w: parallel reads not empty" test -s "$tmp/one"

	# 2. types: every own type, its count in type.json and instances/
	ls "$m/types" >"$tmp/types"
	jq -r '.counts | to_entries[] | "\(.key)\t\(.value)"' "$truth" | LC_ALL=C sort >"$tmp/counts"
	miss=0
	: >"$tmp/tdirs"
	while IFS=$'\t' read -r t c; do
		td=$(tdir "$t")
		if grep -qxF -- "$td" "$tmp/types"; then echo "$m/types/$td"; else miss=$((miss + 1)); fi
	done <"$tmp/counts" >"$tmp/tdirs"
	check "$w: ls types lists every own type ($miss missing)" test $miss = 0
	sed 's|$|/type.json|' "$tmp/tdirs" | xargs -d '\n' jq -r '"\(.name)\t\(.count)"' | LC_ALL=C sort >"$tmp/tj"
	if cmp -s "$tmp/counts" "$tmp/tj"; then ok; else show_diff "$w: type.json counts" "$tmp/counts" "$tmp/tj"; fi
	sed 's|$|/instances|' "$tmp/tdirs" | xargs -d '\n' find | grep '/instances/' |
		sed 's|/instances/[^/]*$||; s|.*/types/||; s|%2F|/|g' | LC_ALL=C sort | uniq -c |
		awk '{ c = $1; sub(/^ *[0-9]+ /, ""); print $0 "\t" c }' | LC_ALL=C sort >"$tmp/ic"
	awk -F'\t' '$2 > 0' "$tmp/counts" >"$tmp/counts.nz"
	if cmp -s "$tmp/counts.nz" "$tmp/ic"; then ok; else show_diff "$w: instances/ counts" "$tmp/counts.nz" "$tmp/ic"; fi
	vt=$(jq -r '.objects_type // "Zoo.Node"' "$truth")
	[ "$app" = zoo ] || [ "$app" = visits ] ||
		vt=$(jq -r '[.counts | keys[] | select(contains("[") | not)][0]' "$truth")
	check "$w: ls instances | wc -l of $vt" \
		test "$(ls "$m/types/$(tdir "$vt")/instances" | wc -l)" = "$(jq -r --arg t "$vt" '.counts[$t]' "$truth")"
	check "$w: type.json is JSON" jq -e .mt "$m/types/System.String/type.json" >/dev/null
	check "$w: stat.tsv has a header and rows" \
		bash -c "head -n1 '$m/stat.tsv' | grep -q \$'^mt\\tcount\\ttotal_size\\ttype\$' && test \$(wc -l <'$m/stat.tsv') -gt 10"
	check "$w: dump.json is JSON" jq -e '.objects > 0' "$m/dump.json" >/dev/null

	# 3. instances.jsonl equals the truth (exact numbers, any order)
	if [ "$app" = visits ]; then
		vt=$(jq -r .objects_type "$truth")
		ts=$(date +%s%N)
		cat "$m/types/$(tdir "$vt")/instances.jsonl" >"$tmp/got.raw"
		te=$(date +%s%N)
		canon <"$tmp/got.raw" >"$tmp/got"
		canon <"$(dirname "$d")/$(jq -r .objects_file "$truth")" >"$tmp/want"
		jq -c . "$(dirname "$d")/$(jq -r .objects_file "$truth")" | head -n 3 >"$tmp/sample"
	else
		jq -r '.objects[]."$type"' "$truth" | LC_ALL=C sort -u >"$tmp/otypes"
		while IFS= read -r t; do echo "$m/types/$(tdir "$t")/instances.jsonl"; done <"$tmp/otypes" |
			xargs -d '\n' cat >"$tmp/got.raw"
		canon <"$tmp/got.raw" >"$tmp/got"
		numq <"$truth" | jq -c '.objects[]' | jq -cS . | LC_ALL=C sort >"$tmp/want"
		if [ "$app" = zoo ]; then
			jq -c '.objects[] | select(."$type" == "Zoo.Node" or ."$type" == "Zoo.Strings" or ."$type" == "Zoo.Dog")' "$truth"
		else
			jq -c '.objects[:20][]' "$truth"
		fi >"$tmp/sample"
	fi
	check "$w: instances.jsonl lines parse with jq" jq -e . "$tmp/got" >/dev/null
	if "$REFCMP" "$tmp/want" "$tmp/got" >/dev/null; then ok; else
		show_diff "$w: instances.jsonl differs from the truth" "$tmp/want" "$tmp/got"
	fi

	# 4. fields of sample objects: find -maxdepth 1 shows each field, a
	# value file holds the value and "\n", a reference is a relative link
	jq -r '."$addr" as $a | del(."$addr", ."$type") | to_entries[] | .value as $v
		| ($v | type) as $t
		| if $t == "string" then
			(if ($v | test("^[^\\u0000-\\u001f]*$")) then "\($a)\t\(.key)\tv\t\($v)" else "\($a)\t\(.key)\t-\t" end)
		  elif $t == "number" then
			(if ($v | fabs) < 1000000 then "\($a)\t\(.key)\tv\t\($v)" else "\($a)\t\(.key)\t-\t" end)
		  elif $t == "boolean" or $t == "null" then "\($a)\t\(.key)\tv\t\($v)"
		  elif $t == "object" and (($v."$addr" // $v."$ref") != null) then
			"\($a)\t\(.key)\tl\t\($v."$addr" // $v."$ref")"
		  else "\($a)\t\(.key)\t-\t" end' "$tmp/sample" >"$tmp/expect"
	: >"$tmp/ffail"
	nf=0
	while IFS=$'\t' read -r a k kind val; do
		o=$m/objects/$(hex16 "$a")
		nf=$((nf + 1))
		case $kind in
		v)	got=""
			IFS= read -r -d '' got <"$o/$k"
			[ "$got" = "$val"$'\n' ] || echo "cat $a/$k: want '$val', got '${got:0:200}'" >>"$tmp/ffail" ;;
		l)	got=$(readlink "$o/$k")
			[ "$got" = "../$(hex16 "$val")" ] || echo "readlink $a/$k: want ../$(hex16 "$val"), got $got" >>"$tmp/ffail" ;;
		*)	[ -e "$o/$k" ] || echo "$a/$k is missing" >>"$tmp/ffail" ;;
		esac
	done <"$tmp/expect"
	check "$w: cat and readlink of $nf fields give the truth" test ! -s "$tmp/ffail"
	head -n 5 "$tmp/ffail" | sed 's/^/    /' >&2
	cut -f1,2 "$tmp/expect" | LC_ALL=C sort >"$tmp/f.want"
	jq -r '."$addr"' "$tmp/sample" | while IFS= read -r a; do
		find "$m/objects/$(hex16 "$a")" -maxdepth 1 -mindepth 1 ! -name '.*' -printf "$a\t%f\n"
	done | LC_ALL=C sort >"$tmp/f.got"
	if cmp -s "$tmp/f.want" "$tmp/f.got"; then ok; else
		show_diff "$w: find objects/<addr> -maxdepth 1 shows every field" "$tmp/f.want" "$tmp/f.got"
	fi

	# 5. zoo: the ring of two Nodes, followed by cd and readlink
	if [ "$app" = zoo ]; then
		ra=$(jq -r '.objects[] | select(."$type" == "Zoo.Node" and .Name == "ring-a") | ."$addr"' "$truth")
		rb=$(jq -r '.objects[] | select(."$type" == "Zoo.Node" and .Name == "ring-b") | ."$addr"' "$truth")
		A=$(hex16 "$ra") B=$(hex16 "$rb")
		check "$w: ring-a/Next -> ring-b" test "$(readlink "$m/objects/$A/Next")" = "../$B"
		check "$w: ring-b/Next -> ring-a" test "$(readlink "$m/objects/$B/Next")" = "../$A"
		p=$(cd "$m/objects/$A" && for _ in $(seq 41); do cd Next || exit 1; done && pwd -P)
		check "$w: cd Next 41 times from ring-a ends at ring-b" test "$p" = "$m/objects/$B"
		check "$w: the cycle reads its names" test "$(cat "$m/objects/$A/Next/Next/Next/Name")" = ring-b
		check "$w: readlink -f resolves through the cycle" \
			test "$(readlink -f "$m/objects/$A/Next/Next/Next/Next")" = "$m/objects/$A"
		# an address inside an object leads to it
		inner=$(hex16 $((ra + 9)))
		check "$w: an inner address links to its object" test "$(readlink "$m/objects/$inner")" = "$A"
		check "$w: .type of a Node" test "$(readlink "$m/objects/$A/.type")" = ../../types/Zoo.Node
		check "$w: base of Dog" test "$(readlink "$m/types/Zoo.Dog/base")" = ../Zoo.Animal
		# statics, and thread statics: one directory per thread that has them
		check "$w: a static field" test "$(cat "$m/types/Zoo.Statics/statics/Counter")" = 42
		check "$w: a struct static is a directory" test -d "$m/types/Zoo.Statics/statics/Origin"
		jq -r '.thread_statics[] | .type as $t | .thread as $th | .fields | to_entries[]
			| "\($t)\t\($th)\t\(.key)\t\(if (.value | type) == "object" then "@" + .value."$addr" else .value end)"' \
			"$truth" >"$tmp/ts"
		check "$w: the truth lists thread statics" test -s "$tmp/ts"
		while IFS=$'\t' read -r t th k val; do
			f="$m/types/$(tdir "$t")/statics/.threads/$th/$k"
			case $val in
			@*) check "$w: thread $th's $k" test "$(readlink "$f")" = "../../../../../objects/$(hex16 "${val#@}")" ;;
			*) check "$w: thread $th's $k = $val" test "$(cat "$f")" = "$val" ;;
			esac
		done <"$tmp/ts"
	fi

	# 6. logical views: a queue's items in order, a stack's top first
	if [ "$app" = visits ]; then
		# the mailbox's arrivals queue (the one Queue<VisitorMessage>), and
		# the seed's path to it: the static visitor -> its mailbox -> arrivals
		qt='System.Collections.Generic.Queue<Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage>'
		q="$m/objects/$(ls "$m/types/$(tdir "$qt")/instances" | head -n 1)"
		vf=$(jq -r '.statics[] | select(.value_type | test("MailboxProcessor<.*VisitorMessage>")) | "\(.type)/statics/\(.field)"' "$truth")
		check "$w: the seed's path leads to the arrivals queue" \
			test "$(readlink -f "$m/types/$vf/mailbox/arrivals")" = "$(readlink -f "$q")"
		cnt=$(jq -r .objects_count "$truth")
		check "$w: the arrivals queue lists $cnt messages" test "$(ls "$q/.items" | wc -l)" = "$cnt"
		jq -r '."$addr"' "$(dirname "$d")/$(jq -r .objects_file "$truth")" | head -n 50 >"$tmp/qa.want"
		for i in $(seq 0 49); do cat "$q/.items/$i/item/.address"; done >"$tmp/qa.got"
		check "$w: queued messages in the order posted" cmp -s "$tmp/qa.want" "$tmp/qa.got"
		last=$(jq -r '."$addr"' "$(dirname "$d")/$(jq -r .objects_file "$truth")" | tail -n 1)
		check "$w: the last queued message" test "$(cat "$q/.items/$((cnt - 1))/item/.address")" = "$last"
	elif [ "$app" = zoo ]; then
		for t in 'System.Collections.Generic.Queue<System.Int32>' 'System.Collections.Generic.Stack<System.String>'; do
			for o in "$m/types/$t/instances"/*; do
				want=$(jq -c '."$items"' "$o/.json")
				got=$(cd "$o/.items" && ls | sort -n | while read -r i; do cat "$i"; done | jq -Rsc 'split("\n") | .[:-1]')
				check "$w: $t .items equal \$items" test "$(jq -c 'map(tostring)' <<<"$want")" = "$got"
			done
		done
	fi

	# 7. read-only, missing paths, find ends
	for cmd in "touch $m/new" "mkdir $m/types/new" "rm $m/README.txt" "mv $m/stat.tsv $m/x" \
		   "chmod 777 $m/README.txt" "ln -s x $m/link" "truncate -s 0 $m/README.txt"; do
		check "$w: $cmd fails with EROFS" bash -c "$cmd 2>&1 | grep -q 'Read-only file system'"
	done
	check "$w: writing a file fails with EROFS" \
		bash -c "echo x 2>&1 >>'$m/types/System.String/type.json' | grep -q 'Read-only file system'"
	check "$w: a missing file is ENOENT" bash -c "cat '$m/nope' 2>&1 | grep -q 'No such file'"
	check "$w: a missing type is ENOENT" bash -c "ls '$m/types/No.Such.Type' 2>&1 | grep -q 'No such file'"
	check "$w: no object at 0x10" bash -c "ls '$m/objects/0000000000000010' 2>&1 | grep -q 'No such file'"
	case $app in
	zoo) ft=Zoo.Structs ;;
	visits) ft='Bugfree.Spo.Analytics.Cli.Domain+Visit' ;;
	*) ft=$(tdir "$vt") ;;
	esac
	ts2=$(date +%s%N)
	check "$w: find over types/$ft ends" bash -c "timeout 120 find '$m/types/$ft' >'$tmp/find'"
	te2=$(date +%s%N)
	check "$w: find saw its instances" test "$(grep -c '/instances/' "$tmp/find")" -gt 0
	check "$w: roots/strong lists handles" test "$(ls "$m/roots/strong" | wc -l)" -gt 0
	check "$w: roots/finalizer lists objects" test "$(ls "$m/roots/finalizer" | wc -l)" -gt 0
	h=$(ls "$m/roots/finalizer" | head -n 1)
	check "$w: a finalizer root is an object" test -f "$m/roots/finalizer/$h/.address"
	check "$w: roots/ has no data-block kind" bash -c "! ls '$m/roots' | grep -q '^type-'"
	# the zoo's ArrayPool holds a ConditionalWeakTable: a dependent handle
	# is a pair (primary, secondary when set), listed apart from the roots
	if [ "$app" = zoo ]; then
		dp=$(ls "$m/roots/dependent" 2>/dev/null | head -n 1)
		check "$w: roots/dependent lists pairs" test -n "$dp" -a -d "$m/roots/dependent/$dp"
		check "$w: a dependent pair's primary is an object" \
			test -f "$m/roots/dependent/$dp/primary/.address"
		check "$w: a pair has only primary and secondary" \
			bash -c "! ls '$m/roots/dependent/$dp' | grep -qv '^primary\$\|^secondary\$'"
	fi
	check "$w: modules/ has $dll" test -f "$m/modules/$dll/path"
	if [ "$app" = visits ]; then
		printf '  %s: ready %d ms, instances.jsonl %d ms, find %d ms\n' "$w" \
			$(((t1 - t0) / 1000000)) $(((te - ts) / 1000000)) $(((te2 - ts2) / 1000000))
	fi
	check "$w: unmounts" umnt "$m"
done
check "dumps mounted" test "$n" -gt 0
e2e_done

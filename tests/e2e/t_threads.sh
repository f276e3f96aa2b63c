#!/bin/bash
# clrheap threads on every real dump, the real programs' heap dumps where
# t_realprog.sh made them ($BUILD/realprog), and the dumps named in
# $THREADS_DUMPS (space-separated) when set:
#  1. the JSON is one document whose thread count is the ThreadStore's,
#     with no warning, and the table has one row per thread;
#  2. where the ClrMD oracle runs, every thread of ClrRuntime.Threads, in
#     order: its Thread*, OS id, managed id, System.Threading.Thread object,
#     GC mode, state bits, last thrown exception and allocation context
#     equal clrheap's; on Windows dumps also its stack base and limit (ClrMD
#     reads them from the TEB; on Linux it gives none);
#  3. through the mount (where FUSE works), on the zoo's dumps: threads/
#     has a folder per thread, thread.json is the CLI's JSON of it, the
#     links `thread` and `exception` point at its objects, and stack.tsv's
#     objects are the ones roots/stack/<osid>/ links to.
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
e2e_tmp_mount
oracle_build
dumps="$(e2e_dumps) $(ls "$BUILD"/realprog/*.dmp 2>/dev/null) ${THREADS_DUMPS:-}"
check "fixture dumps present" test -n "$(e2e_dumps)"
compared=0
for d in $dumps; do
	name=$(basename "$d")
	if ! "$CLRHEAP" threads "$d" --json >"$tmp/json" 2>"$tmp/err"; then
		bad "$name: clrheap threads --json failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	check "$name: no warnings" test ! -s "$tmp/err"
	n=$(jq '.threads | length' "$tmp/json")
	check "$name: $n threads, the ThreadStore's count ($(jq .thread_count "$tmp/json"))" \
		test "$n" = "$(jq .thread_count "$tmp/json")"
	check "$name: no warning in the JSON" test "$(jq -r .warning "$tmp/json")" = null
	"$CLRHEAP" threads "$d" >"$tmp/table" 2>"$tmp/err"
	check "$name: the table has a row per thread" test "$(grep -c '^ *[0-9X]\+ \+[0-9]\+ \+[0-9]\+ ' "$tmp/table")" = "$n"
	oracle_run "$d" threads >"$tmp/oracle" 2>"$tmp/oerr"
	case $? in
	0) ;;
	127) echo "  $name: no ClrMD oracle for this dump here" >&2; continue ;;
	*) bad "$name: the ClrMD oracle failed: $(head -c 300 "$tmp/oerr")"; continue ;;
	esac
	os=$(jq -r .os <<<"$("$CLRHEAP" info --json "$d")")
	w=16
	[ "$(jq -r .pointer_size <<<"$("$CLRHEAP" info --json "$d")")" = 4 ] && w=8
	# thread osid id object gc_mode state exception alloc_ptr alloc_limit [stack_base stack_limit]
	jq -r --arg os "$os" --argjson w "$w" '
		def h: if . == null then "-" else ltrimstr("0x") as $x |
			("0" * ([16 - ($x | length), 0] | max)) + $x end;
		.threads[] | [(.runtime_thread | h), (.os_id | tostring), (.managed_id | tostring),
			(.thread | h), .gc_mode, (.state | ltrimstr("0x")), (.exception | h),
			(.alloc_context.pointer | h), (.alloc_context.limit | h)] +
		(if $os == "windows" then [(.stack.base | h), (.stack.limit | h)] else [] end) |
		join("\t")' "$tmp/json" >"$tmp/mine"
	awk -F'\t' -v os="$os" 'NR > 1 { s = $1 "\t" $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6 "\t" $7 "\t" $9 "\t" $10
		if (os == "windows") s = s "\t" $11 "\t" $12
		print s }' "$tmp/oracle" >"$tmp/theirs"
	if diff "$tmp/mine" "$tmp/theirs" >"$tmp/diff"; then
		ok
		compared=$((compared + 1))
		echo "  $name: $n threads equal ClrMD's ($(awk -F'\t' '$4 != "-"' "$tmp/theirs" | wc -l) Thread objects, $(awk -F'\t' '$7 != "-"' "$tmp/theirs" | wc -l) exceptions)"
	else
		bad "$name: threads differ from ClrMD (< clrheap, > ClrMD):"; head -20 "$tmp/diff" | sed 's/^/    /' >&2
	fi
done
# 3. threads/ in the mount
mount_threads() {
	local d=$1 name t osid want
	name=$(basename "$d")
	"$CLRHEAP" threads "$d" --json >"$tmp/json" 2>/dev/null || { bad "$name: clrheap threads"; return; }
	mkdir -p "$m"
	"$MOUNT" "$d" "$m" 2>"$tmp/merr" || { bad "$name: mount failed: $(head -c 300 "$tmp/merr")"; return; }
	jq -r '.threads[] | if .os_id != 0 then (.os_id | tostring) else "managed-\(.managed_id)" end' \
		"$tmp/json" >"$tmp/names"
	ls -f "$m/threads" | grep -v '^\.\.\?$' >"$tmp/ls"
	check "mount $name: threads/ lists every thread in the runtime's order" cmp -s "$tmp/names" "$tmp/ls"
	local i=0 same=0 links=0 stacks=0
	while read -r t; do
		jq -c ".threads[$i]" "$tmp/json" >"$tmp/one"
		jq -c . "$m/threads/$t/thread.json" >"$tmp/mj" 2>/dev/null
		cmp -s "$tmp/one" "$tmp/mj" && same=$((same + 1))
		for l in thread exception; do
			want=$(jq -r ".threads[$i].$l" "$tmp/json")
			if [ "$want" = null ]; then
				[ ! -e "$m/threads/$t/$l" ] && links=$((links + 1))
			elif [ "$(cat "$m/threads/$t/$l/.address" 2>/dev/null)" = "$want" ]; then
				links=$((links + 1))
			fi
		done
		osid=$(jq -r ".threads[$i].os_id" "$tmp/json")
		if [ -f "$m/threads/$t/stack.tsv" ]; then
			tail -n +2 "$m/threads/$t/stack.tsv" | cut -f2 | sed 's/^0x//' |
				awk '{ printf "%016s\n", $0 }' | tr ' ' 0 | LC_ALL=C sort -u >"$tmp/st"
			ls "$m/roots/stack/$osid" 2>/dev/null | LC_ALL=C sort -u >"$tmp/rs"
			cmp -s "$tmp/st" "$tmp/rs" && stacks=$((stacks + 1))
		else
			stacks=$((stacks + 1))
		fi
		i=$((i + 1))
	done <"$tmp/names"
	check "mount $name: thread.json equals clrheap threads --json for $same of $i threads" test "$same" = "$i"
	check "mount $name: the thread and exception links of $i threads" test "$links" = $((2 * i))
	check "mount $name: stack.tsv's objects are roots/stack/<osid>/'s for $stacks of $i threads" \
		test "$stacks" = "$i"
	check "mount $name: stack.tsv has a header and some objects on the main thread" \
		test "$(head -n1 "$m/threads/$(head -n1 "$tmp/names")/stack.tsv")" = "$(printf 'slot\tobject\ttype')"
	fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
	echo "  mount $name: $i threads"
}
if [ -e /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
	for d in "$BUILD"/dumps/zoo.full.dmp "$BUILD"/dumps/zoo-win-x64.full.dmp "$BUILD"/dumps/zoo-net8.full.dmp \
		"$BUILD"/dumps/tasks.heap.dmp; do
		[ -f "$d" ] && mount_threads "$d"
	done
else
	echo "  no FUSE here: threads/ in the mount not checked" >&2
fi

# a file that is no dump: one line on stderr, exit status 1
printf 'not a dump' >"$tmp/bogus.dmp"
"$CLRHEAP" threads "$tmp/bogus.dmp" >"$tmp/out" 2>"$tmp/err"
check "threads on a file that is no dump fails with status 1 ($?)" test $? = 1
check "and says so in one line" test "$(wc -l <"$tmp/err")" = 1
echo "  compared with ClrMD on $compared dumps"
e2e_done

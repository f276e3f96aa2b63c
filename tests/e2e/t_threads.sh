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
#     reads them from the TEB; on Linux it gives none).
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
# a file that is no dump: one line on stderr, exit status 1
printf 'not a dump' >"$tmp/bogus.dmp"
"$CLRHEAP" threads "$tmp/bogus.dmp" >"$tmp/out" 2>"$tmp/err"
check "threads on a file that is no dump fails with status 1 ($?)" test $? = 1
check "and says so in one line" test "$(wc -l <"$tmp/err")" = 1
echo "  compared with ClrMD on $compared dumps"
e2e_done

#!/bin/bash
# clrheap exceptions on every real dump, the real programs' heap dumps where
# t_realprog.sh made them ($BUILD/realprog), and the dumps named in
# $EXCEPTIONS_DUMPS (space-separated) when set:
#  1. the JSON is one document, the text has one "Exception object:" per
#     exception, no frame is left unresolved and no decode ended early;
#  2. on the tasks fixtures (.NET 8, 9, 10) every exception of the truth is
#     there exactly once with its type, message, HResult, inner exception's
#     type and stack-trace method names in order; --type filters by base
#     type (Tasks.AppException: its own and its subclass's instance, found
#     by MethodTable hierarchy); the thrower thread's last thrown exception
#     is the truth's; each exception's own document (`show`) carries as
#     "$stackTrace" the frames `exceptions --json` lists (none when never
#     thrown);
#  3. where the ClrMD oracle runs, every exception ClrMD finds (address,
#     type, HResult, inner, stack-trace methods, message) equals clrheap's,
#     and so does every frame's offset in its method's code where ClrMD
#     knows that code;
#  4. through the mount (where FUSE works), on the tasks fixture:
#     exceptions/<addr>.txt is the CLI's text of that exception and
#     by-type.tsv counts what the JSON lists; objects/<addr>/.exception
#     links to it, and objects/<addr>/.json has its frames.
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
e2e_tmp_mount
oracle_build
dumps="$(e2e_dumps) $(ls "$BUILD"/realprog/*.dmp 2>/dev/null) ${EXCEPTIONS_DUMPS:-}"
check "fixture dumps present" test -n "$(e2e_dumps)"
compared=0 truths=0 offsets=0
# The truth's exceptions as "type<TAB>message<TAB>hresult<TAB>inner_type<TAB>frames", sorted.
truth_rows() {
	jq -r '.exceptions[] | [.type, (.message // "-"), (.hresult_hex | ltrimstr("0x")),
		(.inner_type // "-"), (.stack | join(" | "))] | join("\t")' "$1" | LC_ALL=C sort
}
# clrheap's, of the exceptions whose type is one the truth names.
mine_rows() {
	jq -r --slurpfile t "$2" '($t[0].exceptions | map(.type)) as $types | .exceptions[] |
		select(.type as $x | $types | index($x)) |
		[.type, (.message // "-"), (.hresult_hex | ltrimstr("0x")), (.inner_type // "-"),
		 ([.frames[] | .method // "?"] | join(" | "))] | join("\t")' "$1" | LC_ALL=C sort
}
for d in $dumps; do
	name=$(basename "$d")
	if ! "$CLRHEAP" exceptions "$d" --json >"$tmp/json" 2>"$tmp/err"; then
		bad "$name: clrheap exceptions --json failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	check "$name: the JSON is one document" jq -e .exceptions "$tmp/json" >/dev/null
	n=$(jq '.exceptions | length' "$tmp/json")
	"$CLRHEAP" exceptions "$d" >"$tmp/text" 2>"$tmp/err"
	check "$name: the text shows $n exceptions" test "$(grep -c '^Exception object: ' "$tmp/text")" = "$n"
	check "$name: every frame resolves to a method" \
		test "$(jq '[.exceptions[].frames[] | select(.method == null)] | length' "$tmp/json")" = 0
	check "$name: no stack trace ends early" \
		test "$(jq '[.exceptions[] | select(.warning != null)] | length' "$tmp/json")" = 0
	t=$(e2e_truth "$d")
	if [ -f "$t" ] && [ "$(jq -r .app "$t")" = tasks ]; then
		truth_rows "$t" >"$tmp/want"
		mine_rows "$tmp/json" "$t" >"$tmp/got"
		if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then
			ok
			truths=$((truths + 1))
			echo "  $name: the truth's $(wc -l <"$tmp/want") exceptions hold exactly (types, messages, HResults, inner, frames)"
		else
			bad "$name: exceptions differ from the truth (< truth, > clrheap):"; head -20 "$tmp/diff" | sed 's/^/    /' >&2
		fi
		"$CLRHEAP" exceptions "$d" --type Tasks.AppException --json >"$tmp/app" 2>/dev/null
		check "$name: --type Tasks.AppException lists its instance and its subclass's" \
			test "$(jq -r '[.exceptions[].type] | sort | join(",")' "$tmp/app")" = "Tasks.AppException,Tasks.OrderFailedException"
		"$CLRHEAP" exceptions "$d" --type System.Exception --json >"$tmp/all" 2>/dev/null
		check "$name: --type System.Exception lists all $n" test "$(jq '.exceptions | length' "$tmp/all")" = "$n"
		"$CLRHEAP" exceptions "$d" --type System.ArgumentException >"$tmp/arg" 2>/dev/null
		check "$name: --type System.ArgumentException shows the ArgumentNullException only" \
			test "$(grep '^Exception type:' "$tmp/arg" | awk '{print $3}')" = System.ArgumentNullException
		inner=$(jq -r '.exceptions[] | select(.type == "System.IO.InvalidDataException") | .inner' "$tmp/json")
		check "$name: the inner exception's address is the FormatException's" \
			test "$(jq -r --arg a "$inner" '.exceptions[] | select(.address == $a) | .type' "$tmp/json")" = System.FormatException
		same=0
		for a in $(jq -r '.exceptions[].address' "$tmp/json"); do
			want=$(jq -c --arg a "$a" '.exceptions[] | select(.address == $a) | [.frames[] | del(.code_start)]' "$tmp/json")
			got=$("$CLRHEAP" show "$d" "$a" 2>/dev/null | jq -c '."$stackTrace" // []')
			[ "$want" = "$got" ] && same=$((same + 1))
		done
		check "$name: \$stackTrace of $same of $n exceptions' documents is their frames" test "$same" = "$n"
		check "$name: and some exception has frames there" \
			test "$(jq '[.exceptions[] | select(.frames | length > 0)] | length' "$tmp/json")" -gt 0
		thrown=$("$CLRHEAP" threads "$d" --json 2>/dev/null | jq -r '.threads[] | select(.name == "thrower") | .exception')
		check "$name: the thrower thread's exception is the truth's ApplicationException" \
			test "$(jq -r --arg a "$thrown" '.exceptions[] | select(.address == $a) | .message' "$tmp/json")" = "thrower gave up"
	fi
	oracle_run "$d" exceptions >"$tmp/oracle" 2>"$tmp/oerr"
	case $? in
	0) ;;
	127) echo "  $name: no ClrMD oracle for this dump here" >&2; continue ;;
	*) bad "$name: the ClrMD oracle failed: $(head -c 300 "$tmp/oerr")"; continue ;;
	esac
	jq -r 'def h: if . == null then "-" else ltrimstr("0x") as $x |
			("0" * ([16 - ($x | length), 0] | max)) + $x end;
		def esc: if . == null then "-" else gsub("\\\\"; "\\\\") | gsub("\t"; "\\t") |
			gsub("\n"; "\\n") | gsub("\r"; "\\r") end;
		.exceptions[] | [(.address | h), .type, (.hresult_hex | ltrimstr("0x")), (.inner | h),
			([.frames[] | .method // "?"] | join(" | ")), (.message | esc)] | join("\t")' \
		"$tmp/json" >"$tmp/mine"
	tail -n +2 "$tmp/oracle" >"$tmp/theirs"
	if diff "$tmp/mine" "$tmp/theirs" >"$tmp/diff"; then
		ok
		compared=$((compared + 1))
		echo "  $name: $n exceptions equal ClrMD's ($(jq '[.exceptions[].frames[]] | length' "$tmp/json") frames)"
	else
		bad "$name: exceptions differ from ClrMD (< clrheap, > ClrMD):"; head -20 "$tmp/diff" | sed 's/^/    /' >&2
	fi
	# each frame's offset in its method's code, where ClrMD knows that code
	r=$(frame_offsets "$d" "$tmp/json") || { bad "$name: $r"; continue; }
	check "$name: every frame offset ClrMD gives equals clrheap's (${r% *} compared)" test "${r#* }" = 0
	offsets=$((offsets + ${r% *}))
done
check "the truth of the tasks fixtures checked" test "$truths" -ge 1
[ "$compared" -gt 0 ] && echo "  frame offsets equal ClrMD's: $offsets"

# 4. exceptions/ in the mount
mount_exceptions() {
	local d=$1 name a same=0 i=0 linked=0 framed=0
	name=$(basename "$d")
	"$CLRHEAP" exceptions "$d" --json >"$tmp/json" 2>/dev/null || { bad "$name: clrheap exceptions"; return; }
	mkdir -p "$m"
	"$MOUNT" "$d" "$m" 2>"$tmp/merr" || { bad "$name: mount failed: $(head -c 300 "$tmp/merr")"; return; }
	if [ ! -d "$m/exceptions" ]; then
		bad "mount $name: no exceptions/"
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
		return
	fi
	for a in $(jq -r '.exceptions[].address | ltrimstr("0x")' "$tmp/json"); do
		i=$((i + 1))
		a=$(printf '%016s' "$a" | tr ' ' 0)
		"$CLRHEAP" exceptions "$d" >"$tmp/text" 2>/dev/null
		awk -v a="$a" '/^Exception object: / { on = ($3 == a) } on' "$tmp/text" | sed '${/^$/d}' >"$tmp/one"
		cmp -s "$tmp/one" "$m/exceptions/$a.txt" && same=$((same + 1))
		o=$m/objects/0x${a#"${a%%[!0]*}"}
		[ "$(readlink "$o/.exception")" = "../../exceptions/$a.txt" ] && cmp -s "$o/.exception" "$tmp/one" &&
			linked=$((linked + 1))
		[ "$(jq -c '."$stackTrace" // [] | map(.method)' "$o/.json")" = \
			"$(jq -c --arg a "0x${a#"${a%%[!0]*}"}" '.exceptions[] | select(.address == $a) | .frames | map(.method)' "$tmp/json")" ] &&
			framed=$((framed + 1))
	done
	check "mount $name: exceptions/<addr>.txt is the CLI's text for $same of $i exceptions" test "$same" = "$i"
	check "mount $name: objects/<addr>/.exception links to it for $linked of $i" test "$linked" = "$i"
	check "mount $name: objects/<addr>/.json has the frames of $framed of $i" test "$framed" = "$i"
	s=$("$CLRHEAP" objects "$d" --type System.String 2>/dev/null | head -n 1 | jq -r '."$addr"')
	check "mount $name: a string has no .exception" test ! -e "$m/objects/$s/.exception"
	jq -r '.exceptions | group_by(.type) | map([length, .[0].type]) | sort_by(-.[0], .[1]) | .[] |
		"\(.[0])\t\(.[1])"' "$tmp/json" | sed '1i count\ttype' >"$tmp/bt"
	check "mount $name: by-type.tsv counts the JSON's exceptions" cmp -s "$tmp/bt" "$m/exceptions/by-type.tsv"
	check "mount $name: the root lists exceptions" sh -c "ls '$m' | grep -qx exceptions"
	fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
	echo "  mount $name: $i exceptions"
}
if [ -e /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
	[ -f "$BUILD/dumps/tasks.heap.dmp" ] && mount_exceptions "$BUILD/dumps/tasks.heap.dmp"
else
	echo "  no FUSE here: exceptions/ in the mount not checked" >&2
fi

# a file that is no dump: one line on stderr, exit status 1
printf 'not a dump' >"$tmp/bogus.dmp"
"$CLRHEAP" exceptions "$tmp/bogus.dmp" >"$tmp/out" 2>"$tmp/err"
check "exceptions on a file that is no dump fails with status 1 ($?)" test $? = 1
check "and says so in one line" test "$(wc -l <"$tmp/err")" = 1
echo "  compared with ClrMD on $compared dumps"
e2e_done

#!/bin/bash
# The corruption suite: copies of the real fixture dumps damaged the ways a
# failed copy, a bad disk or a hostile writer would (contrib/fuzz/
# corrupt_plan.c picks real targets in each dump: objects' MethodTable
# pointers, string and array lengths, heap pages, segment records, GC
# globals, ELF headers and notes, truncation at many points, minidump
# streams (two Windows dumps, x86 and x64, among them); and the first
# dump rewritten as a minidump, with its streams damaged). For each:
# `clrheap stat`, `clrheap objects --all` and, for a set of cases, the mount
# (stat.tsv, find, instances.jsonl) must finish within a time bound, never crash (exit < 124, no sanitizer report), never write
# the dump, either fail with one line naming the file or show at least
# every object before the damage, and never lose objects without a
# warning. Prints a matrix (case x dump: outcome, objects shown); the full
# rows go to $BUILD/t_corrupt.tsv.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
mnt=$tmp/mnt
cleanup() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
PLAN=$BUILD/fuzz/corrupt_plan
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
# Cases also mounted (on the first dump; a mount costs more than a stat).
MOUNT_CASES=${CORRUPT_MOUNT_CASES:-"mt-garbage mt-zero string-negative array-huge page-zeroed page-garbage mt-base-size-huge segment-loop-self segment-huge generation-garbage heap-range-dropped cut-last-page cut-at-50% elf-phnum-zero note-descsz"}
can_mount=
[ -c /dev/fuse ] && [ -x "$MOUNT" ] && can_mount=1
LIMIT=${CORRUPT_TIMEOUT:-60}
DUMPS=${CORRUPT_DUMPS:-"visits.heap.dmp zoo-svr.heap.dmp zoo-seg.heap.dmp zoo-net8.full.dmp zoo-win-x86.full.dmp zoo-win-x64.full.dmp"}
tsv=$BUILD/t_corrupt.tsv
has_objects=
"$CLRHEAP" 2>&1 | grep -q 'clrheap objects' && has_objects=1
check "corrupt_plan built" test -x "$PLAN"
[ -n "$can_mount" ] || bad "no /dev/fuse or no $MOUNT: the damaged dumps cannot be mounted"
printf 'dump\tcase\tdamage\texit\toutcome\tshown\tclean\tmust\tobjects\tmount\n' >"$tsv"

# put FILE OFF HEX: writes the bytes HEX (pairs of hex digits) at OFF.
put() {
	printf "$(sed 's/../\\x&/g' <<<"$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# fill FILE OFF COUNT BYTE: writes COUNT bytes of value BYTE (decimal).
fill() {
	head -c "$3" /dev/zero | tr '\0' "\\$(printf %03o "$4")" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# restore FILE OFF COUNT: copies the original bytes back.
restore() {
	dd if="$orig" of="$1" bs=1 skip="$2" seek="$2" count="$3" conv=notrunc status=none
}

# run CASE FILE MUST TYPE: runs the commands on FILE and judges them;
# sets the row fields.
run() {
	local name=$1 f=$2 must=$3 type=$4 before after
	before=$(stat -c '%.9Y %s' "$f")
	timeout "$LIMIT" "$CLRHEAP" stat "$f" >"$tmp/out" 2>"$tmp/err"; rc=$?
	shown=-; outcome=; orc=-
	if [ $rc -ge 124 ]; then
		outcome="CRASH or HANG (exit $rc)"; bad "$dname $name: clrheap stat exit $rc: $(tail -n 3 "$tmp/err")"
	elif grep -q -e 'runtime error' -e 'Sanitizer' "$tmp/err"; then
		outcome="sanitizer report"; bad "$dname $name: $(grep -m2 -e 'runtime error' -e Sanitizer "$tmp/err")"
	elif [ $rc -ne 0 ]; then
		outcome="error: $(head -n1 "$tmp/err" | sed "s|$f: ||; s|^clrheap: ||")"
		if [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -qF -- "$f" "$tmp/err"; then
			bad "$dname $name: error is not one line naming the file: $(head -c 300 "$tmp/err")"
		elif [ "$must" -gt 0 ]; then
			bad "$dname $name: failed, but $must objects before the damage must be shown: $(cat "$tmp/err")"
		else ok; fi
	else
		shown=$(sed -n 's/^Total \([0-9]*\) objects.*/\1/p' "$tmp/out")
		nw=$(grep -c . "$tmp/err")
		if [ "$nw" -gt 0 ]; then
			outcome="$nw warnings: $(head -n1 "$tmp/err" | sed "s|$f: ||; s|^clrheap: warning: ||")"
		else
			outcome="no warning"
		fi
		if [ -z "$shown" ]; then
			bad "$dname $name: no total line"
		elif [ "$shown" -lt "$must" ]; then
			bad "$dname $name: $shown objects shown, $must before the damage"
		elif [ "$nw" = 0 ] && [ "$shown" != "$clean" ]; then
			bad "$dname $name: $shown objects instead of $clean, without a warning"
		elif grep -v -q "^clrheap: warning: $f: " "$tmp/err"; then
			bad "$dname $name: stderr line not a warning naming the file: $(grep -v -m1 "^clrheap: warning: " "$tmp/err")"
		else ok; fi
	fi
	if [ -n "$has_objects" ] && [ $rc = 0 ]; then
		# every object as JSON: one valid line per object stat counted
		timeout "$LIMIT" "$CLRHEAP" objects "$f" --all >"$tmp/oout" 2>"$tmp/oerr"; orc=$?
		nobj=$(wc -l <"$tmp/oout")
		if [ $orc -ge 124 ] || grep -q -e 'runtime error' -e 'Sanitizer' "$tmp/oerr"; then
			bad "$dname $name: clrheap objects exit $orc: $(tail -n 3 "$tmp/oerr")"
		elif [ "$nobj" -lt "$must" ]; then
			bad "$dname $name: clrheap objects printed $nobj objects, $must before the damage"
		elif ! jq empty "$tmp/oout" 2>"$tmp/jerr"; then
			bad "$dname $name: clrheap objects printed invalid JSON: $(head -c 200 "$tmp/jerr")"
		else ok; fi
		orc="$orc ($nobj objects)"
	fi
	after=$(stat -c '%.9Y %s' "$f")
	check "$dname $name: the dump is not written" test "$before" = "$after"
}

# mount_case CASE FILE SHOWN: mounts FILE in the foreground (so a crash
# is seen) and reads it: stat.tsv and objects/ count what clrheap stat
# showed, find over the top two levels and the instances.jsonl of the
# damaged type end in time, and the mount goes away cleanly. A dump that cannot be
# opened must not be mounted, with one line naming the file.
mount_case() {
	local name=$1 f=$2 shown=$3 pid up=
	mkdir -p "$mnt"
	"$MOUNT" -f "$f" "$mnt" 2>"$tmp/merr" &
	pid=$!
	for _ in $(seq 100); do
		mountpoint -q "$mnt" && { up=1; break; }
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$up" ]; then
		wait $pid; local rc=$?
		if [ "$shown" != - ]; then
			bad "$dname $name: not mounted (exit $rc): $(head -c 300 "$tmp/merr")"
		elif [ $rc = 0 ] || [ $rc -ge 124 ] || [ "$(wc -l <"$tmp/merr")" != 1 ] ||
			! grep -qF -- "$f" "$tmp/merr"; then
			bad "$dname $name: mount refused with exit $rc: $(head -c 300 "$tmp/merr")"
		else ok; mounted="refused"; fi
		return
	fi
	local n
	n=$(timeout "$LIMIT" awk -F'\t' 'NR > 1 { n += $2 } END { print n + 0 }' "$mnt/stat.tsv")
	check "$dname $name: mounted stat.tsv counts $shown objects (got $n)" test "$n" = "$shown"
	timeout "$LIMIT" find "$mnt" -maxdepth 2 >"$tmp/find" 2>/dev/null; local frc=$?
	check "$dname $name: find over the mount ends (exit $frc)" test $frc -lt 124
	n=$(grep -c "^$mnt/objects/" "$tmp/find")
	check "$dname $name: objects/ lists the $shown objects (got $n)" test "$n" = "$shown"
	if [ -n "$mtype" ] && [ "$mtype" != - ]; then
		timeout "$LIMIT" cat "$mnt/types/${mtype//\//%2F}/instances.jsonl" >"$tmp/jsonl" 2>/dev/null
		local crc=$?
		check "$dname $name: instances.jsonl of $mtype read in time, valid JSON (exit $crc)" \
			eval "[ $crc -lt 124 ] && jq empty '$tmp/jsonl' 2>/dev/null"
	fi
	fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
	wait $pid; local rc=$?
	if [ $rc -ne 0 ] || grep -q -e 'runtime error' -e 'Sanitizer' "$tmp/merr"; then
		bad "$dname $name: mount.clrheap exit $rc: $(tail -n 3 "$tmp/merr")"
	else ok; fi
	mounted="$(wc -l <"$tmp/find") entries"
}

declare -A cell
cases=()
# The first dump again as a minidump: the same process, the other reader
# (when it is an ELF core; a Windows dump is a minidump already).
mdmp=${DUMPS%% *}
mdmp=${mdmp%%.*}.mdmp
if [ "$(head -c 4 "$BUILD/dumps/${DUMPS%% *}")" = MDMP ]; then
	mdmp=
elif [ -x "$PLAN" ] && "$PLAN" --minidump "$BUILD/dumps/${DUMPS%% *}" "$tmp/$mdmp" 2>"$tmp/perr"; then
	DUMPS="$DUMPS $mdmp"
else
	bad "${DUMPS%% *} as a minidump: $(cat "$tmp/perr")"
fi
for dname in $DUMPS; do
	orig=$BUILD/dumps/$dname
	[ "$dname" = "$mdmp" ] && orig=$tmp/$mdmp
	if [ ! -f "$orig" ]; then bad "$orig missing"; continue; fi
	sum=$(cksum <"$orig")
	if ! "$PLAN" "$orig" >"$tmp/plan" 2>"$tmp/perr"; then
		bad "$dname: corrupt_plan: $(cat "$tmp/perr")"; continue
	fi
	clean=$(sed -n 's/^# total //p' "$tmp/plan")
	"$CLRHEAP" stat "$orig" >"$tmp/out" 2>/dev/null
	check "$dname: the clean walk shows $clean objects" grep -q "^Total $clean objects" "$tmp/out"
	copy=$tmp/copy-$dname
	cp "$orig" "$copy"
	cut=
	while IFS=$'\t' read -r name op off arg must type what; do
		case $name in '#'*) continue ;; esac
		case $op in
		patch)
			put "$copy" "$off" "$arg"
			run "$name" "$copy" "$must" "$type"
			restore "$copy" "$off" $((${#arg} / 2)) ;;
		fill)
			fill "$copy" "$off" "${arg%%:*}" "${arg#*:}"
			run "$name" "$copy" "$must" "$type"
			restore "$copy" "$off" "${arg%%:*}" ;;
		cut) # longest first: one copy, truncated step by step
			[ -n "$cut" ] || { cut=$tmp/cut.dmp; cp "$orig" "$cut"; }
			truncate -s "$off" "$cut"
			run "$name" "$cut" 0 -
			# what the engine shows of it when opened leniently
			len=$(timeout "$LIMIT" "$PLAN" --lenient "$cut" 2>/dev/null); lrc=$?
			if [ $lrc -ge 124 ]; then bad "$dname $name: lenient open exit $lrc"; fi
			outcome="$outcome; lenient open: ${len:-error} objects" ;;
		esac
		mounted=-
		if [ -n "$can_mount" ] && [ "$dname" = "${DUMPS%% *}" ] && [[ " $MOUNT_CASES " == *" $name "* ]]; then
			mtype=$type
			[ "$op" = cut ] && { mount_case "$name" "$cut" -; } ||
				{ [ "$op" = patch ] && put "$copy" "$off" "$arg"
				  [ "$op" = fill ] && fill "$copy" "$off" "${arg%%:*}" "${arg#*:}"
				  mount_case "$name" "$copy" "$shown"
				  if [ "$op" = patch ]; then restore "$copy" "$off" $((${#arg} / 2)); fi
				  if [ "$op" = fill ]; then restore "$copy" "$off" "${arg%%:*}"; fi; }
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$dname" "$name" "$what" "$rc" \
			"$outcome" "$shown" "$clean" "$must" "$orc" "$mounted" >>"$tsv"
		[ -n "${cell[$name]+x}" ] || cases+=("$name")
		if [ $rc -ge 124 ]; then c="CRASH"; elif [ $op = cut ]; then c="error (${len:-error})"
		elif [ $rc -ne 0 ]; then c="error"
		elif [ "$outcome" = "no warning" ]; then c="ok $shown/$clean"
		else c="warn $shown/$clean"; fi
		cell[$name]="${cell[$name]:-}|$dname=$c"
	done <"$tmp/plan"
	rm -f "$cut"
	check "$dname: the copy is restored byte for byte" cmp -s "$copy" "$orig"
	check "$dname: the fixture is unchanged" test "$sum" = "$(cksum <"$orig")"
	rm -f "$copy"
done

# The matrix: one row per case, one column per dump.
{
	printf '%-24s' case
	for dname in $DUMPS; do printf ' %-20s' "${dname%.dmp}"; done
	echo
	for name in "${cases[@]}"; do
		printf '%-24s' "$name"
		for dname in $DUMPS; do
			v=$(tr '|' '\n' <<<"${cell[$name]}" | sed -n "s/^$dname=//p")
			printf ' %-20s' "${v:--}"
		done
		echo
	done
} | sed 's/^/  /'
echo "  (warn/ok N/M: N objects shown of M in the clean dump; error (N): clrheap"
echo "  refuses the truncated dump, the engine opened leniently shows N objects; rows: $tsv)"
e2e_done

#!/bin/bash
# bench/seed.sh: the seed story at its real size (422,813 F# Visit records in
# a MailboxProcessor), timed against the read limit and the tools people use
# today, all on one heap dump, warm page cache. Each figure is the median of
# RUNS runs (default 5; 3 for the .NET tools). Makes the dump with
# fixtures/make-dumps.sh when $BUILD/seed has none. SEED_DUMP=PATH times
# another dump of the visits app instead (e.g. one made on Windows).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
BUILD=${BUILD:-build}
[ -x "$BUILD/mount.clrheap" ] || make -s
B=$(cd "$BUILD" && pwd)
if [ -n "${SEED_DUMP:-}" ]; then
	dump=$(readlink -f "$SEED_DUMP")
	[ -f "$dump" ] || { echo "bench/seed.sh: $SEED_DUMP: no such dump" >&2; exit 1; }
else
	dump=$B/seed/visits.heap.dmp
	[ -f "$dump" ] || ONLY=visits sh fixtures/make-dumps.sh "$B/seed" 422813 >&2
fi
os=$("$B/clrheap" info --json "$dump" | jq -r .os)
VISIT='Bugfree.Spo.Analytics.Cli.Domain+Visit'
mnt=$(mktemp -d)
tmp=$(mktemp -d)
cleanup() { fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; rm -rf "$mnt" "$tmp"; }
trap cleanup EXIT

now() { date +%s.%N; }
# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
# timeit N CMD...: median seconds of N runs of CMD (output discarded)
timeit() {
	local n=$1; shift
	for _ in $(seq "$n"); do
		local s e
		s=$(now); "$@" >/dev/null 2>&1; e=$(now)
		awk -v a="$s" -v b="$e" 'BEGIN{print b - a}'
	done | median
}
mount_it() { "$B/mount.clrheap" "$dump" "$mnt"; }
umount_it() { fusermount3 -u "$mnt"; }

cat "$dump" >/dev/null
t_read=$(timeit "$RUNS" cat "$dump")
t_stat=$(timeit "$RUNS" "$B/clrheap" stat "$dump")
t_objects=$(timeit "$RUNS" "$B/clrheap" objects "$dump" --type "$VISIT")

# Mount to first answer: a fresh mount each run, timed until `ls types` returns.
for _ in $(seq "$RUNS"); do
	s=$(now); mount_it; ls "$mnt/types" >/dev/null; e=$(now)
	awk -v a="$s" -v b="$e" 'BEGIN{print b - a}'
	umount_it
done | median >"$tmp/ready"
t_ready=$(cat "$tmp/ready")

jsonl="$mnt/types/$VISIT/instances.jsonl"
declare -A T
for what in cat jq find; do
	for _ in $(seq "$RUNS"); do
		mount_it
		s=$(now)
		case $what in
		cat) cat "$jsonl" >/dev/null ;;
		jq) jq -c '{LoginName, VisitUrl, Timestamp}' "$jsonl" >"$tmp/visits.jsonl" ;;
		find) find "$mnt/types/$VISIT/instances" -type l | wc -l >"$tmp/found" ;;
		esac
		e=$(now)
		awk -v a="$s" -v b="$e" 'BEGIN{print b - a}'
		umount_it
	done | median >"$tmp/t"
	T[$what]=$(cat "$tmp/t")
done
lines=$(wc -l <"$tmp/visits.jsonl")
# jq's own cost: the same extraction from the same lines in a plain file.
mount_it; cat "$jsonl" >"$tmp/plain.jsonl"; umount_it
t_jqplain=$(timeit "$RUNS" jq -c '{LoginName, VisitUrl, Timestamp}' "$tmp/plain.jsonl")
found=$(cat "$tmp/found")

# Peak RSS of the driver after all of the above on one mount.
mount_it
pid=$(pgrep -n -f "mount.clrheap $dump $mnt")
ls "$mnt/types" >/dev/null
cat "$jsonl" >/dev/null
find "$mnt/types/$VISIT/instances" -type l >/dev/null
rss=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
umount_it

# The tools people use today, where this machine has them. On a Windows
# dump ClrMD runs under Wine with the Windows DAC (tests/e2e/lib.sh's
# oracle); dotnet-dump has no such way.
t_clrmd="" t_dd=""
if [ "$os" = windows ] && command -v wine >/dev/null 2>&1 && command -v dotnet >/dev/null 2>&1; then
	# shellcheck source=/dev/null
	BUILD=$B . tests/e2e/lib.sh
	set +u
	oracle_build >/dev/null 2>&1
	oracle_run "$dump" objects "$VISIT" >/dev/null 2>&1 &&
		t_clrmd=$(timeit 3 oracle_run "$dump" objects "$VISIT")
	set -u
elif command -v dotnet >/dev/null 2>&1; then
	odir=$B/oracle
	[ -f "$odir/clrmd-oracle.dll" ] ||
		dotnet build contrib/clrmd-oracle/clrmd-oracle.csproj -c Release -o "$odir" -nologo -v quiet >/dev/null 2>&1 || true
	[ -f "$odir/clrmd-oracle.dll" ] &&
		t_clrmd=$(timeit 3 dotnet "$odir/clrmd-oracle.dll" objects "$dump" "$VISIT")
	tools=$B/tools
	[ -x "$tools/dotnet-dump" ] || dotnet tool install dotnet-dump --tool-path "$tools" >/dev/null 2>&1 || true
	[ -x "$tools/dotnet-dump" ] &&
		t_dd=$(timeit 3 "$tools/dotnet-dump" analyze "$dump" -c "dumpheap -stat" -c exit)
fi

r() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", a / b}'; }
printf '\nseed dump: %s (%d MB), %s visits extracted by jq, %s links found; median of %s runs\n\n' \
	"$dump" $(( $(stat -c %s "$dump") / 1048576 )) "$lines" "$found" "$RUNS"
printf '| what | seconds | vs read limit |\n|---|---|---|\n'
printf '| cat DUMP > /dev/null (read limit) | %.3f | 1.0 |\n' "$t_read"
printf '| mount to first `ls types` | %.3f | %s |\n' "$t_ready" "$(r "$t_ready" "$t_read")"
printf '| cat instances.jsonl > /dev/null | %.3f | %s |\n' "${T[cat]}" "$(r "${T[cat]}" "$t_read")"
printf '| jq -c {LoginName, VisitUrl, Timestamp} > file | %.3f | %s |\n' "${T[jq]}" "$(r "${T[jq]}" "$t_read")"
printf '| (jq alone: the same from a plain file) | %.3f | %s |\n' "$t_jqplain" "$(r "$t_jqplain" "$t_read")"
printf '| find .../instances -type l / wc -l | %.3f | %s |\n' "${T[find]}" "$(r "${T[find]}" "$t_read")"
printf '| clrheap stat | %.3f | %s |\n' "$t_stat" "$(r "$t_stat" "$t_read")"
printf '| clrheap objects --type Visit | %.3f | %s |\n' "$t_objects" "$(r "$t_objects" "$t_read")"
if [ -n "$t_clrmd" ]; then
	printf '| ClrMD: the seed part 2 (enumerate Visits, recreate as JSON)%s | %.3f | %s (%sx clrheap objects) |\n' \
		"$([ "$os" = windows ] && echo ', under Wine')" "$t_clrmd" "$(r "$t_clrmd" "$t_read")" "$(r "$t_clrmd" "$t_objects")"
else
	printf '| ClrMD | n/a: no .NET SDK, or a Windows dump | |\n'
fi
if [ -n "$t_dd" ]; then
	printf '| dotnet-dump analyze -c "dumpheap -stat" | %.3f | %s (%sx clrheap stat) |\n' \
		"$t_dd" "$(r "$t_dd" "$t_read")" "$(r "$t_dd" "$t_stat")"
else
	printf '| dotnet-dump | n/a: not installable here, or a Windows dump | |\n'
fi
printf '\npeak RSS of mount.clrheap after ls, cat instances.jsonl and find: %d MB\n' $((rss / 1024))

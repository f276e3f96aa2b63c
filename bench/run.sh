#!/bin/bash
# bench/run.sh [N]: the heap-walk benchmark. Builds bench/apps/many, runs it
# with N objects of mixed types (default 10,000,000), takes a heap dump with
# the runtime's createdump, and times on that one dump, warm:
#   - cat DUMP > /dev/null           the read limit
#   - clrheap stat                   the DAC-free walk
#   - ClrMD stat (contrib/clrmd-oracle), where the .NET SDK builds it
# Each figure is the median of RUNS runs (default 5). Prints a table with
# objects per second and ratios. Output goes to $BENCH_DIR (build/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
RUNS=${RUNS:-5}
BUILD=${BUILD:-build}
OUT=${BENCH_DIR:-$BUILD/bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CLRHEAP=$PWD/$BUILD/clrheap
[ -x "$CLRHEAP" ] || make -s
dump=$OUT/many-$N.heap.dmp

if [ ! -f "$dump" ]; then
	echo "bench: building and running the app with $N objects..." >&2
	dotnet build bench/apps/many/Many.csproj -c Release -o "$OUT/many" -nologo -v quiet >"$OUT/build.log" 2>&1 ||
		{ cat "$OUT/build.log" >&2; exit 1; }
	fifo=$OUT/stdin.fifo
	rm -f "$fifo"; mkfifo "$fifo"
	dotnet "$OUT/many/many.dll" "$N" <"$fifo" >"$OUT/app.out" 2>&1 &
	app=$!
	exec 9>"$fifo"
	trap 'exec 9>&-; kill $app 2>/dev/null || true; rm -f "$fifo"' EXIT
	for _ in $(seq 600); do grep -q '^READY ' "$OUT/app.out" && break; sleep 0.5; done
	pid=$(awk '/^READY /{print $2}' "$OUT/app.out")
	[ -n "$pid" ] || { echo "bench: the app did not get ready" >&2; cat "$OUT/app.out" >&2; exit 1; }
	rtdir=$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/{v=$2; p=$3} END{gsub(/[\[\]]/,"",p); print p "/" v}')
	"$rtdir/createdump" -h -f "$dump" "$pid" >"$OUT/createdump.log" 2>&1
	exec 9>&-
	wait "$app" 2>/dev/null || true
	trap - EXIT
	rm -f "$fifo"
fi

# median SECONDS of running "$@" RUNS times (output discarded)
median() {
	local t=()
	for _ in $(seq "$RUNS"); do
		local s e
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		t+=("$(awk -v a="$s" -v b="$e" 'BEGIN{print b - a}')")
	done
	printf '%s\n' "${t[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}

objects=$("$CLRHEAP" stat "$dump" | awk '/^Total/{print $2}')
size=$(stat -c %s "$dump")
cat "$dump" >/dev/null
t_cat=$(median cat "$dump")
t_stat=$(median "$CLRHEAP" stat "$dump")
t_oracle=""
if command -v dotnet >/dev/null 2>&1; then
	odir=$BUILD/oracle
	[ -f "$odir/clrmd-oracle.dll" ] ||
		dotnet build contrib/clrmd-oracle/clrmd-oracle.csproj -c Release -o "$odir" -nologo -v quiet >/dev/null 2>&1 || true
	if [ -f "$odir/clrmd-oracle.dll" ]; then
		o_objects=$(dotnet "$odir/clrmd-oracle.dll" stat "$dump" | awk -F'\t' 'tolower($1)=="total"{print $2}')
		[ "$o_objects" = "$objects" ] || echo "bench: ClrMD counts $o_objects objects, clrheap $objects" >&2
		t_oracle=$(RUNS=$(( RUNS < 3 ? RUNS : 3 )) median dotnet "$odir/clrmd-oracle.dll" stat "$dump")
	fi
fi
rate() { awk -v n="$objects" -v t="$1" 'BEGIN{printf "%.1f", n / t / 1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
printf '\nheap dump: %s (%d MB), %s objects; median of %s runs, warm page cache\n\n' \
	"$dump" $((size / 1048576)) "$objects" "$RUNS"
printf '| what | seconds | M objects/s | vs clrheap stat |\n|---|---|---|---|\n'
printf '| cat DUMP > /dev/null (read limit) | %.3f | | %s |\n' "$t_cat" "$(ratio "$t_cat" "$t_stat")"
printf '| clrheap stat | %.3f | %s | 1.00 |\n' "$t_stat" "$(rate "$t_stat")"
if [ -n "$t_oracle" ]; then
	printf '| ClrMD stat (DAC) | %.3f | %s | %s |\n' "$t_oracle" "$(rate "$t_oracle")" "$(ratio "$t_oracle" "$t_stat")"
else
	printf '| ClrMD stat (DAC) | n/a: no .NET SDK | | |\n'
fi

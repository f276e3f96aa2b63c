#!/bin/bash
# Real programs this project did not write: heap dumps of the Roslyn
# compiler server right after a build, the MSBuild worker node that build
# left, and the shop web app (fixtures/apps/shop: ASP.NET Core minimal APIs)
# after 4,000 requests, made by `fixtures/make-dumps.sh --real` into
# $BUILD/realprog (reused when nothing they are made from changed;
# fixtures/README.md, "Real programs"). Each is checked against the ClrMD
# oracle (contrib/clrmd-oracle):
#  - clrheap stat: every row (MethodTable, count, size, name) and the totals
#    equal ClrMD's, and stat warns of nothing;
#  - `clrheap objects --all` at default options is at most 10x the heap's
#    bytes with no line over 64 MiB (read up to 10x the heap and a byte), and
#    warns of nothing but modules Reflection.Emit built (their metadata is not
#    in an image).
# A line per program with the figures and times (printed, never judged).
# Not run (passing) without the .NET SDK, on a machine without .NET
# (tests/no-runtime.sh), or in a sanitized build (the plain build's pass
# runs it); REALPROG=1 runs it anyway, REALPROG=0 never.
. "$(dirname "$0")/lib.sh"
skip() { echo "  $*; real programs not run"; exit 0; }
[ "${REALPROG:-}" != 0 ] || skip "REALPROG=0"
[ -z "${CLRHEAP_NO_RUNTIME:-}" ] || skip "no .NET runtime reachable (tests/no-runtime.sh)"
command -v dotnet >/dev/null 2>&1 || skip "no .NET SDK"
[ -n "$(dotnet --list-sdks 2>/dev/null)" ] || skip "dotnet without an SDK"
if [ "${REALPROG:-}" != 1 ]; then
	case $(basename "$BUILD") in *asan* | *tsan*) skip "sanitized build $BUILD (the plain build's pass runs them)" ;; esac
fi
command -v curl >/dev/null 2>&1 || skip "no curl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# 1. the dumps
out=$BUILD/realprog
t0=$(now)
if ! bash fixtures/make-dumps.sh --real "$out" 2>"$tmp/make.log"; then
	bad "make-dumps.sh --real failed:"
	tail -n 20 "$tmp/make.log" | sed 's/^/    /' >&2
fi
grep -e 'heap dump' -e 'reusing' -e 'served' "$tmp/make.log" | sed 's/^make-dumps: /  /'
make_s=$(since "$t0")
oracle_build
[ -f "$E2E_ORACLE/clrmd-oracle.dll" ] || bad "no ClrMD oracle: nothing to compare with"

table=""
for prog in roslyn msbuild shop; do
	d=$out/$prog.heap.dmp
	if [ ! -f "$d" ]; then
		bad "$prog: no dump $d"
		continue
	fi
	# 2. stat: every row and the totals
	t0=$(now)
	if ! "$CLRHEAP" stat "$d" >"$tmp/stat" 2>"$tmp/err"; then
		bad "$prog: clrheap stat failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	stat_s=$(since "$t0")
	check "$prog: stat warns of nothing" test ! -s "$tmp/err"
	[ -s "$tmp/err" ] && head -n 5 "$tmp/err" | sed 's/^/    /' >&2
	t0=$(now)
	if ! dotnet "$E2E_ORACLE/clrmd-oracle.dll" stat "$d" >"$tmp/ostat" 2>"$tmp/oerr"; then
		bad "$prog: the ClrMD oracle failed: $(head -c 300 "$tmp/oerr")"
		continue
	fi
	ostat_s=$(since "$t0")
	sed '1d;$d' "$tmp/stat" | LC_ALL=C sort >"$tmp/mine"
	grep -v -i -e '^mt' -e '^total' "$tmp/ostat" | LC_ALL=C sort >"$tmp/theirs"
	rows=$(wc -l <"$tmp/theirs")
	same=$(LC_ALL=C comm -12 "$tmp/mine" "$tmp/theirs" | wc -l)
	if [ "$same" = "$rows" ] && [ "$(wc -l <"$tmp/mine")" = "$rows" ]; then ok; else
		bad "$prog: $((rows - same)) of $rows stat rows differ from ClrMD (< clrheap, > ClrMD):"
		diff "$tmp/mine" "$tmp/theirs" | head -n 10 | cut -c1-300 | sed 's/^/    /' >&2
	fi
	mine=$(tail -n1 "$tmp/stat" | awk '{print $2, $4, $6}')
	theirs=$(grep -i '^total' "$tmp/ostat" | awk -F'\t' '{print $2, $3, $4+0}')
	check "$prog: totals $mine = ClrMD $theirs" test "$mine" = "$theirs"
	heap=$(echo "$mine" | awk '{print $2}')

	# 3. objects --all at default options, in proportion to the heap
	t0=$(now)
	cap=$((10 * heap + 1))
	"$CLRHEAP" objects "$d" --all 2>"$tmp/err" | head -c "$cap" |
		LC_ALL=C awk '{ n++; l = length($0); b += l + 1; if (l > m) m = l }
			END { printf "%.0f %d %.0f\n", b, n, m }' >"$tmp/allm"
	st=("${PIPESTATUS[@]}")
	all_s=$(since "$t0")
	read -r abytes alines amax <"$tmp/allm"
	if [ "$abytes" -lt "$cap" ]; then
		[ "${st[0]}" = 0 ] || bad "$prog: clrheap objects --all failed: $(head -c 300 "$tmp/err")"
	fi
	check "$prog: objects --all is at most 10x the heap's $heap bytes (wrote $abytes)" test "$abytes" -lt "$cap"
	# the only warning allowed: a module Reflection.Emit built (no image to read)
	grep -v -e 'dynamic module (Reflection.Emit)' "$tmp/err" >"$tmp/err.other" || true
	check "$prog: objects --all warns of nothing but dynamic modules" test ! -s "$tmp/err.other"
	[ -s "$tmp/err.other" ] && head -n 5 "$tmp/err.other" | sed 's/^/    /' >&2
	check "$prog: no line of objects --all over 64 MiB (longest $amax)" test "$amax" -le $((64 << 20))

	line=$(printf '%-8s stat rows %s/%s equal (clrheap %ss, ClrMD %ss); objects --all %s bytes for a %s-byte heap (%s x, %s lines, longest %s) in %ss' \
		"$prog" "$same" "$rows" "$stat_s" "$ostat_s" "$abytes" "$heap" \
		"$(awk -v a="$abytes" -v b="$heap" 'BEGIN { printf "%.1f", a / b }')" "$alines" "$amax" "$all_s")
	table="$table  $line
"
done
echo "  -- real programs (dumps made or reused in ${make_s}s):"
printf '%s' "$table"
e2e_done

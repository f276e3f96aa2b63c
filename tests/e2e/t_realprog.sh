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
#    in an image);
#  - shop: object by object, up to 10 instances of each of the ~100 types
#    of varied shape the oracle's `pick` chooses, clrheap's document equals
#    ClrMD's (`objects --logical`) but for what only clrheap decodes
#    (tests/e2e/realprog-same.jq says what is not compared, and why);
#  - roslyn: values .NET prints that the comparison skips or that gave the
#    wrong text before: a [Flags] enum of 200 members in a 2-D array
#    ("Int, Lifted"), a method handle with no method to name;
#  - every frame of the exceptions' stack traces has its offset in its
#    method's code, equal to ClrMD's (ReadyToRun code: CoreLib, Roslyn).
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

compare_objects() { # dump: sets objs_n, objs_same
	local d=$1 t
	objs_n=0 objs_same=0
	if ! dotnet "$E2E_ORACLE/clrmd-oracle.dll" pick "$d" --prefer Shop >"$tmp/pick" 2>"$tmp/oerr"; then
		bad "shop: oracle pick failed: $(head -c 300 "$tmp/oerr")"
		return
	fi
	mapfile -t types < <(cut -f3 "$tmp/pick")
	check "shop: the oracle picked types of many shapes (${#types[@]})" test "${#types[@]}" -ge 60
	if ! dotnet "$E2E_ORACLE/clrmd-oracle.dll" objects "$d" --logical --limit 10 "${types[@]}" \
		>"$tmp/or" 2>"$tmp/oerr"; then
		bad "shop: oracle objects failed: $(head -c 300 "$tmp/oerr")"
		return
	fi
	: >"$tmp/me"
	for t in "${types[@]}"; do
		"$CLRHEAP" objects "$d" --type "$t" >>"$tmp/me" 2>>"$tmp/err.o" ||
			bad "shop: clrheap objects --type $t failed: $(tail -n 1 "$tmp/err.o")"
	done
	jq -r '."$addr"' "$tmp/or" | LC_ALL=C sort -u >"$tmp/or.a"
	awk 'NR == FNR { want[$0] = 1; next }
		{ if (match($0, /^\{"\$addr":"0x[0-9a-f]*"/) && substr($0, 11, RLENGTH - 11) in want) print }' \
		"$tmp/or.a" "$tmp/me" | numq >"$tmp/me.q"
	numq <"$tmp/or" >"$tmp/or.q"
	objs_n=$(wc -l <"$tmp/or.q")
	jq -n -r --slurpfile o "$tmp/or.q" --slurpfile m "$tmp/me.q" -f tests/e2e/realprog-same.jq >"$tmp/why"
	objs_same=$((objs_n - $(wc -l <"$tmp/why")))
	if [ -s "$tmp/why" ]; then
		bad "shop: $(wc -l <"$tmp/why") of $objs_n objects differ from ClrMD's (type, first path):"
		LC_ALL=C sort "$tmp/why" | uniq -c | sort -rn | head -n 10 | cut -c1-300 | sed 's/^/    /' >&2
	else ok; fi
	check "shop: every object the oracle rendered ($objs_n) is compared" test "$objs_n" -ge 500
}
roslyn_values() { # dump
	local d=$1
	"$CLRHEAP" objects "$d" --type 'Microsoft.CodeAnalysis.CSharp.BinaryOperatorKind[,]' >"$tmp/bok" 2>&1 ||
		bad "roslyn: objects of BinaryOperatorKind[,] failed: $(head -c 300 "$tmp/bok")"
	check "roslyn: BinaryOperatorKind[,] holds \"Int, Lifted\"" grep -q '"Int, Lifted"' "$tmp/bok"
	check "roslyn: no BinaryOperatorKind[,] element is a bare number" \
		test "$(jq '[.. | numbers] | length' "$tmp/bok" | sort -u)" = 0
	"$CLRHEAP" objects "$d" --type System.RuntimeMethodInfoStub >"$tmp/stub" 2>/dev/null
	# named where the method is known, else the plain struct (a dump may
	# hold either kind only)
	check "roslyn: each of its $(grep -c . "$tmp/stub") RuntimeMethodInfoStubs' handle is a method or the struct" \
		test "$(jq -r '.m_value | if has("$method") then "m" elif .["$type"] == "System.RuntimeMethodHandleInternal" and (.m_handle | type) == "number" then "s" else "bad" end' "$tmp/stub" | sort -u | grep -cvx '[ms]')" = 0 -a -s "$tmp/stub"
}

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

	# 4. object by object (one program: the oracle takes a while)
	cmp_s=-
	if [ "$prog" = shop ]; then
		t0=$(now)
		compare_objects "$d"
		cmp_s=$(since "$t0")
	fi
	[ "$prog" = roslyn ] && roslyn_values "$d"
	# 5. the stack traces' frame offsets, most of them in ReadyToRun code
	if "$CLRHEAP" exceptions "$d" --json >"$tmp/exc" 2>"$tmp/err"; then
		nf=$(jq '[.exceptions[].frames[]] | length' "$tmp/exc")
		check "$prog: every one of $nf frames has its offset" \
			test "$(jq '[.exceptions[].frames[] | select(.offset == null)] | length' "$tmp/exc")" = 0
		if r=$(frame_offsets "$d" "$tmp/exc"); then
			check "$prog: every frame offset ClrMD gives equals clrheap's (${r% *} compared)" test "${r#* }" = 0
		else bad "$prog: $r"; fi
	else
		bad "$prog: clrheap exceptions failed: $(head -c 300 "$tmp/err")"
	fi

	line=$(printf '%-8s stat rows %s/%s equal (clrheap %ss, ClrMD %ss); objects --all %s bytes for a %s-byte heap (%s x, %s lines, longest %s) in %ss' \
		"$prog" "$same" "$rows" "$stat_s" "$ostat_s" "$abytes" "$heap" \
		"$(awk -v a="$abytes" -v b="$heap" 'BEGIN { printf "%.1f", a / b }')" "$alines" "$amax" "$all_s")
	[ "$cmp_s" = - ] || line="$line; $objs_same of $objs_n objects equal ClrMD's in ${cmp_s}s"
	table="$table  $line
"
done
echo "  -- real programs (dumps made or reused in ${make_s}s):"
printf '%s' "$table"
e2e_done

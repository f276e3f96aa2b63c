#!/bin/bash
# clrheap stat on every real dump: the count of each of the app's own types
# equals the app's truth, and (where the .NET SDK can build the ClrMD oracle)
# every row -- MethodTable, count, total size, name -- and the totals equal
# ClrMD's reading of the same dump through the runtime's DAC.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
oracle=""
if command -v dotnet >/dev/null 2>&1; then
	odir=$BUILD/oracle
	if [ ! -f "$odir/clrmd-oracle.dll" ] || [ contrib/clrmd-oracle/Program.cs -nt "$odir/clrmd-oracle.dll" ]; then
		dotnet build contrib/clrmd-oracle/clrmd-oracle.csproj -c Release -o "$odir" -nologo -v quiet \
			>"$tmp/oracle-build.log" 2>&1 || { cat "$tmp/oracle-build.log" >&2; bad "building the ClrMD oracle"; }
	fi
	[ -f "$odir/clrmd-oracle.dll" ] && oracle="dotnet $odir/clrmd-oracle.dll"
fi
dumps=$(e2e_dumps)
check "fixture dumps present" test -n "$dumps"
for d in $dumps; do
	truth=$(e2e_truth "$d")
	if ! "$CLRHEAP" stat "$d" >"$tmp/stat" 2>"$tmp/err"; then
		bad "$d: clrheap stat failed: $(cat "$tmp/err")"
		continue
	fi
	check "$d: no warnings" test ! -s "$tmp/err"
	# 1. the app's own types, against the truth it wrote
	jq -r '.counts | to_entries[] | "\(.key)\t\(.value)"' "$truth" | sort >"$tmp/want"
	awk -F'\t' 'NR == FNR { want[$1] = 1; next } FNR > 1 && ($4 in want) { c[$4] += $2 }
		END { for (k in c) print k "\t" c[k] }' "$tmp/want" "$tmp/stat" | sort >"$tmp/got"
	if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then ok; else
		bad "$d: own type counts differ from the truth (< truth, > clrheap):"; sed 's/^/    /' "$tmp/diff" >&2
	fi
	check "$d: header and total lines" bash -c "head -n1 '$tmp/stat' | grep -q \$'^mt\\tcount\\ttotal_size\\ttype\$' && tail -n1 '$tmp/stat' | grep -q '^Total [0-9]* objects, [0-9]* bytes, [0-9]* types\$'"
	# 2. every row, against ClrMD
	[ -n "$oracle" ] || continue
	# The DAC next to libcoreclr.so, else the one of the runtime pack that
	# made a self-contained fixture (its folder may be gone).
	ver=$(jq -r .runtime "$truth")
	dac=$(ls "$HOME"/.nuget/packages/microsoft.netcore.app.runtime.linux-x64/"$ver"/runtimes/linux-x64/native/libmscordaccore.so 2>/dev/null | head -n1)
	if ! $oracle stat "$d" >"$tmp/ostat" 2>"$tmp/oerr" &&
		! { [ -n "$dac" ] && $oracle stat "$d" --dac "$dac" >"$tmp/ostat" 2>"$tmp/oerr"; }; then
		bad "$d: the ClrMD oracle failed: $(head -c 300 "$tmp/oerr")"
		continue
	fi
	sed '1d;$d' "$tmp/stat" | sort >"$tmp/mine"
	grep -v -i -e '^mt' -e '^total' "$tmp/ostat" | sort >"$tmp/theirs"
	if diff "$tmp/mine" "$tmp/theirs" >"$tmp/diff"; then ok; else
		bad "$d: rows differ from ClrMD (< clrheap, > ClrMD):"; head -20 "$tmp/diff" | sed 's/^/    /' >&2
	fi
	mine=$(tail -n1 "$tmp/stat" | awk '{print $2, $4, $6}')
	theirs=$(grep -i '^total' "$tmp/ostat" | awk -F'\t' '{print $2, $3, $4+0}')
	check "$d: totals $mine = ClrMD $theirs" test "$mine" = "$theirs"
done
e2e_done

#!/bin/bash
# clrheap info on every real dump: format, architecture, runtime version
# and the app's own assembly, checked against the truth the app wrote.
. "$(dirname "$0")/lib.sh"
dumps=$(e2e_dumps)
check "committed fixture dumps are present" test -n "$dumps"
for d in $dumps; do
	truth=$(e2e_truth "$d")
	name=$(basename "$d"); name=${name%%.*}; app=${name%%-*}
	out=$("$CLRHEAP" info --json "$d") || { bad "$d: info failed"; continue; }
	check "$d: valid JSON" jq -e . <<<"$out" >/dev/null
	# A Windows app (its runtime folder a Windows path) is in a minidump.
	ps=$(jq -r .pointer_size "$truth")
	fmt=elf os=linux rtname=libcoreclr.so arch=x86_64
	if jq -e '.runtime_dir | test("^[A-Za-z]:\\\\")' "$truth" >/dev/null; then
		fmt=minidump os=windows rtname=coreclr.dll
	fi
	[ "$ps" = 4 ] && arch=x86
	check "$d: format $fmt" test "$(jq -r .format <<<"$out")" = $fmt
	check "$d: os $os" test "$(jq -r .os <<<"$out")" = $os
	check "$d: arch $arch" test "$(jq -r .arch <<<"$out")" = $arch
	check "$d: pointer size $ps" test "$(jq -r .pointer_size <<<"$out")" = "$ps"
	check "$d: threads > 0" test "$(jq -r .threads <<<"$out")" -gt 0
	want=$(jq -r .runtime "$truth")
	got=$(jq -r .runtime.version <<<"$out")
	check "$d: runtime version $got = $want" test "$got" = "$want"
	check "$d: runtime is $rtname" test "$(jq -r '.runtime.module | split("/") | last | split("\\") | last' <<<"$out")" = $rtname
	check "$d: app assembly $app.dll listed" \
		jq -e --arg a "$app.dll" '[.app_assemblies[].path | split("/") | last | split("\\") | last] | index($a) != null' <<<"$out" >/dev/null
	check "$d: text form names the runtime" bash -c "'$CLRHEAP' info '$d' | grep -q '^runtime: *coreclr $want'"
done
e2e_done

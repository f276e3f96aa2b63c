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
	check "$d: format elf" test "$(jq -r .format <<<"$out")" = elf
	check "$d: arch x86_64" test "$(jq -r .arch <<<"$out")" = x86_64
	check "$d: pointer size 8" test "$(jq -r .pointer_size <<<"$out")" = 8
	check "$d: threads > 0" test "$(jq -r .threads <<<"$out")" -gt 0
	want=$(jq -r .runtime "$truth")
	got=$(jq -r .runtime.version <<<"$out")
	check "$d: runtime version $got = $want" test "$got" = "$want"
	check "$d: runtime is libcoreclr.so" test "$(jq -r '.runtime.module | split("/") | last' <<<"$out")" = libcoreclr.so
	check "$d: app assembly $app.dll listed" \
		jq -e --arg a "$app.dll" '[.app_assemblies[].path | split("/") | last] | index($a) != null' <<<"$out" >/dev/null
	check "$d: text form names the runtime" bash -c "'$CLRHEAP' info '$d' | grep -q '^runtime: *coreclr $want'"
done
e2e_done

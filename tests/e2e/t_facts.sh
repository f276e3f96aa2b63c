#!/bin/bash
# Built-in runtime facts and the refusals that say what to do:
# - every runtime file found on this machine (NuGet cache, .NET installs)
#   gives the record that is built in for its build (clrheap facts --check);
# - every committed heap dump reads the same with the facts as with the
#   runtime file (where the file is here), and the same with neither;
# - a real createdump --normal dump is refused as holding no GC heap;
# - a runtime build with neither facts nor file names what to pass.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check "the table lists 40 or more builds" test "$("$CLRHEAP" facts --list | wc -l)" -ge 40
files=$( (ls "$HOME"/.nuget/packages/microsoft.netcore.app.runtime.*/*/runtimes/*/native/libcoreclr.so \
	"$HOME"/.nuget/packages/microsoft.netcore.app.runtime.*/*/runtimes/*/native/coreclr.dll \
	/usr/share/dotnet/shared/Microsoft.NETCore.App/*/libcoreclr.so) 2>/dev/null || true)
if [ -n "$files" ]; then
	# shellcheck disable=SC2086
	"$CLRHEAP" facts --check $files >"$tmp/check" 2>&1
	check "every runtime file here equals its built-in facts ($(tail -n1 "$tmp/check"))" test $? = 0
	grep -v 'equals the built-in' "$tmp/check" | head -n 5 >&2
else
	echo "  (no runtime file on this machine: the facts are checked by the dumps below)"
fi

for d in "$BUILD"/dumps/*.heap.dmp; do
	n=$(basename "$d")
	"$CLRHEAP" stat "$d" >"$tmp/facts.tsv" 2>/dev/null
	check "$n: stat with the built-in facts" test -s "$tmp/facts.tsv"
	if CLRHEAP_FACTS=0 "$CLRHEAP" stat "$d" >"$tmp/file.tsv" 2>"$tmp/file.err"; then
		check "$n: stat with the runtime file equals stat with the facts" cmp -s "$tmp/facts.tsv" "$tmp/file.tsv"
	else
		# Without facts and without the file: one line naming what to pass.
		check "$n: without facts or file, the error names --search" grep -q -- '--search DIR' "$tmp/file.err"
		check "$n: ... and the build-id" grep -q 'elf:[0-9a-f]\{40\}' "$tmp/file.err"
		check "$n: ... on one line" test "$(wc -l <"$tmp/file.err")" = 1
	fi
done

zstd -q -d -f fixtures/dumps/nogc/zoo-net8.normal.dmp.zst -o "$tmp/normal.dmp"
for cmd in stat "objects --all" "types"; do
	# shellcheck disable=SC2086
	"$CLRHEAP" $cmd "$tmp/normal.dmp" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "createdump --normal dump: $cmd exits 1" test "$rc" = 1
	check "createdump --normal dump: $cmd says there is no GC heap" grep -q 'holds no GC heap' "$tmp/err"
	check "createdump --normal dump: $cmd says how to take a heap dump" grep -q 'createdump --withheap' "$tmp/err"
	check "createdump --normal dump: $cmd: one line" test "$(wc -l <"$tmp/err")" = 1
done
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
	mkdir -p "$tmp/mnt"
	"$BUILD/mount.clrheap" "$tmp/normal.dmp" "$tmp/mnt" 2>"$tmp/err"
	rc=$?
	mountpoint -q "$tmp/mnt" && fusermount3 -u "$tmp/mnt"
	check "createdump --normal dump: the mount is refused before mounting" test "$rc" = 1
	check "createdump --normal dump: the mount says there is no GC heap" grep -q 'holds no GC heap' "$tmp/err"
fi
e2e_done

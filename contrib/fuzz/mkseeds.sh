#!/bin/sh
# Regenerates the seed corpus in contrib/fuzz/corpus from the fixture dumps
# (run `make` and tests/e2e/prepare.sh first). The descriptor seeds are the
# JSON each installed runtime's libcoreclr.so carries. Inputs found while
# fuzzing (crash reproducers, contrib/fuzz/README.md) are kept: this only
# rewrites the seeds it makes.
set -e
BUILD=${BUILD:-build}
out=contrib/fuzz/corpus
mkdir -p "$out/elf" "$out/mdmp" "$out/md" "$out/desc" "$out/heap" "$BUILD/fuzz"
cc -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Iinclude -Itests -o "$BUILD/fuzz/mkseeds" \
	contrib/fuzz/mkseeds.c "$BUILD/libclrheap.a" \
	$(pkg-config --libs fuse3 jansson) -lm -lpthread
"$BUILD/fuzz/mkseeds" "$BUILD/dumps" "$out"
for so in /usr/share/dotnet/shared/Microsoft.NETCore.App/*/libcoreclr.so \
	"$HOME"/.nuget/packages/microsoft.netcore.app.runtime.linux-x64/*/runtimes/linux-x64/native/libcoreclr.so; do
	[ -f "$so" ] || continue
	v=$(basename "$(dirname "$so")")
	[ "$v" = native ] && v=$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$so")")")")")
	json=$(strings -n 100 "$so" | grep -m1 '^{"version"' || true)
	[ -n "$json" ] && printf '%s' "$json" >"$out/desc/runtime-$v.json" && echo "$out/desc/runtime-$v.json"
done

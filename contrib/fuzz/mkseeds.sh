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
# The Windows fixtures' minidump headers, directories and streams: everything
# before the Memory64List's data (the memory itself is left out).
u() { od -An -t"u$3" -j"$2" -N"$3" "$1" | tr -d ' '; } # FILE OFFSET SIZE
for w in zoo-win-x64 zoo-win-x86; do
	f=$BUILD/dumps/$w.full.dmp
	[ -f "$f" ] || continue
	n=$(u "$f" 8 4) dir=$(u "$f" 12 4) base=
	i=0
	while [ "$i" -lt "$n" ] && [ "$i" -lt 64 ]; do
		if [ "$(u "$f" $((dir + 12 * i)) 4)" = 9 ]; then
			base=$(u "$f" $(($(u "$f" $((dir + 12 * i + 8)) 4) + 8)) 8)
		fi
		i=$((i + 1))
	done
	[ -n "$base" ] && head -c "$base" "$f" >"$out/mdmp/real-$w-streams" && echo "$out/mdmp/real-$w-streams"
done

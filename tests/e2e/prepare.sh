#!/bin/sh
# Decompresses the committed fixture dumps into $BUILD/dumps, and where the
# .NET SDK is present (and CLRHEAP_NO_FRESH is unset) regenerates fresh dumps
# from source into $BUILD/fresh, and the seed story at its real size
# (422,813 visits, heap and full dump) into $BUILD/seed.
set -e
BUILD=${BUILD:-build}
mkdir -p "$BUILD/dumps"
for z in fixtures/dumps/*.zst; do
	[ -f "$z" ] || continue
	out="$BUILD/dumps/$(basename "$z" .zst)"
	if [ ! -f "$out" ] || [ "$z" -nt "$out" ]; then
		zstd -q -d -f "$z" -o "$out"
	fi
done
cp -f fixtures/dumps/*.json "$BUILD/dumps/" 2>/dev/null || true
if [ -z "${CLRHEAP_NO_FRESH:-}" ] && command -v dotnet >/dev/null 2>&1; then
	if [ ! -f "$BUILD/fresh/manifest.json" ]; then
		sh fixtures/make-dumps.sh "$BUILD/fresh"
	fi
	if [ ! -f "$BUILD/seed/manifest.json" ]; then
		ONLY=visits sh fixtures/make-dumps.sh "$BUILD/seed" 422813
	fi
fi

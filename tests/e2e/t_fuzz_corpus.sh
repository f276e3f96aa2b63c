#!/bin/bash
# Replays the committed corpus of every fuzz target (contrib/fuzz/corpus/
# NAME, seeds and the reproducers of every crash found) through the plain
# replayer $BUILD/fuzz/replay_NAME: each input must run to its end, within
# a time bound, with no crash (and no sanitizer report in `make asan check`).
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
names=$(ls contrib/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
check "fuzz targets present" test -n "$names"
for t in $names; do
	bin=$BUILD/fuzz/replay_$t
	dir=contrib/fuzz/corpus/$t
	if [ ! -x "$bin" ]; then bad "$bin not built"; continue; fi
	n=$(ls "$dir" 2>/dev/null | wc -l)
	if [ "$n" = 0 ]; then bad "$dir: empty corpus"; continue; fi
	start=$(date +%s%N)
	timeout 300 "$bin" "$dir" >"$tmp/out" 2>"$tmp/err"; rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ $rc -ne 0 ]; then
		bad "$t: replay exit $rc: $(tail -n 5 "$tmp/err")"
	elif ! grep -q "^$dir: $n inputs$" "$tmp/out"; then
		bad "$t: not every input ran: $(cat "$tmp/out")"
	elif grep -q -e 'runtime error' -e 'Sanitizer' "$tmp/err"; then
		bad "$t: sanitizer report: $(grep -m3 -e 'runtime error' -e Sanitizer "$tmp/err")"
	else
		ok
		echo "  $t: $n inputs in $ms ms"
	fi
done
e2e_done

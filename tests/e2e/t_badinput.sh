#!/bin/bash
# Bad DUMP arguments: one clear line on stderr naming the file, non-zero
# exit, never a crash or hang.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_error FILE PATTERN: clrheap info fails with one line matching PATTERN.
expect_error() {
	local f=$1 pat=$2 err rc
	err=$(timeout 10 "$CLRHEAP" info "$f" 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then bad "$f: exit $rc"; return; fi
	if [ "$(printf '%s\n' "$err" | wc -l)" != 1 ]; then bad "$f: not one line: $err"; return; fi
	if ! grep -q -- "$f" <<<"$err"; then bad "$f: message does not name the file: $err"; return; fi
	if ! grep -qiE -- "$pat" <<<"$err"; then bad "$f: '$err' !~ $pat"; return; fi
	ok
}
: >"$tmp/empty.dmp"
expect_error "$tmp/empty.dmp" "empty"
expect_error "$tmp" "directory"
expect_error "$tmp/missing.dmp" "no such file"
printf 'hello world, not a dump at all' >"$tmp/text.dmp"
expect_error "$tmp/text.dmp" "not an ELF core or a minidump"
printf '\177ELF' >"$tmp/short.dmp"
expect_error "$tmp/short.dmp" "truncated|too short"
printf 'MDMP' >"$tmp/short2.dmp"
expect_error "$tmp/short2.dmp" "truncated|too short"
# Real dumps cut at many points: each either opens or fails with one line.
d=$(e2e_dumps | head -n 1)
if [ -n "$d" ]; then
	size=$(stat -c %s "$d")
	for cut in 100 4096 65536 1000000 $((size / 2)) $((size - 1)); do
		[ "$cut" -lt "$size" ] || continue
		head -c "$cut" "$d" >"$tmp/cut.dmp"
		timeout 20 "$CLRHEAP" info "$tmp/cut.dmp" >/dev/null 2>"$tmp/err"; rc=$?
		if [ $rc -ge 124 ]; then bad "cut at $cut: exit $rc (crash or hang)"; continue; fi
		if [ $rc -ne 0 ] && [ "$(wc -l <"$tmp/err")" != 1 ]; then bad "cut at $cut: $(cat "$tmp/err")"; continue; fi
		ok
	done
else
	bad "no real dump to cut"
fi
e2e_done

#!/bin/sh
# Runs the unit suites (build/tests/test_*) and the end-to-end scripts
# (tests/e2e/*.sh), then prints one closing line: "N passed, N failed".
# ONLY=unit or ONLY=e2e runs one half.
BUILD=${BUILD:-build}
export BUILD
pass=0
fail=0
failed=""
run() { # name command...
	name=$1; shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAILED: $name" >&2
	fi
}
# Unit suites read the real fixture dumps too, so decompress them first.
sh tests/e2e/prepare.sh || { echo "FAILED: preparing dumps" >&2; fail=$((fail + 1)); }
if [ "${ONLY:-unit}" = unit ] || [ -z "${ONLY:-}" ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		case $t in *.d) continue ;; esac
		echo "== $(basename "$t")"
		run "$(basename "$t")" "$t"
	done
fi
if [ "${ONLY:-e2e}" = e2e ] || [ -z "${ONLY:-}" ]; then
	for t in tests/e2e/t_*.sh; do
		[ -f "$t" ] || continue
		echo "== $(basename "$t")"
		run "$(basename "$t")" bash "$t"
	done
fi
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

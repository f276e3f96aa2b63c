#!/bin/sh
# Runs the unit suites (build/tests/test_*) and the end-to-end scripts
# (tests/e2e/*.sh), then prints one closing line: "N passed, N failed".
# ONLY=unit or ONLY=e2e runs one half; SUITES="test_heap t_mount ..." runs
# only the suites named. Each suite's time is printed after it.
BUILD=${BUILD:-build}
export BUILD
pass=0
fail=0
failed=""
chosen() { # name: is it among $SUITES (or are all chosen)?
	case ${SUITES:-all} in all) return 0 ;; esac
	case " $SUITES " in *" $1 "*) return 0 ;; esac
	return 1
}
run() { # name command...
	name=$1; shift
	chosen "$name" || return 0
	echo "== $name"
	s0=$(date +%s)
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAILED: $name" >&2
	fi
	echo "-- $name $(($(date +%s) - s0)) s"
}
# Unit suites read the real fixture dumps too, so decompress them first.
sh tests/e2e/prepare.sh || { echo "FAILED: preparing dumps" >&2; fail=$((fail + 1)); }
if [ "${ONLY:-unit}" = unit ] || [ -z "${ONLY:-}" ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		case $t in *.d) continue ;; esac
		run "$(basename "$t")" "$t"
	done
fi
if [ "${ONLY:-e2e}" = e2e ] || [ -z "${ONLY:-}" ]; then
	for t in tests/e2e/t_*.sh; do
		[ -f "$t" ] || continue
		run "$(basename "$t" .sh)" bash "$t"
	done
fi
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

# Shared helpers for the end-to-end scripts (bash). Source it first.
set -u
BUILD=${BUILD:-build}
CLRHEAP=${CLRHEAP:-$BUILD/clrheap}
e2e_fail=0
e2e_n=0

# Every dump to test: committed fixtures and fresh ones, as "dir/NAME.KIND.dmp".
e2e_dumps() {
	ls "$BUILD"/dumps/*.dmp "$BUILD"/fresh/*.dmp 2>/dev/null || true
}
# The truth file that goes with a dump (NAME.truth.json in the same folder).
e2e_truth() {
	local d=$1 base
	base=$(basename "$d")
	echo "$(dirname "$d")/${base%%.*}.truth.json"
}
ok() { e2e_n=$((e2e_n + 1)); }
bad() { e2e_n=$((e2e_n + 1)); e2e_fail=$((e2e_fail + 1)); echo "  not ok: $*" >&2; }
# check "what" cmd...: runs cmd, counts a pass when it succeeds.
check() {
	local what=$1; shift
	if "$@"; then ok; else bad "$what"; fi
}
e2e_done() {
	echo "  $((e2e_n - e2e_fail)) of $e2e_n checks passed"
	[ "$e2e_n" -gt 0 ] && [ "$e2e_fail" = 0 ]
}

#!/bin/sh
# deps.sh [build|test] - installs the Debian packages that building (and
# the demo) or testing needs, when missing. As root it runs apt-get;
# otherwise it prints the exact line to run.
#   build: the compiler's libraries, FUSE, zstd and jq (make, make demo)
#   test:  also cmocka, sqlite3 (tests/e2e/t_csv.sh) and python3 (its json
#          module reads objects --all in tests/e2e/t_objects.sh); and where the .NET SDK is present (make check then
#          regenerates the fixture dumps), Wine's 64-bit loader and
#          mingw-w64 for the Windows x64 fixtures, curl for the web app of
#          the real programs (tests/e2e/t_realprog.sh). No i386 architecture is
#          added: the x86 fixtures are kept as committed copies.
set -e
level=${1:-build}
need="libfuse3-dev fuse3 uthash-dev libjansson-dev pkg-config zstd jq"
opt=""
if [ "$level" = test ]; then
	need="$need libcmocka-dev sqlite3 python3"
	command -v dotnet >/dev/null 2>&1 && opt="wine wine64 gcc-mingw-w64-x86-64 curl"
fi
missing_of() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			printf ' %s' "$p"
	done
}
# shellcheck disable=SC2086
missing=$(missing_of $need)
# shellcheck disable=SC2086
omissing=$(missing_of $opt)
[ -z "$missing$omissing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	[ -z "$missing" ] && exit 0
	echo "missing packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing:$missing$omissing" >&2
apt-get update -qq >/dev/null
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ -n "$omissing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $omissing >/dev/null 2>&1 ||
		echo "deps: Wine or mingw-w64 could not be installed; Windows fixtures will not be regenerated" >&2
fi

#!/bin/sh
# Installs the Debian packages the build and tests need, when missing.
# As root it runs apt-get; otherwise it prints the exact line to run.
# Wine (64- and 32-bit) and mingw-w64 make the Windows fixture dumps; they
# are installed too, but a machine without them still builds and tests
# (the committed Windows dumps are read either way).
set -e
need="libfuse3-dev fuse3 uthash-dev libcmocka-dev libjansson-dev pkg-config zstd jq"
wine="wine wine64 wine32:i386 gcc-mingw-w64-x86-64 gcc-mingw-w64-i686"
missing_of() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			printf ' %s' "$p"
	done
}
# shellcheck disable=SC2086
missing=$(missing_of $need)
# shellcheck disable=SC2086
wmissing=$(missing_of $wine)
[ -z "$missing$wmissing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	[ -z "$missing" ] && exit 0
	echo "missing packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$wmissing" ] && ! dpkg --print-foreign-architectures | grep -qx i386; then
	dpkg --add-architecture i386
fi
echo "installing:$missing$wmissing" >&2
apt-get update -qq >/dev/null
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ -n "$wmissing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $wmissing >/dev/null 2>&1 ||
		echo "deps: Wine or mingw-w64 could not be installed; Windows fixtures will not be regenerated" >&2
fi

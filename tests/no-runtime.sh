#!/bin/sh
# no-runtime.sh CMD... - runs CMD as on a machine without .NET: in a
# private mount namespace where every .NET install, the SDK, the NuGet
# cache and the runtime folders of the fixture apps made here are covered
# by empty read-only folders, and DOTNET_ROOT is unset. What passes here
# passes without any runtime file: the dumps read from built-in facts.
# Needs root (unshare -m).
set -e
if [ -z "${CLRHEAP_NO_RUNTIME:-}" ]; then
	command -v unshare >/dev/null || { echo "no-runtime.sh: unshare (util-linux) is missing" >&2; exit 1; }
	CLRHEAP_NO_RUNTIME=1 exec unshare -m --propagation private sh "$0" "$@"
fi
for d in /usr/share/dotnet /usr/lib/dotnet /usr/lib64/dotnet /opt/dotnet \
	"$HOME/.dotnet" "$HOME/.nuget" ${NUGET_PACKAGES:+"$NUGET_PACKAGES"} \
	build*/fresh/.work build*/seed/.work; do
	[ -d "$d" ] || continue
	mount -t tmpfs -o ro,size=4k none "$d"
done
unset DOTNET_ROOT NUGET_PACKAGES
if command -v dotnet >/dev/null 2>&1; then
	echo "no-runtime.sh: dotnet is still reachable ($(command -v dotnet))" >&2
	exit 1
fi
exec "$@"

#!/bin/bash
# extract.sh [CLRHEAP] - regenerates facts/ from the .NET runtime packs.
#
# For every runtime identifier and version below it restores the pack
# Microsoft.NETCore.App.Runtime.<rid> <version> from NuGet (a PackageDownload
# project, one pack at a time, so one that is not served does not stop the
# rest), runs `clrheap facts` on the pack's libcoreclr.so or coreclr.dll and
# writes facts/<rid>/<version>.facts and facts/json/<hash>.json. Packs that
# cannot be restored are listed in facts/unavailable.txt with the reason.
# Needs the .NET SDK; CLRHEAP is the built clrheap (default build/clrheap).
# VERSIONS / RIDS override the lists (space-separated).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLRHEAP=$(readlink -f "${1:-$ROOT/build/clrheap}")
FACTS=$ROOT/facts
[ -x "$CLRHEAP" ] || { echo "$0: $CLRHEAP is not built (make)" >&2; exit 1; }
command -v dotnet >/dev/null || { echo "$0: dotnet not found (the .NET SDK is needed)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

RIDS=${RIDS:-linux-x64 linux-musl-x64 linux-arm64 win-x64 win-x86}
VERSIONS=${VERSIONS:-8.0.0 8.0.29 8.0.30 8.0.31 8.0.32 8.0.33 8.0.34
	9.0.18 9.0.19 9.0.20 9.0.21 9.0.22 9.0.23
	10.0.11 10.0.12 10.0.13 10.0.14 10.0.15 11.0.0}
PKGS=${NUGET_PACKAGES:-$HOME/.nuget/packages}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$FACTS/json"
unavail=$FACTS/unavailable.txt
echo "# runtime packs that NuGet did not serve when facts/ was last extracted" >"$unavail"

restore() { # rid version: restores the pack, or prints why not and fails
	local rid=$1 ver=$2 log=$work/restore.log
	cat >"$work/p.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Microsoft.NETCore.App.Runtime.$rid" Version="[$ver]" />
  </ItemGroup>
</Project>
EOF
	rm -rf "$work/obj"
	if ! (cd "$work" && timeout 600 dotnet restore p.csproj -nologo) >"$log" 2>&1; then
		grep -m1 -oE 'error NU[0-9]+: .*' "$log" | cut -c1-200 || tail -n1 "$log"
		return 1
	fi
}

n=0
for rid in $RIDS; do
	for ver in $VERSIONS; do
		dir=$PKGS/microsoft.netcore.app.runtime.$rid/$ver/runtimes/$rid/native
		lib=libcoreclr.so
		case $rid in win-*) lib=coreclr.dll ;; esac
		if [ ! -f "$dir/$lib" ]; then
			if ! why=$(restore "$rid" "$ver"); then
				echo "Microsoft.NETCore.App.Runtime.$rid $ver: $why" >>"$unavail"
				echo "extract: $rid $ver: not served" >&2
				continue
			fi
		fi
		[ -f "$dir/$lib" ] || { echo "extract: $rid $ver: no $lib in the pack" >&2; continue; }
		mkdir -p "$FACTS/$rid"
		"$CLRHEAP" facts "$dir/$lib" --pack "Microsoft.NETCore.App.Runtime.$rid $ver" \
			--file "runtimes/$rid/native/$lib" --version "$ver" --out "$FACTS" \
			>"$FACTS/$rid/$ver.facts"
		n=$((n + 1))
		echo "extract: $rid $ver: $(grep -c '^descriptor' "$FACTS/$rid/$ver.facts") descriptors" >&2
	done
done
# JSON no record names any more goes.
for j in "$FACTS"/json/*.json; do
	[ -f "$j" ] || continue
	grep -qs "json/$(basename "$j")" "$FACTS"/*/*.facts || rm -f "$j"
done
echo "extract: $n builds; $(grep -vc '^#' "$unavail") packs not served; $(du -sk "$FACTS" | cut -f1) KB in facts/" >&2

#!/bin/bash
# verify.sh [OUT] - checks the built-in facts on real dumps of every served
# linux-x64 runtime build: publishes the zoo fixture app self-contained on
# each runtime pack (-p:RuntimeFrameworkVersion), runs it until it has written
# its truth, takes a heap dump with the pack's own createdump, and reads the
# dump with no runtime file reachable (tests/no-runtime.sh, with the app's own
# folder hidden too): every per-type count of the truth must equal the count
# `clrheap stat` gives. Writes OUT/verify.md (default build/facts-verify) with
# one row per build. Needs the .NET SDK and root; slow (about 30 s a build).
# VERSIONS overrides the list.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/build/facts-verify}" && cd "${1:-$ROOT/build/facts-verify}" && pwd)
CLRHEAP=$ROOT/build/clrheap
[ -x "$CLRHEAP" ] || { echo "$0: build clrheap first (make)" >&2; exit 1; }
command -v dotnet >/dev/null || { echo "$0: the .NET SDK is needed" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
VERSIONS=${VERSIONS:-8.0.0 8.0.29 8.0.30 8.0.31 8.0.32 8.0.33 8.0.34
	9.0.18 9.0.19 9.0.20 9.0.21 9.0.22 9.0.23 10.0.11 10.0.12 10.0.13 10.0.14 10.0.15 11.0.0}
md=$OUT/verify.md
printf '| build | facts | heap dump | types of the truth equal | result |\n| --- | --- | --- | --- | --- |\n' >"$md"
pass=0 fail=0
for ver in $VERSIONS; do
	major=${ver%%.*}
	tfm=net$major.0
	# The SDK builds for net10.0 at most: a newer runtime runs the net10.0
	# build (roll forward), self-contained on its pack.
	[ "$major" -gt 10 ] && tfm=net10.0
	w=$OUT/$ver
	rm -rf "$w"
	mkdir -p "$w/src"
	cp "$ROOT"/fixtures/apps/zoo/*.cs "$ROOT"/fixtures/apps/zoo/*.csproj "$w/src/"
	facts=no
	[ -f "$ROOT/facts/linux-x64/$ver.facts" ] && facts=yes
	row() { printf '| %s | %s | %s | %s | %s |\n' "$ver" "$facts" "$1" "$2" "$3" >>"$md"; }
	if ! (cd "$w/src" && timeout 900 dotnet publish -c Release -p:FixtureTfm=$tfm \
		-p:RuntimeFrameworkVersion=$ver -r linux-x64 --self-contained -o "$w/bin" -nologo -v quiet) \
		>"$w/build.log" 2>&1; then
		row "not made: $(grep -m1 -oE 'error [A-Z]+[0-9]+: .{0,80}' "$w/build.log" || tail -n1 "$w/build.log")" - skipped
		echo "verify: $ver: publish failed" >&2
		continue
	fi
	"$w/bin/zoo" --out "$w" --name zoo --linger 600 >"$w/app.out" 2>"$w/app.err" </dev/null &
	pid=$!
	for _ in $(seq 600); do grep -q '^READY' "$w/app.out" 2>/dev/null && break; sleep 0.1; done
	rt=$(jq -r .runtime "$w/zoo.truth.json" 2>/dev/null)
	if ! "$w/bin/createdump" -h -f "$w/zoo.heap.dmp" "$pid" >"$w/dump.log" 2>&1; then
		kill "$pid" 2>/dev/null
		row "createdump failed" - FAIL
		fail=$((fail + 1))
		continue
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	size=$(stat -c %s "$w/zoo.heap.dmp")
	# Read with nothing of the runtime reachable, the app's folder hidden
	# too. A .NET 8 heap dump lacks the framework assemblies' metadata: they
	# (and no native file) are given with --search.
	search=
	if [ "$major" = 8 ]; then
		mkdir -p "$w/managed"
		cp "$w"/bin/*.dll "$w/managed/"
		search="--search '$w/managed'"
	fi
	sh "$ROOT/tests/no-runtime.sh" sh -c "mount -t tmpfs -o ro none '$w/bin' && '$CLRHEAP' stat --json $search '$w/zoo.heap.dmp'" \
		>"$w/stat.json" 2>"$w/stat.err"
	total=$(jq '.counts | length' "$w/zoo.truth.json")
	equal=$(jq -n --slurpfile t "$w/zoo.truth.json" --slurpfile s "$w/stat.json" '
		($s[0].types | map({(.type): .count}) | add) as $c
		| [$t[0].counts | to_entries[] | select($c[.key] == .value)] | length' 2>/dev/null || echo 0)
	if [ "$rt" = "$ver" ] && [ "$equal" = "$total" ] && [ "$total" -gt 0 ]; then
		row "runtime $rt, $size bytes${search:+, framework .dll files (no native file) given with --search}" "$equal of $total" ok
		pass=$((pass + 1))
	else
		row "runtime $rt, $size bytes" "$equal of $total ($(head -c 120 "$w/stat.err"))" FAIL
		fail=$((fail + 1))
	fi
	rm -rf "$w/zoo.heap.dmp" "$w/managed"
	echo "verify: $ver: $equal of $total types equal" >&2
done
echo "verify: $pass passed, $fail failed; $md" >&2
[ "$fail" = 0 ]

# Shared helpers for the end-to-end scripts (bash). Source it first.
set -u
BUILD=${BUILD:-build}
CLRHEAP=${CLRHEAP:-$BUILD/clrheap}
REFCMP=${REFCMP:-$BUILD/tests/refcmp}
e2e_fail=0
e2e_n=0

# Every dump to test: committed fixtures and fresh ones, as "dir/NAME.KIND.dmp".
# Without any runtime reachable (tests/no-runtime.sh), .NET 8 heap dumps
# are left out: they lack the framework assemblies' metadata, which only
# their files hold (README: "No runtime files needed").
e2e_dumps() {
	local d
	for d in $(ls "$BUILD"/dumps/*.dmp "$BUILD"/fresh/*.dmp 2>/dev/null); do
		case ${CLRHEAP_NO_RUNTIME:-}:$(basename "$d") in
		1:*net8*.heap.dmp) ;;
		*) echo "$d" ;;
		esac
	done
}
# The truth file that goes with a dump (NAME.truth.json in the same folder).
e2e_truth() {
	local d=$1 base
	base=$(basename "$d")
	echo "$(dirname "$d")/${base%%.*}.truth.json"
}
# A type name as its directory under types/ ('/' written %2F).
tdir() { printf '%s' "${1//\//%2F}"; }
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

# The ClrMD oracle (contrib/clrmd-oracle) reads a dump through the runtime's
# own DAC. Linux dumps: run with dotnet, with the DAC of the runtime pack when
# the dumped runtime's folder is gone. Windows dumps: ClrMD cannot load the
# Windows DAC on Linux, so a win-x64/win-x86 build of the oracle runs under
# Wine and loads the pack's mscordaccore.dll. oracle_build makes what this
# machine can; oracle_run DUMP VERB ARGS... prints the oracle's output (CRs
# dropped) or returns 127 when no oracle can read that dump here.
E2E_ORACLE=$BUILD/oracle
# The `wine` wrapper starts the 32-bit loader whenever wine32 is installed,
# so where 32-bit programs cannot run it fails for 64-bit ones too; then a
# 64-bit program runs with wine64 itself. A 32-bit program needs the 32-bit
# loader installed (wine32:i386) and runnable.
# e2e_wine BITS prints the loader command for such a program, one word a
# line, or fails.
e2e_wine() {
	local w32=/usr/lib/wine/wine w64=/usr/lib/wine/wine64
	command -v wine >/dev/null 2>&1 || return 1
	if [ -x "$w32" ] && "$w32" --version >/dev/null 2>&1; then
		echo wine
	elif [ "$1" = 64 ] && [ -x "$w64" ]; then
		printf '%s\n' env "WINELOADER=$w64" "$w64"
	else
		return 1
	fi
}
oracle_build() {
	command -v dotnet >/dev/null 2>&1 || return 0
	local proj=contrib/clrmd-oracle/clrmd-oracle.csproj src rid log
	log=$(mktemp)
	# the newest of its sources decides whether a build is stale
	src=$(ls -t contrib/clrmd-oracle/*.cs "$proj" | head -n 1)
	if [ ! -f "$E2E_ORACLE/clrmd-oracle.dll" ] || [ "$src" -nt "$E2E_ORACLE/clrmd-oracle.dll" ]; then
		dotnet build "$proj" -c Release -o "$E2E_ORACLE" -nologo -v quiet >"$log" 2>&1 ||
			{ cat "$log" >&2; bad "building the ClrMD oracle"; }
	fi
	if command -v wine >/dev/null 2>&1; then
		for rid in win-x64 win-x86; do
			local bits=64
			[ $rid = win-x86 ] && bits=32
			e2e_wine $bits >/dev/null || continue
			local out=$E2E_ORACLE/$rid
			[ -f "$out/clrmd-oracle.exe" ] && [ ! "$src" -nt "$out/clrmd-oracle.exe" ] && continue
			# A missing runtime pack leaves that oracle out; the tests say so.
			dotnet publish "$proj" -c Release -r $rid --self-contained -o "$out" -nologo -v quiet >"$log" 2>&1 || rm -rf "$out"
		done
	fi
	rm -f "$log"
}
oracle_run() {
	local d=$1 verb=$2 info os ps ver dac
	shift 2
	info=$("$CLRHEAP" info --json "$d" 2>/dev/null) || return 127
	os=$(jq -r .os <<<"$info"); ps=$(jq -r .pointer_size <<<"$info")
	ver=$(jq -r .runtime.version <<<"$info")
	if [ "$os" = windows ]; then
		local rid=win-x64 arch=x64 bits=64
		local -a winecmd
		[ "$ps" = 4 ] && rid=win-x86 arch=x86 bits=32
		[ -f "$E2E_ORACLE/$rid/clrmd-oracle.exe" ] || return 127
		mapfile -t winecmd < <(e2e_wine $bits)
		[ "${#winecmd[@]}" -gt 0 ] || return 127
		dac=$(ls "$HOME"/.nuget/packages/microsoft.netcore.app.runtime.$rid/"$ver"/runtimes/$rid/native/mscordaccore.dll 2>/dev/null | head -n1)
		[ -n "$dac" ] || return 127
		winpath() { printf 'Z:%s' "$(readlink -f "$1" | tr / '\\')"; }
		WINEPREFIX=$(readlink -f "$E2E_ORACLE")/wine-$arch WINEDEBUG=-all \
			"${winecmd[@]}" "$E2E_ORACLE/$rid/clrmd-oracle.exe" "$verb" "$(winpath "$d")" "$@" --dac "$(winpath "$dac")" \
			2> >(grep -v '^wine: ' >&2) | tr -d '\r'
		return "${PIPESTATUS[0]}"
	fi
	# no dotnet (tests/no-runtime.sh): no oracle here, rather than a failed one
	[ -f "$E2E_ORACLE/clrmd-oracle.dll" ] && command -v dotnet >/dev/null 2>&1 || return 127
	dac=$(ls "$HOME"/.nuget/packages/microsoft.netcore.app.runtime.linux-x64/"$ver"/runtimes/linux-x64/native/libmscordaccore.so 2>/dev/null | head -n1)
	local tmpo
	tmpo=$(mktemp)
	if dotnet "$E2E_ORACLE/clrmd-oracle.dll" "$verb" "$d" "$@" >"$tmpo" 2>/dev/null ||
		{ [ -n "$dac" ] && dotnet "$E2E_ORACLE/clrmd-oracle.dll" "$verb" "$d" "$@" --dac "$dac" >"$tmpo"; }; then
		cat "$tmpo"; rm -f "$tmpo"; return 0
	fi
	rm -f "$tmpo"; return 1
}

# Numbers outside JSON strings become "#<text>" strings, so jq compares
# them digit for digit (12.50, 1E+21, 18446744073709551615).
numq() {
	perl -pe 's/("(?:[^"\\]++|\\.)*+")|(-?\d[\d.eE+-]*)/defined $1 ? $1 : "\"#$2\""/ge'
}

# Compares each frame offset of `clrheap exceptions --json` output $2 (of
# dump $1) with the oracle's frame-offsets, where ClrMD knows the method's
# code (JIT code heaps, ReadyToRun images). Prints "compared differing";
# on the oracle's failure prints why and returns 1.
frame_offsets() {
	local d=$1 json=$2 o m
	o=$(mktemp) m=$(mktemp)
	if ! oracle_run "$d" frame-offsets >"$o" 2>"$m"; then
		echo "the ClrMD oracle's frame-offsets failed: $(head -c 300 "$m")"
		rm -f "$o" "$m"
		return 1
	fi
	jq -r 'def h: ltrimstr("0x") as $x | ("0" * ([16 - ($x | length), 0] | max)) + $x;
		.exceptions[] | .address as $a | .frames | to_entries[] |
		[($a | h), .key, (.value.ip | h), (if .value.offset == null then "-" else .value.offset end)] |
		@tsv' "$json" >"$m"
	awk -F'\t' 'NR == FNR { if (FNR > 1) o[$1 FS $2] = $4; next }
		($1 FS $2) in o { n++; if ($4 == "-" || sprintf("%x", $4) != o[$1 FS $2]) bad++; delete o[$1 FS $2] }
		END { for (k in o) bad++; print n + 0, bad + 0 }' "$o" "$m"
	rm -f "$o" "$m"
}

# A temporary folder $tmp and a mount point name $m inside it, both gone
# when the script exits, however it exits (a mount there unmounted first).
e2e_tmp_mount() {
	tmp=$(mktemp -d)
	m=$tmp/m
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM HUP PIPE
}
e2e_cleanup() {
	mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" 2>/dev/null || umount -l "$m"; }
	rm -rf "$tmp"
}

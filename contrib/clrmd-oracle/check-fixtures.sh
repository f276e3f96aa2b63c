#!/bin/bash
# check-fixtures.sh DIR [DUMP...] - checks fixture dumps against their apps'
# ground truth with ClrMD (an independent reader, through the runtime's DAC):
#   1. the count of each of the app's own types equals the truth's count;
#   2. every object in the truth is read back from the dump equal to it
#      (jq --sort-keys; objects holding well-known collections are left out,
#      as the oracle shows collections by their plain fields);
#   3. the static fields in the truth (those of non-generic types) likewise.
# Needs the .NET SDK (builds the oracle once into $ORACLE_DIR) and jq.
# Prints one line per dump and check; exits non-zero when any fails.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [DUMP...]" >&2; exit 2; }
DIR=$1
shift
HERE=$(cd "$(dirname "$0")" && pwd)
ORACLE_DIR=${ORACLE_DIR:-$DIR/.oracle}
# Types whose objects hold collections (see the header).
SKIP_TYPES=${SKIP_TYPES:-Zoo.Collections}

if [ ! -f "$ORACLE_DIR/clrmd-oracle.dll" ] || [ "$HERE/Program.cs" -nt "$ORACLE_DIR/clrmd-oracle.dll" ] ||
	[ "$HERE/JsonRender.cs" -nt "$ORACLE_DIR/clrmd-oracle.dll" ] ||
	[ "$HERE/clrmd-oracle.csproj" -nt "$ORACLE_DIR/clrmd-oracle.dll" ]; then
	dotnet build "$HERE/clrmd-oracle.csproj" -c Release -o "$ORACLE_DIR" -nologo -v quiet >"$DIR/.oracle-build.log" 2>&1 ||
		{ echo "check-fixtures: building the oracle failed (see $DIR/.oracle-build.log)" >&2; exit 1; }
fi
oracle() { dotnet "$ORACLE_DIR/clrmd-oracle.dll" "$@"; }

if [ $# -eq 0 ]; then
	set -- "$DIR"/*.dmp
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for d in "$@"; do
	[ -f "$d" ] || continue
	base=$(basename "$d")
	name=${base%%.*}
	truth=$(dirname "$d")/$name.truth.json
	[ -f "$truth" ] || { echo "FAIL $base: no $truth"; fail=1; continue; }

	# 1. counts of the app's own types
	oracle stat "$d" >"$tmp/stat" || { echo "FAIL $base: oracle stat failed"; fail=1; continue; }
	jq -r '.counts | to_entries[] | "\(.key)\t\(.value)"' "$truth" | sort >"$tmp/want"
	awk -F'\t' 'NR == FNR { want[$1] = 1; next } ($4 in want) { c[$4] += $2 }
		END { for (k in c) print k "\t" c[k] }' "$tmp/want" "$tmp/stat" | sort >"$tmp/got"
	if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		echo "ok   $base: counts of $(wc -l <"$tmp/want") own types"
	else
		echo "FAIL $base: counts differ (< truth, > dump):"
		sed 's/^/     /' "$tmp/diff"
		fail=1
	fi

	# 2. objects
	if jq -e '.objects_file' "$truth" >/dev/null; then
		jsonl=$(dirname "$d")/$(jq -r .objects_file "$truth")
		jq -cS . "$jsonl" | sort >"$tmp/want"
		oracle objects "$d" "$(jq -r .objects_type "$truth")" | jq -cS . | sort >"$tmp/got"
	else
		jq -c --arg skip "$SKIP_TYPES" '($skip | split(" ")) as $s | .objects[] | select(."$type" as $t | $s | index($t) | not)' \
			"$truth" | jq -cS . | sort >"$tmp/want"
		jq -r '.[]' <<<"$(jq -c --arg skip "$SKIP_TYPES" \
			'($skip | split(" ")) as $s | [.objects[]."$type"] | unique | map(select(. as $t | $s | index($t) | not))' "$truth")" >"$tmp/types"
		{ xargs -d "\n" -a "$tmp/types" dotnet "$ORACLE_DIR/clrmd-oracle.dll" objects "$d" || true; } | jq -cS . | sort >"$tmp/got"
	fi
	if cmp -s "$tmp/want" "$tmp/got"; then
		echo "ok   $base: $(wc -l <"$tmp/want") objects equal to the truth"
	else
		echo "FAIL $base: objects differ (< truth, > dump), first lines:"
		diff "$tmp/want" "$tmp/got" | head -n 6 | cut -c1-300 | sed 's/^/     /'
		fail=1
	fi

	# 3. static fields (zoo: types found by name, so not generic instantiations)
	if jq -e '.statics | type == "object"' "$truth" >/dev/null; then
		jq -r '.statics | keys[] | select(contains("<") | not)' "$truth" >"$tmp/types"
		jq -c '.statics | to_entries[] | select(.key | contains("<") | not) | {type: .key, fields: .value}' "$truth" |
			jq -cS . | sort >"$tmp/want"
		{ xargs -d "\n" -a "$tmp/types" dotnet "$ORACLE_DIR/clrmd-oracle.dll" statics "$d" || true; } |
			jq -cS . | sort >"$tmp/got"
		if cmp -s "$tmp/want" "$tmp/got"; then
			echo "ok   $base: statics of $(wc -l <"$tmp/want") types equal to the truth"
		else
			echo "FAIL $base: statics differ (< truth, > dump), first lines:"
			diff "$tmp/want" "$tmp/got" | head -n 6 | cut -c1-300 | sed 's/^/     /'
			fail=1
		fi
	fi
done
exit $fail

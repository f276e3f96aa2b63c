#!/bin/sh
# Runs one libFuzzer target (make fuzz) for SECONDS at the lowest priority:
#   contrib/fuzz/run.sh NAME SECONDS [libFuzzer options...]
# New inputs go to $BUILD/fuzz-lf/corpus/NAME (the committed seeds in
# contrib/fuzz/corpus/NAME are read, never written); crashes, leaks and
# timeouts to $BUILD/fuzz-lf/artifacts/NAME/. The log ends with libFuzzer's
# final stats (stat::number_of_executed_units is the execution count).
set -e
BUILD=${BUILD:-build}
name=$1 secs=$2
[ -n "$name" ] && [ -n "$secs" ] || { echo "usage: $0 NAME SECONDS [options]" >&2; exit 2; }
shift 2
bin=$BUILD/fuzz-lf/fuzz_$name
work=$BUILD/fuzz-lf/corpus/$name
art=$BUILD/fuzz-lf/artifacts/$name
mkdir -p "$work" "$art"
maxlen=
[ "$name" = heap ] && maxlen=-max_len=128
export BUILD
exec nice -n 19 "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 \
	-artifact_prefix="$art/" -print_final_stats=1 $maxlen "$@" \
	"$work" "contrib/fuzz/corpus/$name"

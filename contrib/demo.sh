#!/bin/sh
# make demo: runs the main job on the bundled sample dump (the visits app,
# a real .NET 10 process with F# Visit records queued in a MailboxProcessor).
set -e
BUILD=${BUILD:-build}
CLRHEAP_NO_FRESH=1 BUILD=$BUILD sh tests/e2e/prepare.sh
dump=$BUILD/dumps/visits.heap.dmp
[ -f "$dump" ] || { echo "demo: $dump is missing (fixtures/dumps/visits.heap.dmp.zst)" >&2; exit 1; }
echo "\$ clrheap info $dump"
"$BUILD/clrheap" info "$dump"

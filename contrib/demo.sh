#!/bin/sh
# make demo: runs the main job on the bundled sample dump (the visits app,
# a real .NET 10 process with F# Visit records queued in a MailboxProcessor):
# mounts it under the build folder, shows a few listings, unmounts it (the
# demo leaves nothing mounted) and prints how to explore it yourself.
set -e
BUILD=${BUILD:-build}
CLRHEAP_NO_FRESH=1 BUILD=$BUILD sh tests/e2e/prepare.sh
dump=$BUILD/dumps/visits.heap.dmp
[ -f "$dump" ] || { echo "demo: $dump is missing (fixtures/dumps/visits.heap.dmp.zst)" >&2; exit 1; }
echo "\$ clrheap info $dump"
"$BUILD/clrheap" info "$dump"

mnt=$BUILD/demo-mnt
mkdir -p "$mnt"
if mountpoint -q "$mnt"; then
	fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt"
fi
if [ ! -c /dev/fuse ]; then
	echo "demo: /dev/fuse is missing: the filesystem cannot be mounted here" >&2
	exit 1
fi
unmount() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
	fi
}
trap unmount EXIT
trap 'exit 1' INT TERM

run() { # shows a command, then runs it
	echo
	echo "\$ $*"
	sh -c "$*"
}
V='types/Bugfree.Spo.Analytics.Cli.Domain+Visit'
Q="types/<StartupCode\$visits>.\$Agents/statics/visitor@16/mailbox/arrivals"
echo
echo "\$ mount.clrheap $dump $mnt"
"$BUILD/mount.clrheap" "$dump" "$mnt"
cd "$mnt"
run "ls"
run "head -n 6 stat.tsv"
run "ls types | grep Bugfree"
run "ls '$V'"
run "jq .count '$V/type.json'"
run "ls '$V/instances' | head -n 3"
first=$(ls "$V/instances" | head -n 1)
run "ls -l objects/$first"
run "cat objects/$first/LoginName objects/$first/Timestamp objects/$first/IP"
run "ls '$Q'"
run "cat '$Q/_size'"
run "readlink '$Q/.items/0'"
run "cat '$Q/.items/0/item/VisitUrl'"
run "head -c 400 '$V/instances.jsonl'; echo"
run "jq -c '{LoginName, VisitUrl, Timestamp}' '$V/instances.jsonl' | head -n 3"
run "jq -r .VisitUrl '$V/instances.jsonl' | wc -l"
cd - >/dev/null
unmount
cat <<EOF

The demo has unmounted the dump. To explore it yourself:

    $BUILD/mount.clrheap $dump $mnt
    cd $mnt && cat README.txt
    ls types; ls objects | head; ls roots/strong
    jq -c . '$mnt/$V/instances.jsonl' | head
    fusermount3 -u $mnt        # or: umount $mnt

(man contrib/mount.clrheap.8 describes the options and the tree.)
EOF

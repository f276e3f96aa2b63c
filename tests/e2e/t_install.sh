#!/bin/bash
# make install into an empty root (DESTDIR): the two programs, both man
# pages and the bash completion land where mount(8), man(1) and
# bash-completion look, and the installed clrheap runs on the bundled sample.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# (-o all: this build is made; a sanitized one must not be rebuilt plain)
if ! make -s -o all install BUILD="$BUILD" DESTDIR="$tmp/root" >"$tmp/log" 2>&1; then
	bad "make install failed: $(tail -n 3 "$tmp/log")"
	e2e_done
	exit
fi
r=$tmp/root
check "/sbin/mount.clrheap, for mount -t clrheap" test -x "$r/sbin/mount.clrheap"
check "/usr/local/bin/clrheap" test -x "$r/usr/local/bin/clrheap"
check "clrheap(1) reads with man" bash -c "man -l '$r/usr/local/share/man/man1/clrheap.1' 2>/dev/null | grep -q 'EXIT STATUS' || zcat -f '$r/usr/local/share/man/man1/clrheap.1' | grep -q '^.SH EXIT STATUS'"
check "mount.clrheap(8)" test -s "$r/usr/local/share/man/man8/mount.clrheap.8"
check "the completion, where bash-completion looks" \
	bash -c ". '$r/usr/local/share/bash-completion/completions/clrheap' && complete -p clrheap >/dev/null"
check "the installed clrheap prints its version" bash -c "'$r/usr/local/bin/clrheap' --version | grep -q clrheap"
D=$BUILD/dumps/visits.heap.dmp
[ -f "$D" ] && check "and reads the sample" bash -c "'$r/usr/local/bin/clrheap' stat '$D' | grep -q 'Bugfree.Spo.Analytics.Cli.Domain+Visit'"
e2e_done

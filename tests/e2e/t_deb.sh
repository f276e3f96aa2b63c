#!/bin/bash
# make deb: a .deb that dpkg-deb reads (its Depends name FUSE's and
# jansson's libraries), holding the programs, the man pages and the
# completion under /usr (mount.clrheap in /sbin); dpkg installs it into a
# pristine root (an empty dpkg database), and from there clrheap stat reads
# the bundled sample and mount.clrheap, called the way mount -t clrheap
# calls it (DUMP DIR -o OPTIONS), mounts it (where FUSE works).
. "$(dirname "$0")/lib.sh"
e2e_tmp_mount
if ! command -v dpkg-deb >/dev/null 2>&1; then
	echo "  no dpkg-deb: not a Debian system; make deb not checked"
	e2e_done
	exit
fi
# (-o all: this build is made; a sanitized one must not be rebuilt plain)
if ! make -s -o all deb BUILD="$BUILD" >"$tmp/log" 2>&1; then
	bad "make deb failed: $(tail -n 3 "$tmp/log")"
	e2e_done
	exit
fi
deb=$(ls "$BUILD"/clrheap_*_*.deb | head -n 1)
check "make deb wrote $(basename "$deb")" test -s "$deb"
dep=$(dpkg-deb -f "$deb" Depends)
for p in libfuse3-3 fuse3 libjansson4; do
	check "it depends on $p" bash -c "tr ',' '\n' <<<'$dep' | grep -qx ' *$p'"
done
check "its version is clrheap --version's" \
	test "clrheap $(dpkg-deb -f "$deb" Version)" = "$("$CLRHEAP" --version)"
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$tmp/files"
for f in ./sbin/mount.clrheap ./usr/bin/clrheap ./usr/share/man/man1/clrheap.1.gz \
	./usr/share/man/man8/mount.clrheap.8.gz ./usr/share/bash-completion/completions/clrheap; do
	check "it holds $f" grep -qx "$f" "$tmp/files"
done
r=$tmp/root
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
touch "$r/var/lib/dpkg/status"
# --force-depends: the pristine root has none of the libraries (the host's
# are used to run it)
check "dpkg installs it into a pristine root" \
	dpkg --root="$r" --log=/dev/null --force-depends --force-script-chrootless -i "$deb" >"$tmp/dpkg" 2>&1
check "and lists it installed" bash -c "dpkg --root='$r' -s clrheap | grep -qx 'Status: install ok installed'"
D=$BUILD/dumps/visits.heap.dmp
if [ -f "$D" ]; then
	check "the installed clrheap reads the sample" \
		bash -c "'$r/usr/bin/clrheap' stat '$D' | grep -q 'Bugfree.Spo.Analytics.Cli.Domain+Visit'"
	if [ -e /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
		mkdir -p "$m"
		if "$r/sbin/mount.clrheap" "$D" "$m" -o ro,noatime 2>"$tmp/merr"; then
			check "the installed mount.clrheap mounts it as mount(8) asks" test -s "$m/stat.tsv"
			fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
		else
			bad "the installed mount.clrheap failed: $(head -c 300 "$tmp/merr")"
		fi
	fi
fi
check "dpkg removes it again" dpkg --root="$r" --log=/dev/null --force-script-chrootless -r clrheap >"$tmp/dpkg" 2>&1
check "leaving nothing of it" test ! -e "$r/usr/bin/clrheap" -a ! -e "$r/sbin/mount.clrheap"
e2e_done

#!/bin/bash
# The object graph (clrheap refs, referrers, gcroot, retained).
#  1. The graph fixture (fixtures/apps/graph), against the truth the app
#     wrote: the immediate dominator and root distance of every object the
#     truth names; the bytes the Owner, the shared hub, the holders and the
#     chain's links retain (sizes summed from clrheap stat); the last link's
#     root path is the static and 1000 hops; the 20 Garbage objects are
#     unreachable; retained (per type) gives Graph.Link its 1000 links.
#     The same through the mount: .retained, .gcroot, .gcroot.json,
#     .dominator, .refs/, .referrers/, /retained.tsv, dump.json's live and
#     dead, type.json's live and retained equal clrheap's; roots/statics/
#     names the static; roots/stack/ holds every object ClrMD's stack roots do.
#  2. Every heap dump against the ClrMD oracle where it runs: every
#     object's outgoing references as a multiset; with the roots ClrMD
#     lists less its stacks (GC handles, finalizer queue) the live set, every
#     immediate dominator, retained size and root distance equal the
#     oracle's (Cooper-Harvey-Kennedy over ClrMD's own graph); with stacks,
#     every object ClrMD reaches is reached.
. "$(dirname "$0")/lib.sh"
MOUNT=${MOUNT:-$BUILD/mount.clrheap}
e2e_tmp_mount

# 1. the graph fixture
d=$BUILD/dumps/graph.heap.dmp
truth=$(e2e_truth "$d")
if [ ! -f "$d" ]; then
	bad "no graph fixture $d"
else
	"$CLRHEAP" retained "$d" --all >"$tmp/all" 2>"$tmp/err" || bad "retained --all failed: $(head -c 300 "$tmp/err")"
	"$CLRHEAP" stat "$d" >"$tmp/stat"
	# address -> "idom retained depth" (idom 0 when only the roots dominate)
	awk -F'\t' '$1 != "total" { a = $1; b = $2; sub(/^0+/, "", a); sub(/^0+/, "", b)
		if (b == "") b = "0"; print "0x" a, "0x" b, $3, $4 }' "$tmp/all" >"$tmp/map"
	look() { awk -v a="$1" '$1 == a { print $2, $3, $4 }' "$tmp/map"; }
	tbytes() { awk -F'\t' -v t="$1" '$4 == t { print $3 }' "$tmp/stat"; }
	# every object the truth names: idom and hops (a root object is 1 hop)
	jq -r '.graph | [.alone, .shared, (.shared.holders[]), (.cycle.rings[])] | .[] |
		select(has("$addr")) | "\(."$addr") \(.idom) \(.hops)"' "$truth" >"$tmp/want"
	n=0
	while read -r addr idom hops; do
		read -r gid gret gdepth <<<"$(look "$addr")"
		[ "$idom" = root ] && idom=0x0
		want_idom=$(printf '0x%x' "$idom")
		if [ "${gid:-}" = "$want_idom" ] && [ "$((gdepth + 1))" = "$hops" ]; then ok; else
			bad "graph: $addr: idom ${gid:-none} depth ${gdepth:-none}; the app says idom $want_idom, $hops hops"
		fi
		n=$((n + 1))
	done <"$tmp/want"
	check "graph: the truth names objects ($n)" test "$n" -ge 10
	# retained bytes the truth's structure fixes
	owner=$(jq -r '.graph.alone."$addr"' "$truth")
	blen=$(jq -r '.graph.alone.byte_lengths_total' "$truth")
	want=$(($(tbytes Graph.Owner) + $(tbytes 'Graph.Node[]') + $(tbytes Graph.Node) + $(tbytes Graph.Leaf) + 100 * 24 + blen))
	got=$(look "$owner" | cut -d' ' -f2)
	check "graph: the Owner retains $want bytes (got ${got:-none})" test "${got:-}" = "$want"
	hub=$(jq -r '.graph.shared."$addr"' "$truth")
	want=$(($(tbytes Graph.SharedHub) + $(tbytes 'Graph.SharedItem[]') + $(tbytes Graph.SharedItem)))
	got=$(look "$hub" | cut -d' ' -f2)
	check "graph: the shared hub retains $want bytes (got ${got:-none})" test "${got:-}" = "$want"
	for h in $(jq -r '.graph.shared.holders[]."$addr"' "$truth"); do
		got=$(look "$h" | cut -d' ' -f2)
		check "graph: holder $h retains only itself (got ${got:-none})" test "${got:-}" = 24
	done
	first=$(jq -r '.graph.chain.first' "$truth")
	last=$(jq -r '.graph.chain.last' "$truth")
	link=$(($(tbytes Graph.Link) / 1000))
	got=$(look "$first" | cut -d' ' -f2)
	check "graph: the first link retains the chain, $((1000 * link)) bytes (got ${got:-none})" test "${got:-}" = $((1000 * link))
	got=$(look "$last" | cut -d' ' -f2)
	check "graph: the last link retains itself (got ${got:-none})" test "${got:-}" = "$link"
	"$CLRHEAP" gcroot "$d" "$last" >"$tmp/path"
	check "graph: the last link's path starts at the static Chain" test "$(head -n1 "$tmp/path")" = "static Graph.Program.Chain"
	check "graph: the last link's path is 1000 hops" test "$(($(wc -l <"$tmp/path") - 1))" = "$(jq -r '.graph.chain.last_hops' "$truth")"
	check "graph: each hop after the first is a Next" test "$(sed '1,2d' "$tmp/path" | awk '$3 != "Next"' | wc -l)" = 0
	"$CLRHEAP" gcroot "$d" "$last" --json >"$tmp/path.json"
	check "graph: gcroot --json has the path" test "$(jq '.path | length' "$tmp/path.json")" = 1000
	nd=0
	for g in $(jq -r '.graph.dead.objects[]' "$truth"); do
		if "$CLRHEAP" gcroot "$d" "$g" | grep -q 'unreachable from every root' && [ -z "$(look "$g")" ]; then ok; else
			bad "graph: Garbage $g is reachable"
		fi
		nd=$((nd + 1))
	done
	check "graph: the 20 Garbage objects checked" test "$nd" = 20
	check "graph: gcroot --json of a dead object" test "$("$CLRHEAP" gcroot "$d" "$g" --json)" = '{"unreachable":true}'
	got=$("$CLRHEAP" retained "$d" | awk -F'\t' '$5 == "Graph.Link" { print $2, $3, $4 }')
	check "graph: retained lists Graph.Link: 1000 links retaining their bytes (got $got)" \
		test "$got" = "1000 $((1000 * link)) $((1000 * link))"
	# (dead arrays the truth writer left reference it too)
	"$CLRHEAP" referrers "$d" "$hub" | awk -F'\t' '$2 ~ /^Graph\./ { print $2, $3 }' >"$tmp/refr"
	check "graph: the hub's referrers of its own types are the two holders, by field Hub" \
		test "$(cat "$tmp/refr")" = "Graph.Holder Hub
Graph.Holder Hub"
	"$CLRHEAP" refs "$d" "$owner" >"$tmp/refs"
	check "graph: the Owner references its Node[] by field Nodes" test "$(cut -f2,3 "$tmp/refs")" = "Graph.Node[]	Nodes"
fi

# 1b. the same through the mount (where FUSE works)
oracle_build
if [ -f "$d" ] && [ -e /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
	mkdir -p "$m"
	if "$MOUNT" "$d" "$m" 2>"$tmp/merr"; then
		hexw() { printf '%016x' "$1"; }
		o=$m/objects/$(hexw "$owner")
		check "mount: objects/<a>/ lists the graph's entries" \
			test "$(ls -a "$o" | grep -c -x -e .refs -e .referrers -e .gcroot -e .gcroot.json -e .retained)" = 5
		check "mount: .retained of the Owner" test "$(cat "$o/.retained")" = "$(look "$owner" | cut -d' ' -f2)"
		check "mount: .gcroot of the last link equals clrheap gcroot" \
			cmp -s "$m/objects/$(hexw "$last")/.gcroot" "$tmp/path"
		check "mount: .gcroot.json of the last link equals clrheap gcroot --json" \
			cmp -s "$m/objects/$(hexw "$last")/.gcroot.json" "$tmp/path.json"
		check "mount: the Owner has no .dominator (only the roots dominate it)" test ! -e "$o/.dominator"
		second=$(awk -v a="$first" '$2 == a { print $1 }' "$tmp/map" | head -n1)
		check "mount: link 1's .dominator is link 0" \
			test "$(readlink "$m/objects/$(hexw "$second")/.dominator")" = "../$(hexw "$first")"
		check "mount: the Owner's .refs/ holds its Node[]" \
			test "$(cat "$o/.refs/"*/.address)" = "$(cut -f1 "$tmp/refs")"
		h=$m/objects/$(hexw "$hub")
		check "mount: the hub's .referrers/ equal clrheap referrers" \
			test "$(ls "$h/.referrers" | tr '\n' ' ')" = "$("$CLRHEAP" referrers "$d" "$hub" | cut -f1 | while read -r a; do hexw "$a"; echo; done | tr '\n' ' ')"
		check "mount: a .referrers/ entry is a link to its object" \
			test "$(cat "$h/.referrers/$(hexw "$(jq -r '.graph.shared.holders[0]."$addr"' "$truth")")/.address")" = "$(jq -r '.graph.shared.holders[0]."$addr"' "$truth")"
		"$CLRHEAP" retained "$d" | sed '$d' >"$tmp/rt"
		check "mount: /retained.tsv equals clrheap retained" cmp -s "$m/retained.tsv" "$tmp/rt"
		check "mount: .gcroot of a dead object" grep -q 'unreachable from every root' "$m/objects/$(hexw "$g")/.gcroot"
		check "mount: roots/statics/Graph.Program/Chain is the chain's first link" \
			test "$(readlink "$m/roots/statics/Graph.Program/Chain")" = "../../../objects/$(hexw "$first")"
		set -- $("$CLRHEAP" retained "$d" | tail -n1)
		check "mount: dump.json's live and dead equal clrheap retained's" \
			test "$(jq -r '"\(.live.objects) \(.dead.objects) \(.live.objects + .dead.objects == .objects)"' "$m/dump.json")" = "$2 $5 true"
		check "mount: type.json of Graph.Owner: live 1, retained as .retained" \
			test "$(jq -r '"\(.live) \(.retained)"' "$m/types/Graph.Owner/type.json")" = "1 $(cat "$o/.retained")"
		check "mount: type.json of Graph.Garbage: 20 instances, none live" \
			test "$(jq -r '"\(.count) \(.live) \(.live_size) \(.retained)"' "$m/types/Graph.Garbage/type.json")" = "20 0 0 0"
		check "mount: type.json of Graph.Link: retained as in retained.tsv" \
			test "$(jq -r .retained "$m/types/Graph.Link/type.json")" = "$(awk -F'\t' '$5 == "Graph.Link" { print $4 }' "$m/retained.tsv")"
		# every object ClrMD finds on a stack (precisely) is in roots/stack/ (conservatively)
		for t in "$m"/roots/stack/*/; do ls "$t"; done | LC_ALL=C sort -u >"$tmp/ours"
		if oracle_run "$d" roots >"$tmp/oroots" 2>/dev/null; then
			awk -F'\t' '$1 == "Stack" { print $3 }' "$tmp/oroots" | LC_ALL=C sort -u >"$tmp/theirs"
			missing=$(LC_ALL=C comm -23 "$tmp/theirs" "$tmp/ours" | wc -l)
			check "mount: roots/stack/ holds every object ClrMD's stack roots hold ($missing of $(wc -l <"$tmp/theirs") missing)" \
				test "$missing" = 0 -a -s "$tmp/theirs"
		fi
		st=$(ls "$m/roots/stack" | head -n1)
		sa=$(ls "$m/roots/stack/$st" | head -n1)
		check "mount: a roots/stack/ entry links to its object" \
			test "$(cat "$m/roots/stack/$st/$sa/.address")" = "0x$(echo "$sa" | sed 's/^0*//')"
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
	else
		bad "mount.clrheap failed on $d: $(head -c 300 "$tmp/merr")"
	fi
else
	echo "  no FUSE here: the mount's graph files not checked"
fi

# 2. every heap dump against the oracle
oracle_build
compared=0
for d in $(e2e_dumps); do
	case $d in *.heap.dmp) ;; *) continue ;; esac
	name=$(basename "$d")
	oracle_run "$d" refs >"$tmp/orefs" 2>"$tmp/oerr"
	rc=$?
	[ $rc = 127 ] && continue
	if [ $rc != 0 ]; then
		bad "$name: the oracle's refs failed: $(head -c 300 "$tmp/oerr")"
		continue
	fi
	"$CLRHEAP" refs "$d" --all >"$tmp/refs" 2>/dev/null || bad "$name: clrheap refs --all failed"
	LC_ALL=C sort "$tmp/orefs" >"$tmp/a"
	LC_ALL=C sort "$tmp/refs" >"$tmp/b"
	if cmp -s "$tmp/a" "$tmp/b"; then ok; else
		bad "$name: references differ from ClrMD's (< ClrMD, > clrheap; $(wc -l <"$tmp/a") vs $(wc -l <"$tmp/b")):"
		diff "$tmp/a" "$tmp/b" | head -n 6 | sed 's/^/    /' >&2
	fi
	oracle_run "$d" dominators --no-stack >"$tmp/odom" 2>"$tmp/oerr" || bad "$name: the oracle's dominators failed: $(head -c 300 "$tmp/oerr")"
	"$CLRHEAP" retained "$d" --all --no-stack-roots --no-static-roots >"$tmp/dom" 2>/dev/null ||
		bad "$name: clrheap retained --all failed"
	if cmp -s "$tmp/odom" "$tmp/dom"; then ok; else
		bad "$name: live objects, dominators, retained sizes or depths differ from ClrMD's (< ClrMD, > clrheap):"
		diff "$tmp/odom" "$tmp/dom" | head -n 6 | sed 's/^/    /' >&2
	fi
	# with stacks: ours scanned conservatively reach at least what ClrMD's precise walk does
	oracle_run "$d" dominators >"$tmp/odom" 2>/dev/null
	"$CLRHEAP" retained "$d" --all >"$tmp/dom" 2>/dev/null
	cut -f1 "$tmp/odom" | grep -v total | LC_ALL=C sort >"$tmp/a"
	cut -f1 "$tmp/dom" | grep -v total | LC_ALL=C sort >"$tmp/b"
	missing=$(LC_ALL=C comm -23 "$tmp/a" "$tmp/b" | wc -l)
	check "$name: every object ClrMD's roots reach is reached ($missing missing)" test "$missing" = 0
	echo "  $name: $(wc -l <"$tmp/refs") references; live with stacks: ClrMD $(wc -l <"$tmp/a"), clrheap $(wc -l <"$tmp/b")"
	compared=$((compared + 1))
done
echo "  -- $compared dumps compared with ClrMD"
e2e_done

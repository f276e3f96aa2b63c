#!/bin/bash
# contrib/clrheap.bash, the bash completion, run as bash runs it (COMP_WORDS,
# COMP_CWORD, then _clrheap) with this build's clrheap first on PATH, on the
# bundled sample: commands, options, help topics, dump files, type names
# after --type (shell-quoted), the tree's paths after cat (folders with a
# slash), nothing where a number goes.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
D=$BUILD/dumps/visits.heap.dmp
if [ ! -f "$D" ]; then
	bad "no $D"
	e2e_done
	exit
fi
PATH=$(cd "$(dirname "$CLRHEAP")" && pwd):$PATH
# shellcheck disable=SC1091
. contrib/clrheap.bash
# complete WORD...: the candidates for the last word, one a line, sorted
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_clrheap
	[ "${#COMPREPLY[@]}" -gt 0 ] && printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
	return 0
}
is() { # what want words...
	local what=$1 want=$2 got
	shift 2
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then ok; else
		bad "$what: got [$(echo "$got" | tr '\n' ' ')], want [$(echo "$want" | tr '\n' ' ')]"
	fi
}
nl=$'\n'
is "a command" "objects" clrheap obj
is "commands by prefix" "stat${nl}statics" clrheap sta
is "help topics" "referrers${nl}refs" clrheap help ref
is "objects' options" "--depth" clrheap objects "$D" --de
is "exceptions' options" "--json" clrheap exceptions "$D" --j
is "find's -type" "d" clrheap find "$D" types -type d
is "nothing for a number" "" clrheap objects "$D" --depth ""
V='Bugfree.Spo.Analytics.Cli.Domain+Visit'
is "type names after --type, shell-quoted" "$V$nl$V\\[\\]" clrheap objects "$D" --type Bugfree.Spo.Analytics.Cli.Domain+V
got=$(complete_words clrheap objects "$D" --type 'System.Collections.Generic.List<')
check "a generic type name is shell-quoted ($(echo "$got" | head -n 1))" \
	test -n "$got" -a -z "$(echo "$got" | grep -v '^System\.Collections\.Generic\.List\\<')"
check "and reads back as the name" bash -c "eval \"set -- $(echo "$got" | head -n 1)\"; clrheap objects '$D' --type \"\$1\" >/dev/null"
is "the tree's top" "stat.tsv" clrheap cat "$D" sta
is "a folder gets a slash" "types/" clrheap cat "$D" typ
is "inside a type's folder" "types/$V/instances.csv${nl}types/$V/instances.jsonl${nl}types/$V/instances/" \
	clrheap cat "$D" "types/$V/inst"
is "a link is not a folder" "types/$V/base" clrheap ls "$D" "types/$V/ba"
is "the dump is a file" "$D" clrheap stat "${D%.dmp}.d"
is "diff's second dump too" "$D" clrheap diff "$D" "${D%.dmp}.d"
is "--search takes a folder" "$BUILD/dumps" clrheap stat "$D" --search "$BUILD/dum"
check "complete is set for clrheap" bash -c ". contrib/clrheap.bash; complete -p clrheap | grep -q _clrheap"
e2e_done

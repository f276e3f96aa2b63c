# bash completion for clrheap (make install puts it where bash-completion
# finds it; or `. contrib/clrheap.bash`): the commands, each one's options,
# dump files, type names after --type and --fields (from `clrheap types
# DUMP`), folders after --search, and the tree's paths after ls, cat,
# readlink, find and tar's DUMP (from `clrheap ls -l DUMP DIR`).

_clrheap_cmds="info stat types objects show statics refs referrers gcroot retained threads async
exceptions inspect diff facts ls cat readlink find tar help"

# The options of command $1.
_clrheap_opts() {
	local s="--search --progress"
	case $1 in
	info | stat | threads | async) echo "--json $s" ;;
	types) echo "--fields $s" ;;
	objects) echo "--type --all --csv --depth --max-items --max-string $s" ;;
	show) echo "--depth --max-items --max-string $s" ;;
	statics) echo "--type --depth $s" ;;
	refs) echo "--all $s" ;;
	referrers) echo "$s" ;;
	gcroot) echo "--json $s" ;;
	diff) echo "--paths --no-retained --json $s" ;;
	retained) echo "--all --no-stack-roots --no-static-roots $s" ;;
	exceptions) echo "--type --json $s" ;;
	inspect) echo "--limit $s" ;;
	facts) echo "--list --pack --file --version --out --check" ;;
	ls) echo "-l -U -d -o" ;;
	cat | readlink | tar) echo "-o --depth" ;;
	find) echo "-name -type -mindepth -maxdepth -print0" ;;
	esac
}

# The entries of the tree's folder $2 of dump $1, a folder's with a
# trailing slash, each prefixed with $2/ (none at the top).
_clrheap_tree() {
	local dump=$1 dir=$2
	clrheap ls "$dump" -l ${dir:+"$dir"} 2>/dev/null | head -n 5000 |
		awk -v pre="${dir:+$dir/}" 'NR > 1 && match($0, /[0-9][0-9]:[0-9][0-9] /) {
			t = substr($0, 1, 1); name = substr($0, RSTART + RLENGTH)
			if (t == "l") sub(/ -> .*/, "", name)
			print pre name (t == "d" ? "/" : "") }'
}

_clrheap() {
	local cur=${COMP_WORDS[COMP_CWORD]:-} prev=${COMP_WORDS[COMP_CWORD - 1]:-}
	local cmd=${COMP_WORDS[1]:-} dump=${COMP_WORDS[2]:-} IFS=$'\n' w
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		IFS=$' \n'
		COMPREPLY=($(compgen -W "$_clrheap_cmds --version --help" -- "$cur"))
		return
	fi
	# the word as the shell will read it (quotes, backslashes, ~), never
	# evaluated
	dump=${dump/#\~/$HOME}
	dump=${dump#[\"\']}
	dump=${dump%[\"\']}
	dump=${dump//\\/}
	case $prev in
	--type | --fields)
		[ -f "$dump" ] || return
		for w in $(clrheap types "$dump" 2>/dev/null | awk -F'\t' 'NR > 1 { print $4 }' | LC_ALL=C sort -u); do
			[[ $w == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$w")")
		done
		return ;;
	--search | --out)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--depth | --max-items | --max-string | --limit | -mindepth | -maxdepth | -name | -o | --pack | --version)
		return ;;
	-type)
		[ "$cmd" = find ] && { IFS=$' \n'; COMPREPLY=($(compgen -W "f d l" -- "$cur")); }
		return ;;
	esac
	if [ "$cmd" = help ]; then
		IFS=$' \n'
		COMPREPLY=($(compgen -W "$_clrheap_cmds" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		IFS=$' \n'
		COMPREPLY=($(compgen -W "$(_clrheap_opts "$cmd")" -- "$cur"))
		return
	fi
	if [ "$COMP_CWORD" -eq 2 ] || { [ "$cmd" = diff ] && [ "$COMP_CWORD" -eq 3 ]; }; then
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	case $cmd in
	ls | cat | readlink | find | tar)
		[ -f "$dump" ] || return
		local dir=
		[[ $cur == */* ]] && dir=${cur%/*}
		for w in $(_clrheap_tree "$dump" "$dir"); do
			[[ $w == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$w")")
		done
		# a folder, alone: go on into it
		[ "${#COMPREPLY[@]}" -eq 1 ] && [[ ${COMPREPLY[0]} == */ ]] && compopt -o nospace 2>/dev/null ;;
	esac
}
complete -F _clrheap clrheap

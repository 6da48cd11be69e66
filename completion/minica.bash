# bash completion for minica(1)                              -*- shell-script -*-
#
# Commands, subcommands and options are read from the binary's own --help
# when Tab is pressed, so they cannot drift from what that binary accepts;
# template names come from 'minica --json templates', key types from the
# --key option's help. Installed by 'make install' as
# $(PREFIX)/share/bash-completion/completions/minica; works with the
# bash-completion package (quoting, '--opt=value', 'rsa:2048') and, more
# simply, without it.

# 'minica WORDS... --help', run once per shell session for each binary and
# WORDS (one Tab read it up to five times; as with git's completion, a new
# shell picks up an upgraded binary). _minica_fetch fills the cache in the
# completing shell itself, since the readers below run in $(...) subshells.
declare -gA _minica_help_cache=()
_minica_fetch()
{
	local key="$_minica_bin $*"
	[[ -n ${_minica_help_cache[$key]+set} ]] ||
		_minica_help_cache[$key]=$("$_minica_bin" "$@" --help 2>/dev/null)
}
_minica_help()
{
	_minica_fetch "$@"
	printf '%s\n' "${_minica_help_cache["$_minica_bin $*"]}"
}

# "--opt" or "--opt=ARG" for every option that 'minica WORDS... --help' lists.
_minica_options()
{
	_minica_help "$@" |
		sed -nE 's/^ +(-[^-], )?(--[a-z][a-z0-9-]*)(\[?=[A-Z][A-Z-]*\]?)?.*/\2\3/p'
}

# The names listed under "Commands:" in 'minica WORDS... --help'.
_minica_commands()
{
	_minica_help "$@" |
		sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p'
}

# The usage line's positional arguments: "[show NAME]", "FILE", "SERIAL".
_minica_usage_args()
{
	_minica_help "$@" |
		sed -n 's/^Usage: minica[a-z -]* \[OPTION\.\.\.\] *//p' | head -n 1
}

# The key types that an option's help names, e.g. "rsa:2048|...|ec:P-384".
_minica_key_types()
{
	_minica_help "$@" |
		sed -n '/^  *--key=/,/^  *-/p' | sed '$d' | grep -o 'rsa:[0-9]*\|ec:P-[0-9]*'
}

# The argument name of option $1 in the option list $2 ("DIR", "FILE"), if it takes one.
_minica_arg_of()
{
	local o
	while read -r o; do
		if [[ $o == "$1="* || $o == "$1[="* ]]; then
			o=${o#*=}
			printf '%s\n' "${o%]}"
			return
		fi
	done <<<"$2"
}

_minica_templates()
{
	"$_minica_bin" "${_minica_globals[@]}" --json templates 2>/dev/null |
		sed -n 's/^ *"name": *"\([^"\\]*\)".*/\1/p'
}

_minica_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
		return
	fi
	compopt -o filenames 2>/dev/null # bash quotes the names and marks directories
	if [ "${1:-}" = -d ]; then
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

# Without bash-completion: readline splits words at ':' and '=' (they are in
# COMP_WORDBREAKS); glue them back, and split "--opt=value" as it would.
_minica_words()
{
	local i t
	words=()
	cword=0
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		t=${COMP_WORDS[i]}
		if ((i > 0)) && [[ $t == [:=] || ${words[${#words[@]} - 1]} == *[:=] ]]; then
			words[${#words[@]} - 1]+=$t
		else
			words+=("$t")
		fi
		((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
	cur=${words[cword]}
	prev=${words[cword - 1]}
	split=false
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
		split=true
	fi
}

# What bash will replace is only the part of the word after its last ':'.
_minica_ltrim_colon()
{
	if declare -F __ltrim_colon_completions >/dev/null; then
		__ltrim_colon_completions "$cur"
	elif [[ $cur == *:* ]]; then
		local prefix=${cur%"${cur##*:}"} i
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
		done
	fi
}

_minica()
{
	local cur prev words cword split=
	if declare -F _init_completion >/dev/null; then
		_init_completion -s -n : || return
	else
		_minica_words
	fi

	local _minica_bin=${words[0]/#\~/$HOME}
	command -v "$_minica_bin" >/dev/null 2>&1 || _minica_bin=minica
	local -a _minica_globals=() context=()
	local opts cmd= sub= verb= subs= i w arg=

	# Walk the words before the cursor: global options (kept for the
	# template lookup), the command, its subcommand or verb, and skip the
	# value of every option that takes one.
	_minica_fetch
	opts=$(_minica_options)
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		--store | --templates)
			_minica_globals+=("$w" "${words[i + 1]}")
			((i++))
			continue
			;;
		--store=* | --templates=*)
			_minica_globals+=("$w")
			continue
			;;
		--*=*) continue ;;
		-*)
			if [ -n "$(_minica_arg_of "$w" "$opts")" ]; then
				((i++))
			fi
			continue
			;;
		esac
		if [ -z "$cmd" ]; then
			cmd=$w
			context=("$cmd")
			_minica_fetch "${context[@]}"
			subs=$(_minica_commands "$cmd")
		elif [ -n "$subs" ] && [ -z "$sub" ]; then
			sub=$w
			context+=("$sub")
			_minica_fetch "${context[@]}"
		elif [ -z "$verb" ]; then
			verb=$w
			continue
		fi
		opts=$(_minica_options "${context[@]}")
	done

	# The value of an option.
	[[ $prev == -* ]] && arg=$(_minica_arg_of "$prev" "$opts")
	if [ -n "$arg" ]; then
		case $prev in
		--template)
			if [[ $cur == */* ]]; then
				_minica_files '@(cnf)'
			else
				COMPREPLY=($(compgen -W "$(_minica_templates)" -- "$cur"))
			fi
			;;
		--key) COMPREPLY=($(compgen -W "$(_minica_key_types "${context[@]}")" -- "$cur")) ;;
		--status) COMPREPLY=($(compgen -W "valid revoked expired superseded" -- "$cur")) ;;
		--reason)
			COMPREPLY=($(compgen -W "unspecified keyCompromise affiliationChanged
				superseded cessationOfOperation privilegeWithdrawn" -- "$cur"))
			;;
		--format) COMPREPLY=($(compgen -W "pem der p7b" -- "$cur")) ;;
		--role) COMPREPLY=($(compgen -W "hub edge" -- "$cur")) ;;
		--exchange) COMPREPLY=($(compgen -W "2007 2010 2013 2016 2019" -- "$cur")) ;;
		--date-order) COMPREPLY=($(compgen -W "dmy mdy" -- "$cur")) ;;
		*)
			case $arg in
			DIR) _minica_files -d ;;
			FILE) _minica_files ;;
			esac
			;;
		esac
		_minica_ltrim_colon
		return 0
	fi
	[ "$split" = true ] && return 0

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(printf '%s\n' "$opts" | sed -e 's/=.*//' -e 's/\[.*//')" -- "$cur"))
		return 0
	fi
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$(_minica_commands)" -- "$cur"))
	elif [ -n "$subs" ] && [ -z "$sub" ]; then
		COMPREPLY=($(compgen -W "$subs" -- "$cur"))
	else
		# positional arguments, as the usage line names them
		local usage
		usage=$(_minica_usage_args "${context[@]}")
		if [ -z "$verb" ] && [[ $usage == "["[a-z]* ]]; then
			COMPREPLY=($(compgen -W "$(printf '%s\n' "$usage" | grep -o '^\[[a-z][a-z-]*' | tr -d '[')" -- "$cur"))
		elif [ "$cmd" = templates ] && [ -n "$verb" ]; then
			COMPREPLY=($(compgen -W "$(_minica_templates)" -- "$cur"))
		elif [[ $usage == *FILE* ]]; then
			_minica_files
		fi
	fi
	return 0
} &&
	complete -F _minica minica

# ex: filetype=sh

# Plain build only: the bash completion script; the binary only prints --help here.
# bash completion: sourced into bash (with Debian's bash-completion, and
# without it), COMP_WORDS/COMP_CWORD set as bash would, _minica called, and
# COMPREPLY compared with what the binary itself lists: commands,
# subcommands, options per command, template names, key types, files and
# directories. 'make install-docs' puts it where bash-completion loads it.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"

COMPLETION="$SRC/completion/minica.bash"
BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || fail "bash-completion is not installed (make deps-test)"
bash -n "$COMPLETION" || fail "completion script does not parse"

# What the binary says, computed here independently of the completion script.
commands=$("$MINICA" --help | awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}' | sort | tr '\n' ' ')
ca_subs=$("$MINICA" ca --help | awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}' | sort | tr '\n' ' ')
export_opts=$("$MINICA" ca export --help | grep -oE '^ +(-., )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort | tr '\n' ' ')
mkdir -p "$T/tpl" "$T/work/dir one" "$T/work/dir2"
cp "$MINICA_TEMPLATES/tls-client.cnf" "$T/tpl/zz-custom.cnf"
: > "$T/work/file.txt"
c_commands=$(printf '%s\n' $commands | grep '^c' | sort | tr '\n' ' ')
templates=$("$MINICA" --json templates | jq -r '.[].name' | sort | tr '\n' ' ')
templates_plus=$("$MINICA" --templates "$T/tpl" --json templates | jq -r '.[].name' | sort | tr '\n' ' ')
assert_contains "$templates_plus" "zz-custom" "custom template directory"
[ "$(printf '%s' "$commands" | wc -w)" -ge 7 ] || fail "minica --help lists too few commands: $commands"

# comp "expected" WORD... : the last word is the one being completed; bash
# splits COMP_WORDS at ':' and '=' as readline does (COMP_WORDBREAKS).
cat > "$T/driver.bash" <<'EOF'
[ "$1" = with ] && source /usr/share/bash-completion/bash_completion
source "$COMPLETION"
status=0
comp() {
	local expected=$1 line
	shift
	line="$*"
	# readline's split: words at blanks, ':' and '=' are words of their own
	read -ra COMP_WORDS <<<"$(printf '%s' "$line" | sed -e 's/\([:=]\)/ \1 /g')"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	[[ $line == *[:=] ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_minica
	local got
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ')
	if [ "$got" != "$expected" ]; then
		echo "FAIL: '$line' completes to '$got', expected '$expected'"
		status=1
	fi
}
EOF

cat > "$T/cases.bash" <<'EOF'
cd "$T/work"
comp "$commands" "$MINICA "
comp "$c_commands" "$MINICA c"
comp "$ca_subs" "$MINICA ca "
comp "$ca_subs" "$MINICA --store $T/store --json ca "
comp "$export_opts" "$MINICA ca export --"
comp "--template --templates " "$MINICA issue --te"
comp "show " "$MINICA templates "
comp "$templates" "$MINICA templates show "
comp "$templates" "$MINICA issue --host a --template "
comp "$templates_plus" "$MINICA --templates $T/tpl issue --template "
comp "$templates_plus" "$MINICA issue --templates $T/tpl --template "
comp "expired revoked superseded valid " "$MINICA --store $T/store list --status "
comp "expired " "$MINICA list --status=ex"
comp "dir one dir2 " "$MINICA issue --out "
comp "dir one dir2 file.txt " "$MINICA report --html "
comp "dir one dir2 file.txt " "$MINICA report --force --ics "
comp "" "$MINICA show "
EOF

cat > "$T/cases-bc.bash" <<'EOF'
# key types (colons), --opt=value
comp "ec:P-256 ec:P-384 rsa:2048 rsa:3072 rsa:4096 " "$MINICA issue --key "
comp "ec:P-256 ec:P-384 rsa:3072 rsa:4096 " "$MINICA init --key "
comp "P-256 P-384 " "$MINICA issue --key ec:"
comp "P-384 " "$MINICA issue --key=ec:P-3"
comp "dir one dir2 " "$MINICA --store="
EOF

export MINICA T commands c_commands ca_subs export_opts templates templates_plus COMPLETION
res=$(cd "$T/work" && bash -c 'source "$T/driver.bash" with; source "$T/cases.bash"; source "$T/cases-bc.bash"; exit $status' 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "completion with bash-completion:
$res"
ok "with bash-completion: commands, subcommands, options, templates, key types, files"

# Without bash-completion: the same answers (the script glues ':' and '='
# back itself).
res=$(cd "$T/work" && bash -c 'source "$T/driver.bash" without; source "$T/cases.bash"; source "$T/cases-bc.bash"; exit $status' 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "completion without bash-completion:
$res"
ok "without bash-completion"

# The check must be able to fail.
res=$(bash -c 'source "$T/driver.bash" with; comp "nothing " "$MINICA "; exit $status' 2>&1)
assert_contains "$res" "FAIL: " "a wrong expectation is reported"
ok "the driver detects a wrong completion"

# make install-docs: where bash-completion's loader finds it.
make -s -C "$SRC" install-docs DESTDIR="$T/inst" PREFIX=/usr/local >/dev/null 2>"$T/make.err" ||
	fail "make install-docs: $(cat "$T/make.err")"
f="$T/inst/usr/local/share/bash-completion/completions/minica"
[ -f "$f" ] || fail "make install-docs did not install $f"
assert_file_mode "$f" 644
spec=$(XDG_DATA_DIRS="$T/inst/usr/local/share" bash -c 'source /usr/share/bash-completion/bash_completion; __load_completion minica && complete -p minica' 2>&1)
assert_eq "$spec" "complete -F _minica minica" "bash-completion loads the installed file"
ok "installed where bash-completion loads it"

finish

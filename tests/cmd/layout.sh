# Plain build only: source files and docs, not the binary.
# One list of commands: 'minica --help' (the table in minica.c), the files
# in cmd/ (one per command, named after it) and the "Source layout" of
# docs/development.md (moved there from README)
# name the same commands.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"

run --help
assert_rc 0 "minica --help"
table=$(printf '%s\n' "$out" | sed -n '/^Commands:$/,/^$/p' | awk 'NF > 1 {print $1}' | LC_ALL=C sort)
[ "$(printf '%s\n' "$table" | wc -l)" -ge 19 ] || fail "minica --help lists the commands: $table"
files=$(cd "$SRC/cmd" && ls *.c | sed 's/\.c$//' | grep -v '^ca_' | LC_ALL=C sort)
assert_eq "$files" "$table" "cmd/*.c (the ca_*.c of ca's subcommands aside) and minica --help"
ok "cmd/ holds one file per command: $(printf '%s\n' "$table" | wc -l) commands"

# cmd/ca_NAME.c is 'ca NAME' (ca_move_key.c: 'ca move-key'), listed by 'minica ca --help'.
run ca --help
subs=$(cd "$SRC/cmd" && ls ca_*.c | sed 's/^ca_//; s/\.c$//; s/_/-/g')
for sub in $subs; do
	assert_match "$out" "^  $sub " "minica ca --help lists $sub"
done
ok "cmd/ca_*.c are ca's subcommands: $(echo $subs)"

layout=$(sed -n '/^## Source layout$/,/^## /p' "$SRC/docs/development.md")
[ -n "$layout" ] || fail "docs/development.md has no '## Source layout' section"
for name in $files $(cd "$SRC/cmd" && ls ca_*.c | sed 's/\.c$//'); do
	assert_contains "$layout" "$name.c" "docs/development.md's Source layout names cmd/$name.c"
done
ok "docs/development.md's Source layout names every command file"

finish

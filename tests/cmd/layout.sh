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
files=$(cd "$SRC/cmd" && ls *.c | sed 's/\.c$//' | grep -v '^ca_extend$' | LC_ALL=C sort)
assert_eq "$files" "$table" "cmd/*.c (ca_extend.c aside) and minica --help"
ok "cmd/ holds one file per command: $(printf '%s\n' "$table" | wc -l) commands"

# ca_extend.c is 'ca extend', a subcommand of ca listed by 'minica ca --help'.
run ca --help
assert_match "$out" '^  extend ' "minica ca --help lists extend"
ok "cmd/ca_extend.c is 'minica ca extend'"

layout=$(sed -n '/^## Source layout$/,/^## /p' "$SRC/docs/development.md")
[ -n "$layout" ] || fail "docs/development.md has no '## Source layout' section"
for name in $files ca_extend; do
	assert_contains "$layout" "$name.c" "docs/development.md's Source layout names cmd/$name.c"
done
ok "docs/development.md's Source layout names every command file"

finish

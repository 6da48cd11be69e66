# A mistyped --store (issue 18, item 8): a directory that does not exist is
# named as such, with where minica looks for the store, and 'init' is not
# offered (following it would create a second CA); 'init' is offered for an
# empty directory and for the default location; init's "Next:" lines carry
# --store when it was given.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

DEFAULT="${XDG_DATA_HOME:-${HOME:-.}/.local/share}/minica"
make_ca --domain corp.example --no-passphrase
TYPO="$T/stroe"

# --store that does not exist: every command says so, never 'run minica init'
for cmd in list "check" "ca show" "issue --host mail-hub1 --out $T" "sign --csr /dev/null" "store verify" audit; do
	code=66
	case $cmd in check) code=3 ;; esac
	# shellcheck disable=SC2086
	expect_error $code "store $TYPO: not initialised: no such directory \(from --store; minica looks in --store DIR, else \\\$MINICA_STORE, else $DEFAULT\): check the path" \
		--store "$TYPO" $cmd
	assert_not_contains "$err" "init --name" "$cmd: no init offered for a missing --store"
done
[ ! -e "$TYPO" ] || fail "a command created $TYPO"
ok "a missing --store directory is named, no init offered"

# the same through $MINICA_STORE
MINICA_STORE="$TYPO" expect_error 66 "store $TYPO: not initialised: no such directory \(from \\\$MINICA_STORE; " list
assert_not_contains "$err" "init --name" "no init offered for a missing \$MINICA_STORE"

# the default location on a first run: init is what is needed
mkdir "$T/home"
(
	unset MINICA_STORE XDG_DATA_HOME
	HOME="$T/home" "$MINICA" list </dev/null >/dev/null 2>"$T/default.err"
	echo $? > "$T/default.rc"
)
assert_eq "$(cat "$T/default.rc")" "66" "no store at the default location"
assert_eq "$(cat "$T/default.err")" "minica: store $T/home/.local/share/minica: not initialised: no store at the default location yet (--store DIR or \$MINICA_STORE choose another); create one with 'minica init --name NAME'" "first run"
ok "the default location offers init"

# an empty directory offers init, with --store when it was given
mkdir -m 700 "$T/empty dir" "$T/full"
expect_error 66 "store $T/empty dir: not initialised: the directory is empty; create a CA there with 'minica --store '$T/empty dir' init --name NAME'" \
	--store "$T/empty dir" list
MINICA_STORE="$T/empty dir" expect_error 66 "the directory is empty; create a CA there with 'minica init --name NAME'" list
touch "$T/full/notes.txt"
expect_error 66 "store $T/full: not initialised: the directory holds no minica store \(no data.mdb\): check the path" \
	--store "$T/full" list
assert_not_contains "$err" "init --name" "no init offered for a directory with other files"
ok "init offered only for an empty directory"

# init's Next: lines carry --store as given, quoted for the shell
run --store "$T/empty dir" init --name "Second CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init into an empty directory"
assert_contains "$out" "Next: minica --store '$T/empty dir' issue --host mail-hub1" "Next: issue with --store"
assert_contains "$out" "minica --store '$T/empty dir' ca export --der --out minica-ca.cer" "Next: ca export with --store"
run --store "$T/empty dir" ca show
assert_rc 0 "the Next: store works"
run --store "$T/s3" init --name "Third CA" --key ec:P-256 --no-passphrase
assert_contains "$out" "Next: minica --store $T/s3 issue --host mail-hub1" "Next: with a plain --store"
MINICA_STORE="$T/s4" run init --name "Fourth CA" --key ec:P-256 --no-passphrase
assert_contains "$out" "Next: minica issue --host mail-hub1" "Next: without --store"
ok "init's Next: lines name the store"

finish

# Pass files others can read (issue 18, item 7): refused like a store others
# can read (exit 77), naming the chmod to run, wherever a secret is read from
# a file: --pass-file, $MINICA_PASS_FILE and --pfx-pass-file.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

printf 'correct horse battery staple\n' > "$T/open"
chmod 644 "$T/open"
expect_error 77 "passphrase file $T/open: readable by other users \(mode 0644\); it must be private: run 'chmod 600 $T/open'" \
	--pass-file "$T/open" init --name "Open CA" --key ec:P-256
[ ! -e "$MINICA_STORE" ] || fail "init with a readable pass file created the store"
make_ca --domain corp.example
for mode in 640 604 660 620 602; do
	chmod "$mode" "$T/open"
	expect_error 77 "passphrase file $T/open: readable by other users \(mode 0$mode\).*chmod 600" \
		--pass-file "$T/open" issue --host mail-hub1 --out "$T" --no-pfx
done
chmod 644 "$T/open"
MINICA_PASS_FILE="$T/open"
export MINICA_PASS_FILE
expect_error 77 "passphrase file $T/open: readable by other users \(mode 0644\); it must be private: run 'chmod 600 $T/open'" \
	issue --host mail-hub1 --out "$T" --no-pfx
unset MINICA_PASS_FILE
ok "a readable CA pass file is refused"

# the PFX password protects the leaf key in the PFX: the same rule
printf 'Exchange-Import-2026\n' > "$T/pfxpass"
chmod 644 "$T/pfxpass"
mkdir "$T/out"
expect_error 77 "PFX password file $T/pfxpass: readable by other users \(mode 0644\); it must be private: run 'chmod 600 $T/pfxpass'" \
	--pass-file "$PASS" issue --host mail-hub1 --pfx --pfx-pass-file "$T/pfxpass" --out "$T/out"
[ -z "$(ls "$T/out")" ] || fail "files were written"
ok "a readable PFX password file is refused"

# private files work, read-only too
chmod 400 "$T/open"
chmod 600 "$T/pfxpass"
run --pass-file "$T/open" issue --host mail-hub1 --pfx --pfx-pass-file "$T/pfxpass" --out "$T/out"
assert_rc 0 "issue with private pass files"
openssl pkcs12 -in "$T/out/mail-hub1.pfx" -passin file:"$T/pfxpass" -noout 2>/dev/null ||
	openssl pkcs12 -legacy -in "$T/out/mail-hub1.pfx" -passin file:"$T/pfxpass" -noout ||
	fail "the PFX does not open with the password file"
ok "0400 and 0600 pass files are read"

finish

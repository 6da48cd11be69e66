# A checkout runs as it is: with neither --templates nor $MINICA_TEMPLATES,
# a binary finds ../templates beside its own directory when that holds the
# shipped templates (BUILD/minica in a checkout); a copy elsewhere falls back
# to the installed directory alone, as an installed binary does.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"
unset MINICA_TEMPLATES
checkout=$(cd "$SRC/templates" && pwd -P)

# The checkout's binary: its templates, and a certificate issued with them.
run templates
assert_rc 0 "templates from the checkout"
assert_contains "$out" "smtp-transport" "the shipped templates"
run --pass-file "$PASS" init --name "Checkout CA" --key ec:P-256
assert_rc 0 "init"
mkdir "$T/out"
run --pass-file "$PASS" issue --host mail-edge1 --key ec:P-256 --out "$T/out"
assert_rc 0 "issue with the checkout's smtp-transport"
assert_contains "$out" "Issued mail-edge1 (template smtp-transport)" "issue report"
openssl x509 -in "$T/out/mail-edge1.crt" -noout -checkhost mail-edge1 | grep -q 'does match' ||
	fail "the certificate names mail-edge1"
ok "build binary: templates and issue without MINICA_TEMPLATES"

# Where it looks: the checkout first, then the installed directory.
run issue --host mail-edge1 --template no-such-template
assert_rc 66 "unknown template"
case "$err" in
"minica: template 'no-such-template' not found in $checkout, /"*"/share/minica/templates (see 'minica templates')") ;;
*) fail "checkout binary: searched the checkout, then the installed templates: $err" ;;
esac
installed=${err#*"$checkout, "}
installed=${installed%" (see 'minica templates')"}
ok "searched $checkout, then $installed"

# --templates (or $MINICA_TEMPLATES) replaces the checkout's directory, as before.
mkdir "$T/empty"
run --templates "$T/empty" issue --host mail-edge1 --template no-such-template
assert_rc 66 "--templates"
assert_eq "$err" "minica: template 'no-such-template' not found in $T/empty, $installed (see 'minica templates')" "--templates given"
MINICA_TEMPLATES="$T/empty" run issue --host mail-edge1 --template no-such-template
assert_eq "$err" "minica: template 'no-such-template' not found in $T/empty, $installed (see 'minica templates')" "MINICA_TEMPLATES given"
ok "--templates and MINICA_TEMPLATES: no checkout directory"

# A copy of the binary elsewhere: the installed directory alone.
mkdir "$T/bin"
cp "$MINICA" "$T/bin/minica"
copy() {
	out=$("$T/bin/minica" "$@" 2>"$T/.stderr" </dev/null)
	rc=$?
	err=$(cat "$T/.stderr")
}
copy issue --host mail-edge1 --template no-such-template
assert_rc 66 "copy: unknown template"
assert_eq "$err" "minica: template 'no-such-template' not found in $installed (see 'minica templates')" "copy: the installed directory only"
ok "a copy elsewhere falls back to $installed"

# ../templates beside the copy counts only when it holds the shipped templates.
mkdir "$T/templates"
cp "$checkout/tls-client.cnf" "$T/templates/zz-beside.cnf"
copy templates
assert_not_contains "$out" "zz-beside" "a templates/ without smtp-transport.cnf is not a checkout's"
cp "$checkout/smtp-transport.cnf" "$T/templates/"
copy templates
assert_rc 0 "copy beside a templates/ with the shipped ones"
assert_contains "$out" "zz-beside" "that templates/ is searched"
ok "../templates only with smtp-transport.cnf in it"

finish

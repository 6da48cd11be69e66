# Hostile templates (issue 18, items 3 and 4): the .include ban holds on the
# logical lines OpenSSL's NCONF builds (continuations, section::name, CR),
# '$' expansions are refused (a literal '$' is escaped), and the leaf checks
# fail closed: the CN by any name, CA bits in any form, undecodable
# basicConstraints or keyUsage, and no leaf without CA:FALSE.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

make_ca --domain corp.example --no-passphrase
mkdir "$T/tpl" "$T/out"
I="issue --out $T/out --no-pfx --force --host mail-hub1 --template"
# what an include would pull in: a CA leaf, were it applied
printf '[extensions]\nnsComment = included\nbasicConstraints = critical, CA:TRUE\n' > "$T/tpl/extra.inc"

# tpl NAME TEMPLATE-SECTION-LINES [EXTENSION-LINES]: a template file
tpl() {
	{
		printf '[template]\ndescription = %s\nkey = ec:P-256\npfx = no\n' "$1"
		printf "$2"
		printf '\n[extensions]\n'
		printf "${3:-basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n}"
	} > "$T/tpl/$1.cnf"
}

# ---- item 3: directives and expansions, as NCONF sees the lines ----
DIRECTIVE="directives \(.include, .pragma\) are not allowed: a template is one file"
tpl cont ".incl\\\\\nude = $T/tpl/extra.inc\n"
expect_error 65 "template $T/tpl/cont.cnf line 5: $DIRECTIVE" $I "$T/tpl/cont.cnf"
tpl sect "template::.include = $T/tpl/extra.inc\n"
expect_error 65 "template $T/tpl/sect.cnf line 5: $DIRECTIVE" $I "$T/tpl/sect.cnf"
tpl cr "\r.include $T/tpl/extra.inc\n"
expect_error 65 "template $T/tpl/cr.cnf line 5: $DIRECTIVE" $I "$T/tpl/cr.cnf"
tpl plain "  .include = $T/tpl/extra.inc\n"
expect_error 65 "line 5: $DIRECTIVE" $I "$T/tpl/plain.cnf"
tpl pragma ".pragma dollarid:true\n"
expect_error 65 "line 5: $DIRECTIVE" $I "$T/tpl/pragma.cnf"
# a continuation of a continuation, and CR LF line ends
tpl cont2 ".in\\\\\r\ncl\\\\\r\nude $T/tpl/extra.inc\r\n"
expect_error 65 "line 5: $DIRECTIVE" $I "$T/tpl/cont2.cnf"
# a UTF-8 byte order mark before the first line
{ printf '\357\273\277.include %s\n' "$T/tpl/extra.inc"; cat "$T/tpl/plain.cnf"; } > "$T/tpl/bom.cnf"
expect_error 65 "line 1: $DIRECTIVE" $I "$T/tpl/bom.cnf"
ok "directives refused on NCONF's logical lines"

EXPANSION="'\\\$' expansions \(\\\$var, \\\$ENV::NAME\) are not allowed"
tpl env "pfx_csp = \$ENV::HOME\n"
expect_error 65 "template $T/tpl/env.cnf line 5: $EXPANSION" $I "$T/tpl/env.cnf"
tpl var "" "basicConstraints = critical, CA:FALSE\nnsComment = \${template::description}\n"
expect_error 65 "line 8: $EXPANSION" $I "$T/tpl/var.cnf"
tpl var2 "" "basicConstraints = critical, CA:FALSE\nnsComment = x\$description\n"
expect_error 65 "line 8: $EXPANSION" $I "$T/tpl/var2.cnf"
tpl contvar "" "basicConstraints = critical, CA:FALSE\nnsComment = x\\\\\n\$ENV::HOME\n"
expect_error 65 "line 8: $EXPANSION" $I "$T/tpl/contvar.cnf"
printf 'a\0b' > "$T/tpl/nul.cnf"
expect_error 65 "template $T/tpl/nul.cnf line 1: a NUL byte" $I "$T/tpl/nul.cnf"
# a '$' in a comment, escaped, or quoted is no expansion: literal, as NCONF reads it
tpl literal "# costs \$5\n" "basicConstraints = critical, CA:FALSE\nnsComment = \"costs \\\\\$5, '\$6'\"\n"
run $I "$T/tpl/literal.cnf"
assert_rc 0 "a literal \$"
comment=$(openssl x509 -in "$T/out/mail-hub1.crt" -noout -ext nsComment | tail -n 1 | sed 's/^ *//')
assert_eq "$comment" "costs \$5, '\$6'" "the literal \$ as applied"
ok "\$ expansions refused, literal \$ kept"

# ---- item 4: the leaf checks fail closed ----
tpl oidcn "subject = subj\n[subj]\n2.5.4.3 = evil.example\nO = Corp\n"
expect_error 65 "\[subj\] 2.5.4.3: the common name comes from the first host" $I "$T/tpl/oidcn.cnf"
tpl lncn "subject = subj\n[subj]\ncommonName = evil.example\n"
expect_error 65 "\[subj\] commonName: the common name comes from the first host" $I "$T/tpl/lncn.cnf"
tpl nsca "" "basicConstraints = critical, CA:FALSE\nnsCertType = server, sslCA, objCA\n"
expect_error 65 "\[extensions\] nsCertType: sslCA, emailCA and objCA make a CA" $I "$T/tpl/nsca.cnf"
tpl nsemailca "" "basicConstraints = critical, CA:FALSE\nnsCertType = emailCA\n"
expect_error 65 "nsCertType: sslCA, emailCA and objCA make a CA" $I "$T/tpl/nsemailca.cnf"
tpl bcder "" "basicConstraints = critical, DER:30030101\n"
expect_error 65 "line 7: \[extensions\] basicConstraints: cannot be decoded" $I "$T/tpl/bcder.cnf"
tpl bcderca "" "basicConstraints = critical, DER:30030101ff\n"
expect_error 65 "basicConstraints: CA:TRUE is not allowed" $I "$T/tpl/bcderca.cnf"
tpl kuder "" "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, DER:0303\n"
expect_error 65 "line 8: \[extensions\] keyUsage: cannot be decoded" $I "$T/tpl/kuder.cnf"
tpl nsder "" "basicConstraints = critical, CA:FALSE\nnsCertType = DER:0303\n"
expect_error 65 "\[extensions\] nsCertType: cannot be decoded" $I "$T/tpl/nsder.cnf"
tpl kucrl "" "basicConstraints = critical, CA:FALSE\nkeyUsage = digitalSignature, cRLSign\n"
expect_error 65 "keyUsage: keyCertSign and cRLSign belong to the CA only" $I "$T/tpl/kucrl.cnf"
tpl nobc "" "keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n"
expect_error 65 "template $T/tpl/nobc.cnf: \[extensions\] needs 'basicConstraints = critical, CA:FALSE'" $I "$T/tpl/nobc.cnf"
tpl twice "" "basicConstraints = critical, CA:FALSE\n2.5.29.19 = critical, DER:3000\n"
expect_error 65 "line 8: \[extensions\] 2.5.29.19: given twice" $I "$T/tpl/twice.cnf"
tpl pathlen "" "basicConstraints = critical, CA:FALSE, pathlen:0\n"
run $I "$T/tpl/pathlen.cnf"
[ "$rc" -eq 65 ] || fail "CA:FALSE with a path length: expected 65, got $rc"
ok "CA bits and undecodable extensions refused"

# the shipped templates and a careful one still work
tpl good "subject = subj\n[subj]\nO = Corp\nOU = Mail\n" \
	"basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nnsCertType = server, client\n"
run $I "$T/tpl/good.cnf"
assert_rc 0 "a good template"
openssl verify -CAfile "$T/ca.pem" -purpose sslserver "$T/out/mail-hub1.crt" >/dev/null ||
	fail "the good template's leaf does not verify"
subject=$(openssl x509 -in "$T/out/mail-hub1.crt" -noout -subject -nameopt RFC2253)
assert_eq "$subject" "subject=CN=mail-hub1,OU=Mail,O=Corp" "one CN, from the host"
for t in smtp-transport tls-server tls-client; do
	run templates show "$t"
	assert_rc 0 "templates show $t"
done
ok "good templates load"

finish

# crl: a version 2 CRL that OpenSSL verifies against the CA, with a CRL
# number that grows, the AKI, thisUpdate/nextUpdate and reason codes;
# 'openssl verify -crl_check' refuses a revoked leaf and accepts a good one;
# expired revoked certificates leave the CRL only after one has listed them.
. "$(dirname "$0")/../lib.sh"

# The passphrase is the subject of one section only (at the end): its KDF is slow.
make_ca --domain corp.example --no-passphrase
issue_one() {
	host=$1
	shift
	run --pass-file "$PASS" issue --host "$host" --key ec:P-256 --no-pfx --out "$T" "$@"
	assert_rc 0 "issue $host"
	# as openssl prints serials: no leading zero bytes (minica reads both forms)
	printf '%s\n' "$out" | awk '$1 == "serial" {s = $2; while (substr(s, 1, 2) == "00") s = substr(s, 3); print s}'
}
GOOD=$(issue_one mail-hub1)
BAD=$(issue_one mail-hub2)
PLAIN=$(issue_one mail-edge1)
run --pass-file "$PASS" revoke "$BAD" --reason keyCompromise
assert_rc 0 "revoke BAD"
run --pass-file "$PASS" revoke "$PLAIN"
assert_rc 0 "revoke PLAIN (unspecified)"
crl_number() { openssl crl -in "$1" ${2:-} -noout -crlnumber | cut -d= -f2; }

# Bad input first: nothing may change (the CRL number is not used up).
touch "$T/exists.pem"
expect_error 73 "$T/exists.pem already exists \(use --force to replace it\)" --pass-file "$PASS" crl --out "$T/exists.pem"
expect_error 73 "output directory $T/no/such/dir: No such file or directory" --pass-file "$PASS" crl --out "$T/no/such/dir/crl.pem"
expect_error 64 "--days '0': must be between 1 and 3650" --pass-file "$PASS" crl --days 0
expect_error 64 "--days '3651': must be between 1 and 3650" --pass-file "$PASS" crl --days 3651
expect_error 64 "--days 'week': not a whole number" --pass-file "$PASS" crl --days week
expect_error 64 "unexpected argument 'now'" --pass-file "$PASS" crl now
expect_error 64 "--json without --out puts the CRL in the JSON as PEM" --json --pass-file "$PASS" crl --der

# The first CRL.
run --pass-file "$PASS" crl --out "$T/crl.pem"
assert_rc 0 "crl"
assert_contains "$out" "CRL number 1 written to $T/crl.pem (PEM)"
assert_contains "$out" "entries      2 revoked certificates (2 on a CRL for the first time)"
assert_file_mode "$T/crl.pem" 644
v=$(openssl crl -in "$T/crl.pem" -noout -verify -CAfile "$T/ca.pem" 2>&1)
assert_eq "$v" "verify OK" "openssl crl -verify"
text=$(openssl crl -in "$T/crl.pem" -noout -text)
assert_contains "$text" "Version 2 (0x1)" "CRL version"
assert_contains "$text" "Signature Algorithm: ecdsa-with-SHA256" "signature"
assert_eq "$(crl_number "$T/crl.pem")" "0x01" "first CRL number"
issuer=$(openssl crl -in "$T/crl.pem" -noout -issuer -nameopt RFC2253)
assert_eq "$issuer" "issuer=CN=Test Mail CA,O=Test Org" "issuer = CA subject"
aki=$(printf '%s\n' "$text" | grep -A1 'Authority Key Identifier' | tail -1 | tr -d ' ')
ski=$(openssl x509 -in "$T/ca.pem" -noout -ext subjectKeyIdentifier | tail -n +2 | tr -d ' ')
assert_match "$ski" '^([0-9A-F]{2}:){19}[0-9A-F]{2}$' "CA SKI"
assert_eq "$aki" "$ski" "CRL AKI = CA SKI (key identifier only)"
assert_not_contains "$text" "DirName" "no issuer name in the AKI"
# reasonCode for keyCompromise; none for unspecified (RFC 5280 5.3.1)
entry_of() { printf '%s\n' "$text" | awk -v s="$1" '/Serial Number:/ {on = ($3 == s)} on'; }
assert_contains "$(entry_of "$BAD")" "Key Compromise" "reason of BAD"
[ -n "$(entry_of "$PLAIN")" ] || fail "PLAIN is not on the CRL"
assert_not_contains "$(entry_of "$PLAIN")" "CRL Reason Code" "no reasonCode for unspecified"
[ -z "$(entry_of "$GOOD")" ] || fail "GOOD is on the CRL"
# thisUpdate is now, nextUpdate 30 days later
last=$(date -d "$(openssl crl -in "$T/crl.pem" -noout -lastupdate | cut -d= -f2)" +%s)
next=$(date -d "$(openssl crl -in "$T/crl.pem" -noout -nextupdate | cut -d= -f2)" +%s)
[ $(( $(date +%s) - last )) -lt 120 ] || fail "thisUpdate is not now"
assert_eq "$(( next - last ))" "$(( 30 * 86400 ))" "nextUpdate = thisUpdate + 30 days"
ok "CRL contents"

# openssl verify -crl_check: the revoked leaf fails with error 23, the good one passes.
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl.pem" "$T/mail-hub2.crt" 2>&1)
assert_contains "$v" "error 23 at 0 depth lookup: certificate revoked" "revoked leaf"
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl.pem" "$T/mail-hub1.crt" 2>&1)
assert_eq "$v" "$T/mail-hub1.crt: OK" "good leaf"
ok "openssl verify -crl_check"

# show and the store: listed since this CRL.
run show "$BAD"
assert_match "$out" '^on CRLs since 20[0-9-]{8} [0-9:]{8} UTC$' "show: on a CRL"
run --json show "$BAD"
assert_match "$(printf '%s' "$out" | jq -r .crl_listed_at)" '^20.*Z$' "crl_listed_at"

# The number grows: a second CRL to a file (with --days), a third on stdout, a
# fourth in DER, --force replaces a file.
run --pass-file "$PASS" crl --out "$T/crl2.pem" --days 7
assert_rc 0 "crl --days 7"
assert_contains "$out" "entries      2 revoked certificates (0 on a CRL for the first time)"
assert_eq "$(crl_number "$T/crl2.pem")" "0x02" "second CRL number"
last=$(date -d "$(openssl crl -in "$T/crl2.pem" -noout -lastupdate | cut -d= -f2)" +%s)
next=$(date -d "$(openssl crl -in "$T/crl2.pem" -noout -nextupdate | cut -d= -f2)" +%s)
assert_eq "$(( next - last ))" "$(( 7 * 86400 ))" "--days 7"
run --pass-file "$PASS" crl
assert_rc 0 "crl to stdout"
printf '%s\n' "$out" > "$T/crl3.pem"
assert_eq "$(crl_number "$T/crl3.pem")" "0x03" "third CRL number"
assert_contains "$err" "CRL number 3: 2 revoked certificates" "note on stderr"
run --pass-file "$PASS" crl --der --out "$T/crl4.crl"
assert_rc 0 "crl --der"
assert_eq "$(crl_number "$T/crl4.crl" "-inform DER")" "0x04" "fourth CRL number (DER)"
v=$(openssl crl -inform DER -in "$T/crl4.crl" -noout -verify -CAfile "$T/ca.pem" 2>&1)
assert_eq "$v" "verify OK" "DER CRL verifies"
run --pass-file "$PASS" crl --out "$T/crl.pem" --force
assert_rc 0 "crl --force"
assert_eq "$(crl_number "$T/crl.pem")" "0x05" "--force replaced the file"
run --json --pass-file "$PASS" crl
assert_eq "$(printf '%s' "$out" | jq -r '[.number, .entries, .first_listed, .dropped_expired, .format] | join(" ")')" \
	"6 2 0 0 pem" "crl --json"
printf '%s' "$out" | jq -r .crl > "$T/crl6.pem"
assert_eq "$(crl_number "$T/crl6.pem")" "0x06" "CRL in the JSON"
run --json --pass-file "$PASS" crl --out "$T/crl7.der" --der
assert_eq "$(printf '%s' "$out" | jq -r '[.number, .file, .format] | join(" ")')" "7 $T/crl7.der der" "crl --json --out"
ok "CRL numbers 1 to 7"

# Expiry (RFC 5280 3.3): an entry leaves the CRL only once it has appeared on a CRL
# issued after the certificate's notAfter; one that no CRL listed yet is listed even
# if it has expired. Time moves with faketime.
at() {
	offset=$1
	shift
	out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		faketime -f "$offset" "$MINICA" "$@" 2>"$T/.stderr" </dev/null)
	rc=$?
	err=$(cat "$T/.stderr")
}
on_crl() { openssl crl -in "$1" -noout -text | grep -q "Serial Number: $2$"; }
LISTED=$(issue_one mail-listed --days 1)
run --pass-file "$PASS" revoke "$LISTED" --reason superseded
run --pass-file "$PASS" crl --out "$T/crl8.pem"
on_crl "$T/crl8.pem" "$LISTED" || fail "LISTED is not on CRL 8"
SHORT=$(issue_one mail-short --days 1)
run --pass-file "$PASS" revoke "$SHORT" --reason cessationOfOperation
at '+400d' --pass-file "$PASS" crl --out "$T/crl9.pem"
assert_rc 0 "crl 400 days later"
assert_contains "$out" "entries      4 revoked certificates (1 on a CRL for the first time)"
assert_not_contains "$out" "dropped"
on_crl "$T/crl9.pem" "$LISTED" || fail "expired, listed only before its expiry: must stay on CRL 9"
on_crl "$T/crl9.pem" "$SHORT" || fail "expired and never listed: must be on CRL 9"
SHORT2=$(issue_one mail-short2 --days 1)
run --pass-file "$PASS" revoke "$SHORT2" --reason keyCompromise
at '+401d' --pass-file "$PASS" crl --out "$T/crl10.pem"
assert_rc 0 "crl 401 days later"
assert_contains "$out" "dropped      2 expired certificates (listed after they expired)"
! on_crl "$T/crl10.pem" "$LISTED" || fail "LISTED was on CRL 9, after its expiry: dropped from CRL 10"
! on_crl "$T/crl10.pem" "$SHORT" || fail "SHORT was on CRL 9, after its expiry: dropped from CRL 10"
on_crl "$T/crl10.pem" "$SHORT2" || fail "SHORT2 never listed: must be on CRL 10"
on_crl "$T/crl10.pem" "$BAD" || fail "BAD (not expired) must stay"
assert_eq "$(crl_number "$T/crl10.pem")" "0x0A" "tenth CRL number"
at '+402d' --pass-file "$PASS" crl --out "$T/crl11.pem"
assert_rc 0 "crl 402 days later"
! on_crl "$T/crl11.pem" "$SHORT2" || fail "SHORT2 was on CRL 10: dropped from CRL 11"
on_crl "$T/crl11.pem" "$BAD" || fail "BAD must stay on CRL 11"
v=$(openssl crl -in "$T/crl11.pem" -noout -verify -CAfile "$T/ca.pem" 2>&1)
assert_eq "$v" "verify OK" "CRL 11 verifies"
ok "expired revoked certificates"

# A P-384 CA signs its CRL with SHA-384.
run --store "$T/p384" init --name "P384 CA" --key ec:P-384 --no-passphrase
assert_rc 0 "init P-384"
run --store "$T/p384" crl --out "$T/p384.pem"
assert_rc 0 "crl P-384"
assert_contains "$(openssl crl -in "$T/p384.pem" -noout -text)" "ecdsa-with-SHA384" "P-384: SHA-384"
assert_contains "$(openssl crl -in "$T/p384.pem" -noout -text)" "No Revoked Certificates" "empty CRL"
ok "P-384"

# A template may name a CRL distribution point and AIA; the shipped smtp-transport
# names neither (an unreachable one stalls Windows revocation checks and mail flow).
cp "$MINICA_TEMPLATES/smtp-transport.cnf" "$T/with-cdp.cnf"
printf '%s\n' 'crlDistributionPoints = URI:http://ca.corp.example/minica.crl' \
	'authorityInfoAccess = caIssuers;URI:http://ca.corp.example/minica-ca.cer' >> "$T/with-cdp.cnf"
CDP=$(issue_one mail-cdp --template "$T/with-cdp.cnf")
cdp=$(openssl x509 -in "$T/mail-cdp.crt" -noout -ext crlDistributionPoints)
assert_contains "$cdp" "URI:http://ca.corp.example/minica.crl" "crlDistributionPoints in the leaf"
aia=$(openssl x509 -in "$T/mail-cdp.crt" -noout -ext authorityInfoAccess)
assert_contains "$aia" "CA Issuers - URI:http://ca.corp.example/minica-ca.cer" "AIA in the leaf"
text=$(openssl x509 -in "$T/mail-hub1.crt" -noout -text)
assert_not_contains "$text" "CRL Distribution Points" "smtp-transport: no CDP"
assert_not_contains "$text" "Authority Information Access" "smtp-transport: no AIA"
run --pass-file "$PASS" revoke "$CDP" --reason affiliationChanged
run --pass-file "$PASS" crl --out "$T/crl12.pem"
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl12.pem" "$T/mail-cdp.crt" 2>&1)
assert_contains "$v" "error 23 at 0 depth lookup: certificate revoked" "revoked leaf with a CDP"
assert_contains "$(openssl crl -in "$T/crl12.pem" -noout -text)" "Affiliation Changed" "reason"
ok "crlDistributionPoints and authorityInfoAccess in templates"

# crl signs: it needs the passphrase, and a wrong one writes nothing and uses up no number.
main_store=$MINICA_STORE
MINICA_STORE="$T/locked"
run --pass-file "$PASS" init --name "Locked CA" --key ec:P-256
assert_rc 0 "init a CA with a passphrase"
"$MINICA" ca export > "$T/locked-ca.pem" || fail "ca export"
expect_error 64 "the CA passphrase is needed and there is no terminal" crl --out "$T/x.pem"
printf 'not the passphrase\n' > "$T/wrong"
chmod 600 "$T/wrong"
expect_error 77 "wrong CA passphrase" --pass-file "$T/wrong" crl --out "$T/x.pem"
[ ! -e "$T/x.pem" ] || fail "a failed crl wrote its file"
run --pass-file "$PASS" crl --out "$T/x.pem"
assert_rc 0 "crl with the passphrase"
assert_eq "$(crl_number "$T/x.pem")" "0x01" "no number used up by the failures"
v=$(openssl crl -in "$T/x.pem" -noout -verify -CAfile "$T/locked-ca.pem" 2>&1)
assert_eq "$v" "verify OK" "signed by the locked CA"
MINICA_STORE=$main_store
ok "passphrase"

finish

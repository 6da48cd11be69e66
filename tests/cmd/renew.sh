# renew: a new key and certificate with the same names, template and key
# type; the old record superseded and linked both ways; refusals; bulk
# renewal of what expires soon, one line per certificate.
. "$(dirname "$0")/../lib.sh"

# No passphrase (its KDF would dominate the run time); that renew needs one is in lifecycle.sh.
make_ca --domain corp.example --no-passphrase
mkdir "$T/v1" "$T/v2" "$T/bulk"

run issue --host mail-hub1 --host smtp.corp.example --key ec:P-256 --out "$T/v1"
assert_rc 0 "issue mail-hub1"
old=$(printf '%s\n' "$out" | awk '$1 == "serial" {print $2}')

# Bad input first: one line, the SPEC code, the store unchanged.
expect_error 64 "give one of --host NAME, --serial SERIAL or --expiring DAYS" renew
expect_error 64 "give one of --host NAME, --serial SERIAL or --expiring DAYS" renew --host mail-hub1 --serial "$old"
expect_error 64 "--expiring '0': must be between 1 and 36500" renew --expiring 0
expect_error 64 "--key 'dsa:1024': not a supported key type" renew --host mail-hub1 --key dsa:1024
expect_error 66 "no certificate for host mail-hub9" renew --host mail-hub9
expect_error 65 "serial 'xyz': not a hexadecimal serial" renew --serial xyz
expect_error 66 "no certificate with serial 0*1 in store" renew --serial 01
expect_error 73 "$T/v1/mail-hub1.crt already exists" renew --host mail-hub1 --out "$T/v1"
ok "bad input"

run renew --host mail-hub1 --out "$T/v2"
assert_rc 0 "renew --host mail-hub1"
new=$(printf '%s\n' "$out" | awk '$1 == "serial" {print $2}')
assert_contains "$out" "Renewed mail-hub1 (template smtp-transport), replacing $old" "headline"
assert_contains "$out" "Enable-ExchangeCertificate -Thumbprint" "the PowerShell, as issue prints it"
for f in crt key chain.pem pfx pfx-password; do
	[ -s "$T/v2/mail-hub1.$f" ] || fail "mail-hub1.$f was not written"
done
assert_file_mode "$T/v2/mail-hub1.key" 600
[ "$new" != "$old" ] || fail "same serial"
v=$(openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca.pem" "$T/v2/mail-hub1.crt" 2>&1)
assert_eq "$v" "$T/v2/mail-hub1.crt: OK" "openssl verify"
san() { openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//'; }
assert_eq "$(san "$T/v2/mail-hub1.crt")" "$(san "$T/v1/mail-hub1.crt")" "same names"
assert_eq "$(san "$T/v2/mail-hub1.crt")" "DNS:mail-hub1, DNS:mail-hub1.corp.example, DNS:smtp.corp.example" "names"
assert_eq "$(openssl x509 -in "$T/v2/mail-hub1.crt" -noout -subject -nameopt RFC2253)" "subject=CN=mail-hub1" "subject"
k1=$(openssl x509 -in "$T/v1/mail-hub1.crt" -noout -pubkey)
k2=$(openssl x509 -in "$T/v2/mail-hub1.crt" -noout -pubkey)
[ "$k1" != "$k2" ] || fail "the renewed certificate has the old key"
assert_eq "$(openssl pkey -in "$T/v2/mail-hub1.key" -pubout)" "$k2" "the key file matches"
assert_contains "$(openssl x509 -in "$T/v2/mail-hub1.crt" -noout -text)" "ASN1 OID: prime256v1" "same key type as before (EC P-256, not the template's RSA)"
assert_contains "$(openssl pkcs12 -in "$T/v2/mail-hub1.pfx" -passin "file:$T/v2/mail-hub1.pfx-password" -info -noout 2>&1)" "pbeWithSHA1And3-KeyTripleDES-CBC" "legacy PFX, as the template says"
ok "same names, template and key type; new key and serial; files as issue writes them"

run --json show "$old"
assert_eq "$(printf '%s' "$out" | jq -r '"\(.status) \(.successor)"')" "superseded $new" "old record"
run --json show "$new"
assert_eq "$(printf '%s' "$out" | jq -r '"\(.status) \(.predecessor) \(.template)"')" "valid $old smtp-transport" "new record"
mdb_dump -p -s audit "$MINICA_STORE" | grep -q 'renew' || fail "no audit entry for the renewal"
ok "the old record is superseded and the two name each other"

# A superseded certificate is not renewed again; --host picks the newest valid one.
expect_error 65 "certificate $old \(mail-hub1\) was already renewed by $new; renew that one \('minica renew --serial $new'\)" \
	renew --serial "$old" --out "$T/v2" --force
run --json renew --host mail-hub1 --out "$T/v2" --force --no-pfx --days 90 --key rsa:2048
assert_rc 0 "renew --host again, --json, --days, --key"
assert_match "$(printf '%s' "$out" | jq -r '"\(.renews) \(.result) \(.days_left) \(.key) \(.pfx)"')" "^$new renewed (89|90) RSA 2048 none$" "JSON"
newest=$(printf '%s' "$out" | jq -r .serial)
run --json show "$new"
assert_eq "$(printf '%s' "$out" | jq -r '"\(.status) \(.successor)"')" "superseded $newest" "second renewal"
ok "superseded certificates are refused; --host renews the newest"

# Bulk: --expiring renews what expires within DAYS days, one line each.
for spec in "soon1 10" "soon2 20" "later1 100"; do
	set -- $spec
	run issue --host "$1" --key ec:P-256 --days "$2" --no-pfx --out "$T/v1"
	assert_rc 0 "issue $1"
done
run renew --expiring 30 --out "$T/bulk"
assert_rc 0 "renew --expiring 30"
assert_eq "$(printf '%s\n' "$out" | grep -c '^renewed  ')" "2" "two 'renewed' lines"
assert_match "$out" "^renewed  soon1  [0-9A-F]{32}  -> [0-9A-F]{32}  not after [0-9-]+ [0-9:]+ UTC  files $T/bulk/soon1.crt $T/bulk/soon1.key $T/bulk/soon1.chain.pem" "line for soon1"
assert_match "$out" "^renewed  soon2 " "line for soon2"
assert_not_contains "$out" "later1" "a 100-day certificate"
assert_contains "$out" "renewed 2 of 2 certificates expiring within 30 days" "summary"
for h in soon1 soon2; do
	v=$(openssl verify -CAfile "$T/ca.pem" "$T/bulk/$h.crt" 2>&1)
	assert_eq "$v" "$T/bulk/$h.crt: OK" "bulk $h verifies"
done
run check
assert_rc 0 "check after the bulk renewal"
run renew --expiring 30 --out "$T/bulk"
assert_rc 0 "nothing left to renew"
assert_contains "$err" "no valid certificate expires within 30 days" "note"
ok "bulk renewal"

# A file in the way stops that certificate only; the others go on; the exit code says so.
run issue --host soon3 --key ec:P-256 --days 5 --no-pfx --out "$T/v1"
run issue --host soon4 --key ec:P-256 --days 6 --no-pfx --out "$T/v1"
touch "$T/bulk/soon3.crt"
run --json renew --expiring 30 --out "$T/bulk"
assert_rc 73 "bulk with one failure"
assert_eq "$(printf '%s' "$out" | jq -r '[.[] | .names[0] + ":" + .result] | join(" ")')" "soon3:failed soon4:renewed" "JSON results"
assert_contains "$(printf '%s' "$out" | jq -r '.[0].reason')" "soon3.crt already exists" "reason"
run --json show --host soon3
assert_eq "$(printf '%s' "$out" | jq -r '.[0].status')" "valid" "soon3 was not renewed"
ok "bulk goes on past a failure and exits non-zero"

# A certificate signed from a CSR: the server keeps its key, so renew refuses it (a new CSR
# is needed); in bulk it is skipped with one line and the exit code says so.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/relay.key" \
	-subj "/CN=smtp-relay.corp.example" -out "$T/relay.csr" 2>/dev/null || fail "openssl req"
run sign --csr "$T/relay.csr" --days 10 --out "$T/relay.crt"
assert_rc 0 "sign the relay's CSR for 10 days"
relay=$(openssl x509 -in "$T/relay.crt" -noout -serial | cut -d= -f2)
expect_error 66 "certificate 0*$relay \(smtp-relay.corp.example\) was signed from a CSR: the server keeps its key, so renewing needs a new CSR \('minica sign --csr FILE --template smtp-transport'\)" \
	renew --serial "$relay" --out "$T/bulk"
run --json check
assert_match "$(printf '%s' "$out" | jq -r '.certificates[] | select(.names[0] == "smtp-relay.corp.example") | "\(.key_kept) \(.fix)"')" \
	"^false a new CSR from the server, then: minica --store $MINICA_STORE sign --csr FILE --template smtp-transport$" "check's fix for a CSR-signed certificate"
run renew --expiring 30 --out "$T/bulk" --force
assert_rc 66 "bulk renewal with a CSR-signed certificate"
assert_match "$out" "^skipped  smtp-relay.corp.example  0*$relay  signed from a CSR: needs a new CSR$" "skipped line"
assert_match "$out" "^renewed  soon3 " "the others go on"
assert_contains "$out" "renewed 1 of 2 certificates expiring within 30 days (see 'skipped' above)" "summary"
ok "a certificate signed from a CSR needs a new CSR"

# Expired certificates are left to --host/--serial, with a note (faketime: 8 days on).
command -v faketime >/dev/null || fail "faketime is not installed (make deps-test)"
run issue --host gone1 --key ec:P-256 --days 5 --no-pfx --out "$T/v1"
assert_rc 0 "issue gone1 for 5 days"
run_at +8d renew --expiring 30 --out "$T/bulk" --force
assert_rc 66 "renew --expiring 8 days later (the relay is still skipped)"
assert_contains "$err" "1 expired certificate was not renewed" "note about gone1"
assert_not_contains "$out" "gone1" "an expired certificate in bulk"
run_at +8d renew --host gone1 --out "$T/bulk" --force --no-pfx
assert_rc 0 "renew an expired certificate by name"
ok "expired certificates are renewed by name only"

finish

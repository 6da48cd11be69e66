# dane: TLSA records for a host's certificate (3 1 1, 2 1 1) agree with OpenSSL's own
# hashes and with OpenSSL's DANE verifier (s_client -dane_tlsa_rrdata) against a TLS
# server serving minica's chain file; the host gets marked; bad inputs fail cleanly.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"

make_ca --domain corp.example
printf 'wrong passphrase\n' > "$T/nopass"
chmod 600 "$T/nopass"
run --pass-file "$PASS" issue --host mail-hub1 --key ec:P-256 --no-pfx --out "$T"
assert_rc 0 "issue mail-hub1"

spki_sha256() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	openssl dgst -sha256 -r | cut -d' ' -f1 | tr a-f A-F; }
ee=$(spki_sha256 "$T/mail-hub1.crt")
ta=$(spki_sha256 "$T/ca.pem")

run dane --host mail-hub1 --mx mx1.corp.example
assert_rc 0 "dane"
assert_contains "$out" "_25._tcp.mail-hub1.corp.example. IN TLSA 3 1 1 $ee" "3 1 1 of the leaf"
assert_contains "$out" "_25._tcp.mail-hub1.corp.example. IN TLSA 2 1 1 $ta" "2 1 1 of the CA"
assert_contains "$out" "_25._tcp.mx1.corp.example. IN TLSA 3 1 1 $ee" "3 1 1 under the MX name"
assert_contains "$out" "Exchange sends no root" "advice per MTA"
assert_contains "$err" "does not name mx1.corp.example" "2 1 1 with a name the certificate lacks"
ok "zone lines"
# every zone line parses as a TLSA record (the ldns tools read zone files)
printf '%s\n' "$out" | grep -v '^;' | grep -c 'IN TLSA' | grep -qx 4 || fail "four records"

run dane --host mail-hub1 --port 587 --nsupdate --ttl 300
assert_rc 0 "dane --nsupdate"
assert_contains "$out" "update add _587._tcp.mail-hub1.corp.example. 300 IN TLSA 3 1 1 $ee"
assert_match "$out" '^send$' "nsupdate script ends with send"
ok "nsupdate"

run --json dane --host mail-hub1
assert_rc 0 "dane --json"
assert_eq "$(printf '%s' "$out" | jq -r '[.records[] | "\(.usage) \(.selector) \(.matching_type) \(.data)"] | join(",")')" \
	"3 1 1 $ee,2 1 1 $ta" "json records"
assert_eq "$(printf '%s' "$out" | jq -r '.port, .names[0], .next_key_staged' | tr '\n' ' ')" \
	"25 mail-hub1.corp.example false " "json fields"
ok "json"

# the host is marked (audited); --unmark removes it
run audit
assert_match "$out" 'dane .* mark mail-hub1 25' "audit of the mark"
run dane --host mail-hub1 --unmark
assert_rc 0 "unmark"
run audit
assert_match "$out" 'dane .* unmark mail-hub1' "audit of the unmark"
ok "marks"

# OpenSSL's DANE verifier accepts each record against a server sending the chain file
port=$(free_port)
openssl s_server -accept "127.0.0.1:$port" -cert "$T/mail-hub1.crt" -key "$T/mail-hub1.key" \
	-cert_chain "$T/ca.pem" -quiet -naccept 8 >"$T/s_server.log" 2>&1 &
PIDS="$PIDS $!"
wait_port "$port" 10
dane_verify() { # RRDATA -> "Verification: OK" and the matched record, or not
	echo Q | timeout 10 openssl s_client -connect "127.0.0.1:$port" -verify_return_error \
		-dane_tlsa_domain mail-hub1.corp.example -dane_tlsa_rrdata "$1" 2>&1
}
for rr in "3 1 1 $ee" "2 1 1 $ta"; do
	v=$(dane_verify "$rr")
	assert_contains "$v" "Verification: OK" "s_client -dane_tlsa_rrdata '$rr'"
	# s_client shows the record's usage and the digest's last 12 bytes, lower case
	tail=$(printf '%s' "$rr" | tr A-F a-f | awk '{ print substr($4, 41) }')
	assert_match "$v" "DANE TLSA ${rr%% *} 1 1 \\.\\.\\.$tail matched" "matched '$rr'"
done
ok "s_client verifies every record"
# records for another key fail
run --pass-file "$PASS" issue --host other --key ec:P-256 --no-pfx --out "$T"
other=$(spki_sha256 "$T/other.crt")
v=$(dane_verify "3 1 1 $other")
assert_not_contains "$v" "Verification: OK" "a record of another key"
ok "another key's record is refused"

# ---- rollover: renew --stage makes the next key now; the next renew uses it ----
run dane --host mail-hub1 -q
assert_rc 0 "mark mail-hub1 again"
before=$(store_digest)
run --pass-file "$T/nopass" renew --stage --host mail-hub1
assert_rc 77 "stage with a wrong passphrase"
assert_eq "$(store_digest)" "$before" "a failed stage leaves the store unchanged"
run --pass-file "$PASS" renew --stage --host mail-hub1
assert_rc 0 "renew --stage"
assert_contains "$out" "Staged the next key of mail-hub1 (EC P-256)"
next=$(printf '%s\n' "$out" | awk '/IN TLSA 3 1 1/ { print $NF }')
assert_match "$next" '^[0-9A-F]{64}$' "staged 3 1 1"
[ "$next" != "$ee" ] || fail "the staged key is a new key"
assert_eq "$(printf '%s\n' "$out" | grep -c '^_25._tcp.mail-hub1.corp.example. IN TLSA 3 1 1 ')" 1 "one owner"
# staging again shows the same key; dane lists it beside the current one
run --pass-file "$PASS" renew --stage --host mail-hub1
assert_rc 0 "renew --stage again"
assert_contains "$out" "already staged"
assert_contains "$out" "IN TLSA 3 1 1 $next"
run --json dane --host mail-hub1
assert_eq "$(printf '%s' "$out" | jq -r '.next_key_staged, (.records[] | select(.role == "next") | .data)' | tr '\n' ' ')" \
	"true $next " "dane shows the staged key"
run dane --host mail-hub1
assert_contains "$out" "_25._tcp.mail-hub1.corp.example. IN TLSA 3 1 1 $next"
ok "stage"
run store backup "$T/staged.mdb"
assert_rc 0 "backup with a staged key"
# the renewal uses it, says so, and drops it
run --pass-file "$PASS" renew --host mail-hub1 --no-pfx --force --out "$T"
assert_rc 0 "renew with the staged key"
assert_contains "$err" "using the staged key"
assert_not_contains "$err" "no staged key"
assert_eq "$(spki_sha256 "$T/mail-hub1.crt")" "$next" "the new certificate has the staged key"
run --json dane --host mail-hub1
assert_eq "$(printf '%s' "$out" | jq -r '.next_key_staged')" "false" "the staged key is used once"
run audit
assert_match "$out" 'renew .*hosts=mail-hub1,mail-hub1.corp.example key=staged' "the audit says the staged key was used"
# the staged key was sealed as kept leaf keys are: its private value is not in the store
/usr/bin/python3 - "$T/mail-hub1.key" "$T/staged.mdb" <<'PY' || fail "the staged private key is in the store in the clear"
import sys
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
secret = key.private_numbers().private_value.to_bytes(32, "big")
sys.exit(1 if secret in open(sys.argv[2], "rb").read() else 0)
PY
ok "renew uses the staged key"
# without a staged key: the warning, for a host marked for DANE only
run --pass-file "$PASS" renew --host mail-hub1 --no-pfx --force --out "$T"
assert_rc 0 "renew without a staged key"
assert_contains "$err" "marked for DANE and has no staged key: DANE senders will defer"
run --pass-file "$PASS" issue --host plain --key ec:P-256 --no-pfx --out "$T"
run --pass-file "$PASS" renew --host plain --no-pfx --force --out "$T"
assert_rc 0 "renew an unmarked host"
assert_not_contains "$err" "DANE"
ok "renew warns for a DANE host without a staged key"
# bulk renewal uses a staged key too
run --pass-file "$PASS" renew --stage --host plain
bulk_next=$(printf '%s\n' "$out" | awk '/IN TLSA 3 1 1/ { print $NF }')
run --pass-file "$PASS" renew --expiring 36500 --no-pfx --force --out "$T"
assert_contains "$err" "plain: using the staged key"
assert_eq "$(spki_sha256 "$T/plain.crt")" "$bulk_next" "renew --expiring used the staged key"
run store verify
assert_rc 0 "store verify after staging"
ok "bulk renewal and store verify"
expect_error 64 "--stage: give --host" renew --stage --expiring 30
expect_error 66 "no certificate for host nohost" --pass-file "$PASS" renew --stage --host nohost

# bad inputs: one line, the right exit code, the store unchanged
expect_error 66 "no certificate for host nohost" dane --host nohost
run --pass-file "$PASS" revoke "$(openssl x509 -in "$T/other.crt" -noout -serial | cut -d= -f2)"
assert_rc 0 "revoke other"
expect_error 66 "other has no valid certificate.*issue or renew" dane --host other
expect_error 65 "mx 'mx\.\.bad'|mx\.\.bad" dane --host mail-hub1 --mx 'mx..bad'
expect_error 65 "fully qualified" dane --host mail-hub1 --mx mx1
expect_error 64 "" dane
expect_error 64 "" dane --host mail-hub1 --port 0
finish

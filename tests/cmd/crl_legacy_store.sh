# A store made before the 'revoked' index existed (rebuilt here with mdb_dump
# and mdb_load, without that table) is still read, gets the index in its
# first write transaction, filled from the records, and its CRL lists
# certificates revoked before the upgrade.
. "$(dirname "$0")/../lib.sh"

make_ca --no-passphrase
issue_one() {
	run --pass-file "$PASS" issue --host "$1" --key ec:P-256 --no-pfx --out "$T"
	assert_rc 0 "issue $1"
	# as openssl prints serials: no leading zero bytes (minica reads both forms)
	printf '%s\n' "$out" | awk '$1 == "serial" {s = $2; while (substr(s, 1, 2) == "00") s = substr(s, 3); print s}'
}
A=$(issue_one mail-hub1)
B=$(issue_one mail-hub2)
run --pass-file "$PASS" revoke "$A" --reason keyCompromise
assert_rc 0 "revoke A"
tables() { mdb_stat -a "$1" | awk '/^Status of / && $3 != "Main" {print $3}' | sort | paste -sd' '; }
assert_eq "$(tables "$MINICA_STORE")" "audit by_expiry by_host ca certs meta revoked" "tables of a new store"

# Every table but 'revoked', into a new environment.
mdb_dump -a "$MINICA_STORE" | awk '
	/^VERSION=/ { section = ""; keep = 1 }
	/^database=revoked$/ { keep = 0 }
	{ section = section $0 "\n" }
	/^DATA=END$/ { if (keep) printf "%s", section; section = "" }' > "$T/dump"
mkdir "$T/legacy"
mdb_load -f "$T/dump" "$T/legacy" || fail "mdb_load"
chmod 700 "$T/legacy"
chmod 600 "$T/legacy"/*.mdb
export MINICA_STORE="$T/legacy"
assert_eq "$(tables "$T/legacy")" "audit by_expiry by_host ca certs meta" "the legacy store has no revoked table"

# Reading changes nothing and still finds the revoked certificate.
before=$(store_digest)
run list --status revoked --json
assert_rc 0 "list on the legacy store"
assert_eq "$(printf '%s' "$out" | jq -r 'map(.serial) | join(",")')" "$A" "revoked A found by a full scan"
assert_eq "$(store_digest)" "$before" "a read left the legacy store as it was"
ok "legacy store read"

# The first write adds the table, with A, in the same commit as the new revocation.
run --pass-file "$PASS" revoke "$B" --reason superseded
assert_rc 0 "revoke B on the legacy store"
assert_eq "$(tables "$T/legacy")" "audit by_expiry by_host ca certs meta revoked" "the table was added"
entries=$(mdb_stat -s revoked "$T/legacy" | awk '/Entries:/ {print $2}')
assert_eq "$entries" "2" "both revocations indexed"
run --pass-file "$PASS" crl --out "$T/crl.pem"
assert_rc 0 "crl on the upgraded store"
text=$(openssl crl -in "$T/crl.pem" -noout -text)
assert_contains "$text" "Serial Number: $A" "A (revoked before the upgrade) on the CRL"
assert_contains "$text" "Serial Number: $B" "B on the CRL"
v=$(openssl crl -in "$T/crl.pem" -noout -verify -CAfile "$T/ca.pem" 2>&1)
assert_eq "$v" "verify OK" "CRL verifies"
ok "legacy store upgraded"

finish

# acme account add | list | disable: EAB keys for 'minica serve', their
# name suffixes (checked against the CA's name constraints), the sealed
# HMAC key, audit entries, and the store left unchanged by every refusal.
. "$(dirname "$0")/../lib.sh"

expect_error 66 "not initialised" acme account list
make_ca --domain corp.example --permit-dns corp.example --permit-ip 127.0.0.0/8

expect_error 64 "give --names SUFFIX" acme account add --pass-file "$PASS"
expect_error 64 "which one\\?" acme account
expect_error 64 "unknown command 'frobnicate'" acme account frobnicate
expect_error 64 "give the account id" acme account disable
expect_error 65 "--names evil.example: outside the CA's name constraints" acme account add --names evil.example --pass-file "$PASS"
expect_error 65 "host name 'bad_name.corp.example'" acme account add --names bad_name.corp.example --pass-file "$PASS"
expect_error 65 "an IP address is not a name suffix" acme account add --names 10.0.0.1 --pass-file "$PASS"
expect_error 66 "template 'nonesuch'|nonesuch" acme account add --names corp.example --template nonesuch --pass-file "$PASS"
printf 'wrong passphrase\n' > "$T/wrong"
chmod 600 "$T/wrong"
expect_error 77 "wrong CA passphrase" acme account add --names corp.example --pass-file "$T/wrong"
expect_error 66 "no ACME account nope" acme account disable nope

run acme account add --names corp.example --comment "Exchange hubs" --pass-file "$PASS"
assert_rc 0 "account add"
kid=$(printf '%s\n' "$out" | sed -n 's/^kid *//p')
key=$(printf '%s\n' "$out" | sed -n 's/^hmac_key *//p')
assert_match "$kid" '^[A-Za-z0-9_][A-Za-z0-9_-]{21}$' "kid is base64url, not starting with '-'"
assert_match "$key" '^[A-Za-z0-9_][A-Za-z0-9_-]{42}$' "the HMAC key is 32 bytes of base64url, not starting with '-'"
# The store keeps the HMAC key sealed: its bytes are nowhere in the data file.
raw=$(printf '%s' "$key" | tr '_-' '/+' | sed 's/$/=/' | base64 -d | od -An -tx1 | tr -d ' \n')
od -An -tx1 "$MINICA_STORE/data.mdb" | tr -d ' \n' | grep -q "$raw" && fail "the HMAC key is stored in clear"
mdb_dump -a "$MINICA_STORE" | grep -q -e "$key" && fail "the HMAC key is stored in base64url"
ok "add prints a key id and an HMAC key that the store keeps sealed"

run --json acme account add --names mail-hub1.corp.example,mail-hub2.corp.example --template tls-server --pass-file "$PASS"
assert_rc 0 "account add --json"
kid2=$(printf '%s' "$out" | jq -r .kid)
assert_eq "$(printf '%s' "$out" | jq -r '.names | join(" ")')" "mail-hub1.corp.example mail-hub2.corp.example" "names"
assert_eq "$(printf '%s' "$out" | jq -r .template)" "tls-server" "template"
assert_match "$(printf '%s' "$out" | jq -r .hmac_key)" '^[A-Za-z0-9_-]{43}$' "hmac_key"
ok "add --json"

run acme account list
assert_rc 0 "list"
assert_match "$out" "$kid +valid +corp.example +- +- .*Exchange hubs" "the first account's row"
assert_match "$out" "$kid2 +valid +mail-hub1.corp.example,mail-hub2.corp.example +tls-server" "the second"
assert_not_contains "$out" "$key" "list shows no HMAC key"
run --json acme account list
assert_eq "$(printf '%s' "$out" | jq -r 'length')" "2" "two accounts"
assert_not_contains "$out" "$key" "list --json shows no HMAC key"
ok "list"

run acme account disable "$kid"
assert_rc 0 "disable"
run --json acme account list
assert_eq "$(printf '%s' "$out" | jq -r ".[] | select(.id == \"$kid\") | .status")" "disabled" "status"
assert_eq "$(printf '%s' "$out" | jq -r ".[] | select(.id == \"$kid2\") | .status")" "valid" "the other"
expect_error 65 "is disabled already" acme account disable "$kid"
ok "disable"

run audit
assert_eq "$(printf '%s\n' "$out" | grep -c 'acme account add')" "2" "two add entries"
assert_contains "$out" "kid=$kid account=(none registered)" "the disable entry"
run store verify
assert_rc 0 "store verify"
assert_contains "$out" "ACME objects    2" "store verify counts the ACME table"

# store verify checks the ACME table's shape: a damaged value and a bad key are found.
cp -r "$MINICA_STORE" "$T/damaged"
printf 'e/broken\nnot json\nbad key\n{}\n' | mdb_load -T -s acme "$T/damaged" || fail "mdb_load"
run --store "$T/damaged" store verify
assert_rc 74 "store verify of a damaged ACME table"
assert_contains "$out" "ACME object e/broken: not a JSON object (damaged)" "damaged value"
assert_contains "$out" "ACME table: entry" "malformed key"
ok "store verify checks the ACME table"
finish

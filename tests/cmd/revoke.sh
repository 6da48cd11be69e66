# revoke: RFC 5280 reasons, serials as users paste them, several in one
# transaction (all or none), revoking twice refused, the passphrase asked
# for, list/show report time and reason, the audit log says who did it.
. "$(dirname "$0")/../lib.sh"

# The passphrase is the subject of one section only (at the end): its KDF is slow.
make_ca --domain corp.example --no-passphrase
issue_one() {
	run --pass-file "$PASS" issue --host "$1" --key ec:P-256 --no-pfx --out "$T"
	assert_rc 0 "issue $1"
	printf '%s\n' "$out" | awk '$1 == "serial" {print $2}'
}
A=$(issue_one mail-hub1)
B=$(issue_one mail-hub2)
C=$(issue_one mail-edge1)
D=$(issue_one mail-edge2)
assert_match "$A$B$C$D" '^[0-9A-F]{128}$' "four serials"
R="--pass-file $PASS revoke"

# Bad input: one line, the SPEC code, the store unchanged.
expect_error 64 "give the SERIAL of the certificate to revoke" $R
expect_error 65 "serial 'zz': not a hexadecimal serial number" $R zz
expect_error 65 "serial '$A$A': not a hexadecimal serial number of at most 32 digits" $R "$A$A"
expect_error 66 "no certificate with serial 000000000000000000000000000000AB in store" $R ab
expect_error 64 "--reason 'stolen': not a revocation reason \(unspecified, keyCompromise," $R "$A" --reason stolen
expect_error 64 "--reason certificateHold: revocation in minica is permanent" $R "$A" --reason certificateHold
expect_error 64 "--reason removeFromCRL: revocation in minica is permanent" $R "$A" --reason removeFromCRL
expect_error 64 "--reason cACompromise: a CRL signed with a compromised CA key" $R "$A" --reason cACompromise
expect_error 64 "--reason aACompromise: aACompromise applies to attribute" $R "$A" --reason aACompromise
expect_error 64 "option '--reason' requires an argument" $R "$A" --reason
# all or none: a known serial next to an unknown one is not revoked
expect_error 66 "no certificate with serial 0000000000000000000000000000BEEF" $R "$A" beef
expect_error 66 "serials file $T/none: No such file" $R --serials-file "$T/none"
printf '%s\n# comment\n\n  %s  \nnot-a-serial\n' "$A" "$B" > "$T/bad-serials"
expect_error 65 "line 5: serial 'not-a-serial': not a hexadecimal" $R --serials-file "$T/bad-serials"
printf '# nothing\n\n' > "$T/empty-serials"
expect_error 65 "serials file $T/empty-serials: no serial in it" $R --serials-file "$T/empty-serials"
run list --status revoked
assert_contains "$err" "no certificates match" "nothing revoked by the failures"

# A serial as 'openssl x509 -serial' prints it (leading zeros dropped) and in lower case
# with colons: both name the same certificate.
oserial=$(openssl x509 -in "$T/mail-hub1.crt" -noout -serial)
run $R "$(printf '%s' "$oserial" | tr 'A-F' 'a-f')" --reason keyCompromise
assert_rc 0 "revoke by openssl's serial"
assert_contains "$out" "Revoked $A (mail-hub1, mail-hub1.corp.example)"
assert_contains "$out" "reason      keyCompromise"
assert_match "$out" "revoked at  20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC"
assert_contains "$out" "minica crl"
ok "revoke by pasted serial"
colons=$(printf '%s' "$A" | sed 's/../&:/g; s/:$//')
expect_error 65 "certificate $A \(mail-hub1\) was already revoked on .* \(keyCompromise\); nothing was changed" \
	$R "$colons" --reason superseded
expect_error 65 "already revoked" $R "$B" "$A"
run list --status revoked --json
assert_eq "$(printf '%s' "$out" | jq -r 'map(.serial) | join(",")')" "$A" "B not revoked with A"

# show: time and reason, not yet on a CRL.
run show "$A"
assert_rc 0 "show"
assert_match "$out" '^status +revoked$' "show status"
assert_match "$out" '^revoked +20[0-9-]{8} [0-9:]{8} UTC \(keyCompromise\)$' "show revocation"
assert_contains "$out" "(not yet: run 'minica crl')" "show: not on a CRL yet"
run --json show "$A"
assert_eq "$(printf '%s' "$out" | jq -r '.status, .revoke_reason, .crl_listed_at')" "revoked
keyCompromise
null" "show --json"
revoked_at=$(printf '%s' "$out" | jq -r .revoked_at)
assert_match "$revoked_at" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "revoked_at"
t=$(date -u -d "$(printf '%s' "$revoked_at" | tr T ' ' | tr -d Z)" +%s)
[ $(( $(date +%s) - t )) -lt 120 ] || fail "revoked_at $revoked_at is not now"
ok "show"

# Several serials in one call (one given twice), from arguments and a file.
# (C with --serial, the word renew and export take)
run --json $R "$B" --serial "$C" "$B" --reason superseded
assert_rc 0 "revoke two"
assert_eq "$(printf '%s' "$out" | jq -r 'map(.serial + " " + .revoke_reason) | sort | join(",")')" \
	"$(printf '%s superseded\n%s superseded\n' "$B" "$C" | sort | paste -sd,)" "revoke --json"
printf '# the last one\n%s\n' "$D" | {
	out=$("$MINICA" --pass-file "$PASS" revoke --serials-file - 2>"$T/.stderr")
	rc=$?
	err=$(cat "$T/.stderr")
	assert_rc 0 "revoke --serials-file -"
	assert_contains "$out" "Revoked $D (mail-edge2, mail-edge2.corp.example)"
	assert_contains "$out" "reason      unspecified"
}
ok "several serials"

# list --status revoked: when and why, for every revoked certificate and no other.
run list --status revoked
assert_rc 0 "list --status revoked"
header=$(printf '%s\n' "$out" | head -1)
assert_match "$header" '^SERIAL +REVOKED +REASON +NOT AFTER +NAMES$' "revoked header"
assert_eq "$(printf '%s\n' "$out" | tail -n +2 | wc -l)" "4" "four revoked"
assert_match "$out" "^$A +20[0-9-]{8} [0-9:]{8} UTC +keyCompromise +20[0-9-]{8} [0-9:]{8} UTC +mail-hub1, mail-hub1.corp.example$" "line of A"
assert_match "$out" "^$C +.* UTC +superseded +.* mail-edge1, mail-edge1.corp.example$" "line of C"
assert_match "$out" "^$D +.* UTC +unspecified +.* mail-edge2" "line of D"
run --json list --status revoked
assert_eq "$(printf '%s' "$out" | jq -r 'map(select(.serial == "'"$A"'"))[0] | .status + " " + .revoke_reason')" \
	"revoked keyCompromise" "list --json"
assert_eq "$(printf '%s' "$out" | jq -r 'map(.revoked_at | test("^20.*Z$")) | all')" "true" "list --json revoked_at"
run list --status valid
assert_contains "$err" "no certificates match" "no valid certificate left"
ok "list --status revoked"

# An expired certificate can be revoked (the audit entry says it was expired).
run --pass-file "$PASS" issue --host mail-old --key ec:P-256 --no-pfx --out "$T" --days 1
OLD=$(printf '%s\n' "$out" | awk '$1 == "serial" {print $2}')
out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	faketime -f '+3d' "$MINICA" --pass-file "$PASS" revoke "$OLD" --reason cessationOfOperation 2>&1 </dev/null)
rc=$?
assert_rc 0 "revoke an expired certificate"
assert_contains "$out" "Revoked $OLD (mail-old, mail-old.corp.example)"
ok "expired certificate revoked"

# The audit log (read with mdb_dump and openssl asn1parse, not with minica): one
# 'revoke' entry per certificate, naming the serial, the reason, who and where.
audit_text() {
	mdb_dump -s audit "$MINICA_STORE" | sed -n '/^HEADER=END/,/^DATA=END/p' | sed '1d;$d' |
		awk 'NR % 2 == 0 {print substr($0, 2)}' | while read -r hex; do
		printf '%s' "$hex" | perl -ne 'print pack("H*", $_)' > "$T/entry.der"
		openssl asn1parse -inform DER -in "$T/entry.der" | awk -F: '/UTF8STRING/ {printf "%s|", $NF} END {print ""}'
	done
}
log=$(audit_text)
assert_eq "$(printf '%s\n' "$log" | grep -c '^[^|]*|[^|]*|revoke|')" "5" "five revoke entries"
me=$(id -un)
assert_match "$log" "^$me\|$(hostname)\|revoke\|reason=keyCompromise was=valid hosts=mail-hub1,mail-hub1.corp.example\|$" "audit of A"
assert_match "$log" "\|revoke\|reason=superseded was=valid hosts=mail-edge1,mail-edge1.corp.example\|$" "audit of C"
assert_match "$log" "\|revoke\|reason=cessationOfOperation was=expired hosts=mail-old,mail-old.corp.example\|$" "audit of the expired one"
dump=$(mdb_dump -s audit "$MINICA_STORE" | tr -d ' \n' | tr 'a-f' 'A-F')
assert_contains "$dump" "8010$A" "audit names the serial of A"
# and 'minica audit' tells the same story
run --json audit
assert_rc 0 "minica audit"
assert_eq "$(printf '%s' "$out" | jq '[.[] | select(.action == "revoke")] | length')" "5" "audit: five revokes"
assert_eq "$(printf '%s' "$out" | jq -r --arg s "$A" '.[] | select(.action == "revoke" and .serial == $s) | .detail')" \
	"reason=keyCompromise was=valid hosts=mail-hub1,mail-hub1.corp.example" "audit: A's entry"
assert_eq "$(printf '%s' "$out" | jq -r --arg s "$A" '.[] | select(.action == "revoke" and .serial == $s) | .user')" "$me" "audit: who"
ok "audit log"

# Revoking signs nothing but asks for the passphrase: it is the CA operator's act.
main_store=$MINICA_STORE
MINICA_STORE="$T/locked"
run --pass-file "$PASS" init --name "Locked CA" --key ec:P-256
assert_rc 0 "init a CA with a passphrase"
L=$(issue_one locked-hub)
expect_error 64 "the CA passphrase is needed and there is no terminal" revoke "$L"
printf 'not the passphrase\n' > "$T/wrong"
chmod 600 "$T/wrong"
expect_error 77 "wrong CA passphrase" --pass-file "$T/wrong" revoke "$L"
run --pass-file "$PASS" revoke "$L" --reason keyCompromise
assert_rc 0 "revoke with the passphrase"
run show "$L"
assert_match "$out" '^status +revoked$' "revoked with the passphrase"
MINICA_STORE=$main_store
ok "passphrase"

finish

# check --dane on loopback: nsd serving a zone signed with ldns-signzone, an unbound
# that validates with that zone's key as its only trust anchor, and an SMTP server
# with STARTTLS serving minica's chain file. OK when the served chain matches the
# published records now and at the next renewal; WARNING when the next renewal
# would break it; CRITICAL when mail fails now (another key's records, no STARTTLS);
# an unsigned zone: DANE does not apply (UNKNOWN, not CRITICAL).
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"
. "$TESTDIR/dane_lib.sh"

make_ca --domain corp.example
run --pass-file "$PASS" issue --host mail-hub1 --key ec:P-256 --no-pfx --out "$T"
assert_rc 0 "issue"

# no host marked yet
run check --dane --resolver 127.0.0.1:9
assert_rc 0 "check --dane with no DANE host"
assert_contains "$out" "no host is marked for DANE"

# the records as 'dane' prints them, only 3 1 1 at first (as for Exchange)
run dane --host mail-hub1
assert_rc 0 "dane"
printf '%s\n' "$out" | grep -v '^;' | sed 's/^_25._tcp.mail-hub1.corp.example. /_25._tcp.mail-hub1 /' > "$T/all.rr"
grep ' 3 1 1 ' "$T/all.rr" > "$T/ee.rr"
printf 'mail-hub1 IN A 127.0.0.1\n' > "$T/a.rr"
cat "$T/a.rr" "$T/ee.rr" > "$T/zone1"
dns_start "$T/zone1"
smtp_start "$T/mail-hub1.chain.pem" "$T/mail-hub1.key"
D="check --dane --resolver $RESOLVER --dane-port $SMTP_PORT --dane-timeout 5"

# 3 1 1 only, nothing staged: mail works now, the next renewal would break it
run $D
assert_rc 1 "3 1 1 only: WARNING"
assert_match "$out" '^MINICA DANE WARNING - _25._tcp.mail-hub1.corp.example. next: the next renewal makes a new key'
assert_contains "$out" "the served certificate is verified by a published 3 1 1 record"
assert_contains "$out" "fix: run 'minica renew --stage --host mail-hub1'"
ok "WARNING before a renewal that would break DANE"

# stage the next key: WARNING until its record is published, then OK
run --pass-file "$PASS" renew --stage --host mail-hub1
assert_rc 0 "renew --stage"
run $D
assert_rc 1 "staged, not published"
assert_contains "$out" "the staged next key's 3 1 1 is not published"
run dane --host mail-hub1
printf '%s\n' "$out" | grep -v '^;' | grep ' 3 1 1 ' | sed 's/^_25._tcp.mail-hub1.corp.example. /_25._tcp.mail-hub1 /' > "$T/ee2.rr"
[ "$(wc -l < "$T/ee2.rr")" -eq 2 ] || fail "dane prints the current and the staged 3 1 1"
cat "$T/a.rr" "$T/ee2.rr" > "$T/zone2"
dns_zone "$T/zone2"
run $D
assert_rc 0 "staged and published: OK"
assert_match "$out" '^MINICA DANE OK - 1 host'
assert_contains "$out" "the staged next key matches a published record (its 3 1 1)"
run --json $D
assert_eq "$(printf '%s' "$out" | jq -r '.status, (.findings | length), .findings[0].when' | tr '\n' ' ')" \
	"OK 2 now " "check --dane --json"
ok "staged and published"

# the staged renewal goes live: still OK (served by the new certificate)
run --pass-file "$PASS" renew --host mail-hub1 --no-pfx --force --out "$T"
assert_rc 0 "renew with the staged key"
stop_pid "$SMTP_PID"
smtp_start "$T/mail-hub1.chain.pem" "$T/mail-hub1.key"
D="check --dane --resolver $RESOLVER --dane-port $SMTP_PORT --dane-timeout 5"
run $D
assert_rc 1 "after the staged renewal: now OK, the next one WARNING again"
assert_contains "$out" "the served certificate is verified by a published 3 1 1 record"
assert_contains "$out" "the next renewal makes a new key"
ok "renewal with the staged key keeps mail verified"

# 2 1 1 of the CA published and the CA sent in the chain: the next renewal is safe too
cat "$T/a.rr" "$T/all.rr" > "$T/zone3"
dns_zone "$T/zone3"
run $D
assert_rc 0 "2 1 1 published, CA in the chain"
assert_contains "$out" "the next certificate matches the published 2 1 1 of the CA"
ok "2 1 1 covers the next renewal"

# a renewal without staging, the new certificate installed: CRITICAL now
cat "$T/a.rr" "$T/ee.rr" > "$T/zone4"    # only the first certificate's 3 1 1
dns_zone "$T/zone4"
run $D
assert_rc 2 "records of another key: CRITICAL"
assert_match "$out" '^MINICA DANE CRITICAL - .* now: the served certificate matches no published TLSA record'
assert_contains "$out" "fix: publish the records of 'minica dane --host mail-hub1'"
ok "CRITICAL when the published records are another key's"

# no STARTTLS: CRITICAL
stop_pid "$SMTP_PID"
smtp_start "$T/mail-hub1.chain.pem" "$T/mail-hub1.key" --no-starttls
run check --dane --resolver "$RESOLVER" --dane-port "$SMTP_PORT" --dane-timeout 5
assert_rc 2 "no STARTTLS: CRITICAL"
assert_contains "$out" "does not offer STARTTLS"
ok "CRITICAL without STARTTLS"

# an unsigned zone: DANE does not apply (UNKNOWN, not CRITICAL)
run --pass-file "$PASS" issue --host mail.plain.example --key ec:P-256 --no-pfx --out "$T"
run dane --host mail.plain.example
assert_rc 0 "dane for a host in an unsigned zone"
printf 'mail IN A 127.0.0.1\n_25._tcp.mail IN TLSA 3 1 1 %s\n' \
	"$(printf '%s\n' "$out" | awk '/IN TLSA 3 1 1/ { print $NF; exit }')" > "$T/plain"
run dane --host mail-hub1 --unmark
DNS_PLAIN="$T/plain"
dns_zone "$T/zone4"
run check --dane --resolver "$RESOLVER" --dane-port "$SMTP_PORT" --dane-timeout 5
assert_rc 3 "unsigned zone: UNKNOWN"
assert_contains "$out" "DANE does not apply: no DNSSEC-validated answer"
assert_not_contains "$out" "CRITICAL"
ok "an unsigned zone is not CRITICAL"

# the resolver does not answer: UNKNOWN, within the bound
start=$(date +%s)
run check --dane --resolver "127.0.0.1:$(free_port)" --dane-timeout 2
assert_rc 3 "no resolver: UNKNOWN"
[ $(($(date +%s) - start)) -lt 20 ] || fail "check --dane waited past its bounds"
ok "no resolver: UNKNOWN, bounded"
expect_error 3 "--resolver 'nonsense'" check --dane --resolver nonsense
expect_error 3 "--resolver goes with --dane" check --resolver 127.0.0.1
TESTED_WITH="$(nsd -v 2>&1 | head -1), unbound $(unbound -V 2>/dev/null | awk '/^Version/ { print $2 }')"
finish

# remind: the reminder text, the mail a fake sendmail receives (read back
# header by header with Python's RFC 5322 parser), failing mail commands,
# and silence when nothing is due.
. "$(dirname "$0")/../lib.sh"

# A fake sendmail that keeps its argv, its stdin and its environment.
mkdir "$T/mail"
cat > "$T/fake-sendmail" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > "$T/mail/argv"
env > "$T/mail/env"
cat > "$T/mail/message"
EOF
printf '#!/bin/sh\ncat >/dev/null\nexit 75\n' > "$T/sendmail-75"
printf '#!/bin/sh\ncat >/dev/null\nkill -9 $$\n' > "$T/sendmail-killed"
chmod 755 "$T/fake-sendmail" "$T/sendmail-75" "$T/sendmail-killed"
FAKE="$T/fake-sendmail -t -oi"

# Nothing to report before there is a store: UNKNOWN, no mail.
expect_error 3 "not initialised" remind --mail postmaster@corp.example --sendmail "$FAKE"
[ ! -e "$T/mail/message" ] || fail "a mail was sent for a missing store"
assert_contains "$out" "MINICA UNKNOWN - store" "status line"

run init --name "Remind CA" --key ec:P-256 --years 20 --domain corp.example --no-passphrase
assert_rc 0 "init"

# Nothing due: exit 0, no output, no mail.
run remind --mail postmaster@corp.example --sendmail "$FAKE"
assert_rc 0 "remind with nothing due"
assert_eq "$out" "" "remind prints nothing when nothing is due"
[ ! -e "$T/mail/message" ] || fail "a mail was sent with nothing due"
run --json remind
assert_rc 0 "remind --json"
assert_eq "$(printf '%s' "$out" | jq -r '"\(.status) \(.mailed_to|length) \(.reminder)"')" "OK 0 null" "JSON with nothing due"
ok "silent when nothing is due"

# Bad options: UNKNOWN, one line, nothing sent.
expect_error 3 "--mail 'postmaster': give a plain address" remind --mail postmaster
expect_error 3 "--mail 'a@b.example\\\\x0ABcc: evil@example.org': give a plain address" remind --mail "$(printf 'a@b.example\nBcc: evil@example.org')"
expect_error 3 "--mail 'a@b.example, evil@example.org': give a plain address" remind --mail "a@b.example, evil@example.org"
expect_error 3 "--from 'Minica <m@x.example>': give a plain address" remind --mail a@b.example --from "Minica <m@x.example>"
expect_error 3 "--from and --sendmail need --mail ADDR" remind --sendmail "$FAKE"
expect_error 3 "--warn 'x': not a whole number" remind --warn x

run issue --host mail-hub1 --host smtp.corp.example --key ec:P-256 --days 30 --no-pfx --out "$T"
assert_rc 0 "issue mail-hub1 for 30 days"
serial=$(printf '%s\n' "$out" | awk '$1 == "serial" {print $2}')

# WARNING: the reminder says what, when, and the command that fixes it.
export SECRET_TOKEN=do-not-leak
export MINICA_PASS_FILE="$PASS"
run remind --mail postmaster@corp.example --mail hostmaster@corp.example --from minica@ca.corp.example --sendmail "$FAKE"
assert_rc 1 "remind with a 30-day certificate"
unset MINICA_PASS_FILE SECRET_TOKEN
assert_match "$out" "^minica: 1 item in store $MINICA_STORE needs attention" "first line"
assert_match "$out" "WARNING +mail-hub1 \(mail-hub1, mail-hub1.corp.example, smtp.corp.example\) expires on [0-9-]+ [0-9:]+ UTC \(in (29|30) days\)\." "what and when"
assert_contains "$out" "Serial $serial, template smtp-transport." "serial"
assert_contains "$out" "Fix: minica --store $MINICA_STORE renew --host mail-hub1" "the fix"
assert_contains "$out" "minica --store $MINICA_STORE revoke $serial --reason cessationOfOperation" "the way out for a server that is gone"
assert_eq "$err" "" "nothing on stderr"
ok "the reminder names the certificate, the date and the fix"

# The message, header by header.
[ -s "$T/mail/message" ] || fail "the fake sendmail got no message"
assert_eq "$(cat "$T/mail/argv")" "-t
-oi" "sendmail arguments"
for var in MINICA_PASS_FILE MINICA_STORE MINICA_TEMPLATES SECRET_TOKEN; do
	grep -q "^$var=" "$T/mail/env" && fail "the mail command's environment has $var"
done
grep -q '^PATH=' "$T/mail/env" || fail "the mail command has no PATH"
/usr/bin/python3 - "$T/mail/message" "$(date +%s)" "$MINICA_STORE" > "$T/mail/check" 2>&1 <<'EOF' || fail "message check: $(cat "$T/mail/check")"
import email, email.policy, email.utils, re, sys
raw = open(sys.argv[1], 'rb').read()
now, store = int(sys.argv[2]), sys.argv[3]
msg = email.message_from_bytes(raw, policy=email.policy.strict)
def expect(cond, what):
    if not cond:
        sys.exit("bad " + what + ": " + repr(raw[:400]))
for h in ('From', 'To', 'Subject', 'Date', 'Message-ID', 'MIME-Version', 'Content-Type'):
    expect(len(msg.get_all(h, [])) == 1, h + " (exactly once)")
expect(msg['From'].addresses[0].addr_spec == 'minica@ca.corp.example', 'From')
expect([a.addr_spec for a in msg['To'].addresses] == ['postmaster@corp.example', 'hostmaster@corp.example'], 'To')
expect(msg['Bcc'] is None and msg['Cc'] is None, 'no other recipients')
expect(re.fullmatch(r'\[minica\] WARNING: CA expires in \d+ days; 1 certificate expires within 60 days', str(msg['Subject'])), 'Subject')
expect(re.fullmatch(r'(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000', str(msg['Date'])), 'Date format')
expect(abs(email.utils.parsedate_to_datetime(str(msg['Date'])).timestamp() - now) < 300, 'Date value')
expect(re.fullmatch(r'<[^<>@\s]+@[^<>@\s]+>', str(msg['Message-ID'])), 'Message-ID')
expect(str(msg['MIME-Version']) == '1.0', 'MIME-Version')
expect(msg.get_content_type() == 'text/plain' and msg.get_content_charset() == 'utf-8', 'Content-Type')
expect(not msg.is_multipart(), 'single part')
for line in raw.split(b'\n\n', 1)[0].split(b'\n'):
    expect(len(line) <= 78, 'header line length')
body = msg.get_content()
expect('mail-hub1' in body, 'body names the host')
expect('minica --store ' + store + ' renew --host mail-hub1' in body, 'body gives the fix')
expect('expires on' in body, 'body says when')
EOF
ok "the message: From, To, Subject, Date, Message-ID, MIME, body"

# -q: the mail, no output. --json: the report with the reminder and the recipients.
rm -f "$T/mail/message"
run -q remind --mail postmaster@corp.example --sendmail "$FAKE"
assert_rc 1 "remind -q"
assert_eq "$out" "" "-q prints nothing"
[ -s "$T/mail/message" ] || fail "remind -q sent no mail"
run --json remind --mail postmaster@corp.example --sendmail "$FAKE"
assert_rc 1 "remind --json"
assert_eq "$(printf '%s' "$out" | jq -r '"\(.status) \(.mailed_to|join(",")) \(.certificates[0].names[0]) \(.reminder|test("renew --host mail-hub1"))"')" \
	"WARNING postmaster@corp.example mail-hub1 true" "JSON"
ok "-q and --json"

# A mail command that fails: one line, exit 3 (UNKNOWN: the reminder did not go out).
expect_error 3 "mail command '$T/sendmail-75' exited with status 75; the reminder was not mailed" \
	remind --mail postmaster@corp.example --sendmail "$T/sendmail-75 -t -oi"
expect_error 3 "mail command '$T/sendmail-killed' was killed by signal 9" \
	remind --mail postmaster@corp.example --sendmail "$T/sendmail-killed"
expect_error 3 "cannot run mail command '$T/nonesuch': No such file or directory" \
	remind --mail postmaster@corp.example --sendmail "$T/nonesuch -t"
expect_error 3 "cannot run mail command 'minica-no-such-mailer': No such file" \
	remind --mail postmaster@corp.example --sendmail "minica-no-such-mailer -t"
run --json remind --mail postmaster@corp.example --sendmail "$T/sendmail-75"
assert_rc 3 "remind --json with a failing mail command"
assert_eq "$(printf '%s' "$out" | jq -r .status)" "UNKNOWN" "JSON status"
ok "a failing mail command is reported and gives exit 3"

# CRITICAL, 20 days later (faketime): the subject says so.
command -v faketime >/dev/null || fail "faketime is not installed (make deps-test)"
rm -f "$T/mail/message"
run_at +20d remind --mail postmaster@corp.example --sendmail "$FAKE"
assert_rc 2 "remind 20 days later"
assert_match "$out" "CRITICAL +mail-hub1 .* expires on .* \(in (9|10) days\)" "critical item"
grep -q '^Subject: \[minica\] CRITICAL: ' "$T/mail/message" || fail "subject: $(grep ^Subject "$T/mail/message")"
grep -q '^X-Minica-Status: CRITICAL$' "$T/mail/message" || fail "no X-Minica-Status"
run_at +40d remind
assert_rc 2 "remind after expiry"
assert_match "$out" "mail-hub1 .* expired on .* \(1[01] days ago\)" "expired item"
ok "CRITICAL and expired"

# After a renewal there is nothing to say.
run renew --host mail-hub1 --out "$T" --force --no-pfx
assert_rc 0 "renew"
rm -f "$T/mail/message"
run remind --mail postmaster@corp.example --sendmail "$FAKE"
assert_rc 0 "remind after the renewal"
assert_eq "$out" "" "silent"
[ ! -e "$T/mail/message" ] || fail "mail sent after the renewal"
ok "renewed: nothing to say"

# The CA: the reminder gives 'ca extend' and how to distribute the new CA certificate.
run init --name "Short CA" --key ec:P-256 --years 1 --no-passphrase --store "$T/short"
assert_rc 0 "init --years 1"
run --store "$T/short" remind
assert_rc 1 "remind for a 1-year CA"
assert_match "$out" "WARNING +The CA CN=Short CA expires on .* \(in 36[45] days\)\." "CA item"
assert_contains "$out" "sooner than a new smtp-transport certificate (1825 days) would last" "clamp note"
assert_contains "$out" "Fix: minica --store $T/short ca extend --years 10" "fix"
assert_contains "$out" "certutil -addstore -f Root minica-ca.cer" "distribution"
ok "the CA's reminder"

finish

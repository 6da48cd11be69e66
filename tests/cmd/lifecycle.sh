# The CA's life with the clock moved by faketime: check one year and 30 days
# before the end, a leaf clamped to the CA's end, 'ca extend' at the last
# minute, leaves issued before the extension verifying against the new CA
# certificate alone, and renewals that bring check back to OK.
. "$(dirname "$0")/../lib.sh"
command -v faketime >/dev/null || fail "faketime is not installed (make deps-test)"

# One short template only: the CA's own thresholds are what this file tests
# (the longest-template rule has its own checks in check.sh).
mkdir "$T/tpl" "$T/out"
cat > "$T/tpl/lab.cnf" <<'EOF'
[template]
description = lab servers
key         = ec:P-256
days        = 90
pfx         = no

[extensions]
basicConstraints = critical, CA:FALSE
keyUsage         = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
EOF
export MINICA_TEMPLATES="$T/tpl"

make_ca --years 2 --domain corp.example --permit-dns corp.example
cp "$T/ca.pem" "$T/ca-v1.pem"
ca_end=$(not_after "$T/ca.pem")
# at DAYS: the faketime offset at which the CA has DAYS days left, less an hour
at() { echo "+$((ca_end - $(date +%s) - $1 * 86400 + 3600))"; }
# epoch DAYS: the same moment as seconds since the epoch, for openssl -attime
epoch() { echo $((ca_end - $1 * 86400 + 3600)); }
I="--pass-file $PASS issue --template lab --out $T/out"

run check
assert_rc 0 "check right after init"
assert_match "$(printf '%s\n' "$out" | head -1)" '^MINICA OK - CA expires in 73[01] days; no certificate expires within 60 days \| ca_days=73[01];365;90 ' "status line"
ok "a new CA with a 2-year life is OK"

run $I --host mail-hub1.corp.example --days 700
assert_rc 0 "issue mail-hub1.corp.example (700 days)"
hub1_end=$(not_after "$T/out/mail-hub1.corp.example.crt")
[ $((ca_end - hub1_end)) -gt $((30 * 86400)) ] || fail "mail-hub1.corp.example should end a month before the CA"
ok "mail-hub1.corp.example issued at the start"

# One year before the end: 366 days left is still OK, 364 days and 23 hours is WARNING
# (states compare seconds; the days shown count calendar days: 365, or 364 past midnight).
run_at "$(at 366)" check
assert_rc 0 "check 366 days before the CA expires"
run_at "$(at 365)" check
assert_rc 1 "check one year before the CA expires"
assert_match "$(printf '%s\n' "$out" | head -1)" '^MINICA WARNING - CA expires in 36[45] days; no certificate expires within 60 days \|' "status line"
assert_contains "$out" "fix: minica --store $MINICA_STORE ca extend --years 10" "fix for the CA"
run_at "$(at 365)" --json check
assert_rc 1 "check --json one year before"
assert_match "$(printf '%s' "$out" | jq -r '.status + " " + .ca.state + " " + (.ca.days_left|tostring) + " " + (.certificates|length|tostring)')" \
	"^WARNING WARNING 36[45] 0$" "JSON status, CA state, days, certificates"
ok "one year before the end: WARNING (exit 1)"

# 100 days before the end: a new leaf is clamped to the CA's notAfter, with a warning.
run_at "$(at 100)" $I --host mail-hub2.corp.example --days 365
assert_rc 0 "issue mail-hub2.corp.example with 100 days left"
assert_contains "$err" "warning: mail-hub2.corp.example: validity clamped from 365 days to the CA's notAfter" "clamp warning"
assert_contains "$err" "minica ca extend" "the clamp warning says how to fix it"
assert_eq "$(not_after "$T/out/mail-hub2.corp.example.crt")" "$ca_end" "mail-hub2.corp.example ends with the CA"
v=$(openssl verify -x509_strict -attime "$(epoch 100)" -CAfile "$T/ca-v1.pem" "$T/out/mail-hub2.corp.example.crt" 2>&1)
assert_eq "$v" "$T/out/mail-hub2.corp.example.crt: OK" "clamped leaf verifies"
run_at "$(at 100)" check
assert_rc 1 "check with 99 days left (above --crit 90)"
run_at "$(at 100)" check --crit 100
assert_rc 2 "check --crit 100 with 99 days left"
run_at "$(at 100)" check --warn 50 --crit 20
assert_rc 0 "check --warn 50 --crit 20 with 99 days left"
ok "a leaf issued with 100 days left is clamped to the CA's end"

# 30 days before the end: CRITICAL. mail-hub1.corp.example expired a day ago, mail-hub2.corp.example has 29 days.
run_at "$(at 30)" check
assert_rc 2 "check 30 days before the CA expires"
assert_match "$(printf '%s\n' "$out" | head -1)" '^MINICA CRITICAL - CA expires in (29|30) days; 1 certificate expired, 1 certificate expires within 60 days \| ca_days=(29|30);365;90 certs_expired=1 certs_critical=0 certs_warning=1$' "status line"
run_at "$(at 30)" --json check
assert_rc 2 "check --json"
assert_eq "$(printf '%s' "$out" | jq -r '[.status, .ca.state, (.certificates[] | .names[0] + ":" + .state + ":" + .status)] | join(" ")')" \
	"CRITICAL CRITICAL mail-hub1.corp.example:CRITICAL:expired mail-hub2.corp.example:WARNING:valid" "JSON states"
assert_eq "$(printf '%s' "$out" | jq -r '.certificates[0].fix')" "minica --store $MINICA_STORE renew --host mail-hub1.corp.example" "JSON fix"
ok "30 days before the end: CRITICAL (exit 2)"

# ca extend needs the passphrase, refuses to shorten, and changes nothing when it fails.
expect_error 64 "the CA passphrase is needed" ca extend --years 10
printf 'wrong passphrase here\n' > "$T/wrong"
chmod 600 "$T/wrong"
expect_error 77 "wrong CA passphrase" --pass-file "$T/wrong" ca extend --years 10
expect_error 65 "extending never shortens" --pass-file "$PASS" ca extend --years 1
expect_error 65 "extending never shortens" --pass-file "$PASS" ca extend --until "$(date -u -d @$((ca_end - 86400)) +%F)"
expect_error 64 "--until 2001-01-01: that is in the past" --pass-file "$PASS" ca extend --until 2001-01-01
expect_error 64 "--until '2031-02-30': not a date" --pass-file "$PASS" ca extend --until 2031-02-30
expect_error 64 "--until 'tomorrow': not a date" --pass-file "$PASS" ca extend --until tomorrow
expect_error 64 "give either --years N or --until" --pass-file "$PASS" ca extend
expect_error 64 "give either --years N or --until" --pass-file "$PASS" ca extend --years 5 --until 2090-01-01
expect_error 64 "--years '0': must be between 1 and 100" --pass-file "$PASS" ca extend --years 0
expect_error 64 "--years '101': must be between 1 and 100" --pass-file "$PASS" ca extend --years 101

# ... and works at the last minute, with the clock 30 days before the end.
run_at "$(at 30)" --pass-file "$PASS" ca extend --years 10
assert_rc 0 "ca extend --years 10"
"$MINICA" ca export > "$T/ca-v2.pem" || fail "ca export"
"$MINICA" ca export --der --out "$T/minica-ca.cer" 2>/dev/null || fail "ca export --der"
thumb=$(openssl x509 -in "$T/ca-v2.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
assert_eq "$(printf '%s\n' "$out" | awk '$1 == "thumbprint" {print $2}')" "$thumb" "printed thumbprint"
assert_contains "$out" "minica ca export --der --out minica-ca.cer" "how to export it"
assert_contains "$out" "certutil -addstore -f Root minica-ca.cer" "how to install it on Windows"
assert_contains "$out" "smtp_tls_CAfile" "how to install it for Postfix"
assert_eq "$(openssl x509 -in "$T/minica-ca.cer" -inform DER -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)" "$thumb" "the DER export is the new certificate"
ok "ca extend prints the new thumbprint and how to distribute it"

# The new CA certificate: same name, key, key identifiers and extensions; new serial; later end.
for what in subject issuer pubkey; do
	assert_eq "$(openssl x509 -in "$T/ca-v2.pem" -noout -$what)" "$(openssl x509 -in "$T/ca-v1.pem" -noout -$what)" "same $what"
done
exts() { openssl x509 -in "$1" -noout -text | sed -n '/X509v3 extensions:/,/Signature Algorithm:/p'; }
assert_eq "$(exts "$T/ca-v2.pem")" "$(exts "$T/ca-v1.pem")" "same extensions (SKI and AKI included)"
assert_match "$(exts "$T/ca-v2.pem")" 'X509v3 Subject Key Identifier' "has an SKI"
assert_match "$(exts "$T/ca-v2.pem")" 'X509v3 Name Constraints: critical' "keeps the name constraints"
[ "$(openssl x509 -in "$T/ca-v2.pem" -noout -serial)" != "$(openssl x509 -in "$T/ca-v1.pem" -noout -serial)" ] || fail "the serial did not change"
new_end=$(not_after "$T/ca-v2.pem")
expected=$(date -u -d "$(date -u -d "@$(epoch 30)" "+%Y-%m-%d %H:%M:%S") +0000 +10 years" +%s)
[ $((new_end - expected)) -ge -120 ] && [ $((new_end - expected)) -le 120 ] || fail "new notAfter $new_end is not 10 years after the faked now ($expected)"
new_start=$(date -u -d "$(openssl x509 -in "$T/ca-v2.pem" -noout -startdate | cut -d= -f2)" +%s)
[ $((new_start - $(epoch 30))) -ge -3720 ] && [ $((new_start - $(epoch 30))) -le -3480 ] || fail "notBefore is not an hour before the faked now"
v=$(openssl verify -x509_strict -check_ss_sig -attime "$(epoch 30)" -CAfile "$T/ca-v2.pem" "$T/ca-v2.pem" 2>&1)
assert_eq "$v" "$T/ca-v2.pem: OK" "the new CA certificate is validly self-signed"
ok "the new CA certificate keeps key, names and extensions"

# Every leaf issued before verifies with only the new CA certificate.
v=$(openssl verify -x509_strict -purpose sslserver -attime "$(epoch 30)" -CAfile "$T/ca-v2.pem" "$T/out/mail-hub2.corp.example.crt" 2>&1)
assert_eq "$v" "$T/out/mail-hub2.corp.example.crt: OK" "mail-hub2.corp.example (issued before) against the new CA alone"
v=$(openssl verify -x509_strict -no_check_time -CAfile "$T/ca-v2.pem" "$T/out/mail-hub1.corp.example.crt" 2>&1)
assert_eq "$v" "$T/out/mail-hub1.corp.example.crt: OK" "mail-hub1.corp.example (expired) chains to the new CA alone"
# Control: a CA with the same name but another key must not verify them.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" \
	-subj "/O=Test Org/CN=Test Mail CA" -days 5000 -out "$T/other.pem" 2>/dev/null || fail "openssl req"
v=$(openssl verify -attime "$(epoch 30)" -CAfile "$T/other.pem" "$T/out/mail-hub2.corp.example.crt" 2>&1)
assert_not_contains "$v" ": OK" "a foreign CA with the same name"
ok "leaves issued before the extension verify against the new CA certificate alone"

# The store keeps both CA certificates; ca show reports the version.
run ca show
assert_contains "$out" "version      2 of 2" "ca show"
run --json ca show
assert_eq "$(printf '%s' "$out" | jq -r '"\(.version) \(.versions) \(.thumbprint)"')" "2 2 $thumb" "ca show --json"
n=$(mdb_dump -s ca "$MINICA_STORE" | sed -n '/^HEADER=END/,/^DATA=END/p' | grep -c '^ ')
assert_eq "$n" "4" "two keys and two values in the ca table"
mdb_dump -s ca "$MINICA_STORE" | grep -qi "$(openssl x509 -in "$T/ca-v1.pem" -outform DER | od -An -tx1 -v | tr -d ' \n' | cut -c1-200)" ||
	fail "the first CA certificate is no longer in the store"
mdb_dump -p -s audit "$MINICA_STORE" | grep -q 'ca-extend' || fail "no audit entry for ca extend"
ok "both CA versions are kept, and the extension is audited"

# After the extension the CA is OK; mail-hub1.corp.example (expired) and mail-hub2.corp.example still alarm.
run_at "$(at 30)" --json check
assert_rc 2 "check after the extension, before renewing"
assert_eq "$(printf '%s' "$out" | jq -r '"\(.ca.state) \(.ca.version) \(.certificates|length)"')" "OK 2 2" "CA OK, two leaves"
[ "$(printf '%s' "$out" | jq -r .ca.days_left)" -ge 3650 ] || fail "the CA should have 10 years left"

unset MINICA_PASS_FILE
expect_error 64 "the CA passphrase is needed" renew --host mail-hub1.corp.example --out "$T/out" --force
run_at "$(at 30)" --pass-file "$PASS" renew --host mail-hub1.corp.example --out "$T/out" --force
assert_rc 0 "renew mail-hub1.corp.example (expired)"
assert_contains "$out" "Renewed mail-hub1.corp.example" "renew output"
run_at "$(at 30)" --pass-file "$PASS" renew --host mail-hub2.corp.example --out "$T/out" --force
assert_rc 0 "renew mail-hub2.corp.example"
v=$(openssl verify -x509_strict -attime "$(epoch 30)" -CAfile "$T/ca-v2.pem" "$T/out/mail-hub2.corp.example.crt" 2>&1)
assert_eq "$v" "$T/out/mail-hub2.corp.example.crt: OK" "renewed mail-hub2.corp.example verifies against the new CA"
[ "$(not_after "$T/out/mail-hub2.corp.example.crt")" -gt "$ca_end" ] || fail "the renewed mail-hub2.corp.example is still clamped to the old CA's end"
run_at "$(at 30)" check
assert_rc 0 "check after the extension and the renewals"
assert_match "$(printf '%s\n' "$out" | head -1)" '^MINICA OK - CA expires in 365[0-9] days; no certificate expires within 60 days' "status line"
ok "extended CA and renewed leaves: OK (exit 0); superseded certificates never alarm"

# 35 days later the renewed (90-day) leaves have 55 days left: WARNING for them alone.
run_at "$(at -5)" --json check
assert_rc 1 "check 55 days before the renewed leaves expire"
assert_match "$(printf '%s' "$out" | jq -r '[.ca.state, (.certificates[] | .state + ":" + (.days_left|tostring))] | join(" ")')" \
	'^OK WARNING:5[45] WARNING:5[45]$' "only the renewed leaves warn"
ok "the leaves' own thresholds after the extension"

finish

# check: thresholds for the CA and the leaves, the longest-template rule,
# what never alarms (superseded, replaced), the JSON shape, and UNKNOWN (3)
# for a store that cannot be read or a bad option.
. "$(dirname "$0")/../lib.sh"

first_line() { printf '%s\n' "$out" | head -1; }

# UNKNOWN before there is a store: the reason on stderr and in the status line.
expect_error 3 "store $MINICA_STORE: not initialised" check
assert_eq "$(first_line)" "MINICA UNKNOWN - store $MINICA_STORE: not initialised: no such directory (from \$MINICA_STORE; minica looks in --store DIR, else \$MINICA_STORE, else ${XDG_DATA_HOME:-${HOME:-.}/.local/share}/minica): check the path" "status line"
run --json check
assert_rc 3 "check --json without a store"
assert_eq "$(printf '%s' "$out" | jq -r '.status + " " + (.error|test("not initialised")|tostring)')" "UNKNOWN true" "JSON UNKNOWN"
ok "a missing store is UNKNOWN"

run --pass-file "$PASS" init --name "Check CA" --key ec:P-256 --years 20 --domain corp.example --no-passphrase
assert_rc 0 "init"

# Bad options are UNKNOWN too (the monitoring-plugin convention), and change nothing.
expect_error 3 "--warn 'soon': not a whole number" check --warn soon
expect_error 3 "--crit '-1': must be between 0 and 36500" check --crit -1
expect_error 3 "--crit 400 is more than --warn 365" check --crit 400
expect_error 3 "--leaf-crit 90 is more than --leaf-warn 60" check --leaf-crit 90
expect_error 3 "unknown option '--bogus' \(see 'minica [a-z]* --help'\)" check --bogus
expect_error 3 "unexpected argument 'now'" check now
assert_eq "$(first_line)" "MINICA UNKNOWN - invalid command line (see 'minica check --help')" "status line"

# A 20-year CA, no certificates: OK, and the table names the CA.
run check
assert_rc 0 "check of a new 20-year CA"
assert_match "$(first_line)" '^MINICA OK - CA expires in 730[45] days; no certificate expires within 60 days \| ca_days=730[45];365;90 certs_expired=0 certs_critical=0 certs_warning=0$' "status line"
assert_match "$out" 'OK +[0-9-]+ [0-9:]+ UTC +730[45]  CA CN=Check CA \(version 1\)' "CA row"
run -q check
assert_eq "$(printf '%s\n' "$out" | wc -l)" "1" "-q prints the status line only"
run --json check
assert_eq "$(printf '%s' "$out" | jq -r 'keys_unsorted | join(",")')" "status,summary,checked_at,store,thresholds,ca,certificates,replaced" "JSON keys"
assert_eq "$(printf '%s' "$out" | jq -r '"\(.status) \(.ca.state) \(.ca.longest_template) \(.ca.longest_template_days) \(.ca.clamps_new_certificates) \(.ca.fix)"')" \
	"OK OK smtp-transport 1825 false null" "JSON CA"
ok "a healthy store is OK"

# Leaves: CRITICAL under 14 days, WARNING under 60, OK from 60 on.
I="issue --key ec:P-256 --no-pfx --out $T --force"
for spec in "crit1 10" "warn1 30" "edge 61" "ok1 100"; do
	set -- $spec
	run $I --host "$1" --days "$2"
	assert_rc 0 "issue $1"
done
run check
assert_rc 2 "check with a 10-day leaf"
assert_match "$(first_line)" '^MINICA CRITICAL - CA expires in 730[45] days; 1 certificate expires within 14 days, 1 certificate expires within 60 days \| .* certs_expired=0 certs_critical=1 certs_warning=1$' "status line"
assert_match "$out" "CRITICAL +[^ ]+ [^ ]+ UTC +(9|10)  crit1, crit1.corp.example \(serial [0-9A-F]{32}\)" "critical row"
assert_contains "$out" "fix: minica --store $MINICA_STORE renew --host crit1" "fix for crit1"
assert_not_contains "$out" "ok1" "a 100-day leaf"
assert_not_contains "$out" "edge" "a 61-day leaf"
run --json check
assert_eq "$(printf '%s' "$out" | jq -r '[.certificates[] | .names[0] + ":" + .state] | join(" ")')" "crit1:CRITICAL warn1:WARNING" "JSON certificates"
assert_eq "$(printf '%s' "$out" | jq -r '.certificates[0] | [(.serial|test("^[0-9A-F]{32}$")), .status, .template, .key_kept, (.not_after|test("Z$"))] | map(tostring) | join(" ")')" \
	"true valid smtp-transport true true" "JSON certificate fields"
run check --leaf-warn 20 --leaf-crit 5
assert_rc 1 "check --leaf-warn 20 --leaf-crit 5"
assert_match "$(first_line)" "1 certificate expires within 20 days" "custom leaf threshold"
run check --leaf-warn 0 --leaf-crit 0
assert_rc 0 "leaf thresholds 0"
ok "leaf thresholds"

# An expired leaf is CRITICAL; faketime moves minica's clock 11 days on.
command -v faketime >/dev/null || fail "faketime is not installed (make deps-test)"
run_at +11d check
assert_rc 2 "check 11 days later"
assert_match "$(first_line)" '1 certificate expired, 2 certificates expire within 60 days' "expired leaf in the status line"
assert_contains "$out" "(serial " "row"
assert_match "$out" 'CRITICAL .* -[12]  crit1, crit1.corp.example \(serial [0-9A-F]{32}, expired\)' "expired row"
ok "an expired leaf is CRITICAL"

# Renewed (superseded) certificates never alarm.
run renew --host crit1 --out "$T" --force --no-pfx
assert_rc 0 "renew crit1"
run renew --host warn1 --out "$T" --force --no-pfx
assert_rc 0 "renew warn1"
run check
assert_rc 0 "check after renewing"
run_at +11d --json check
assert_rc 1 "check 11 days later, after renewing"
assert_eq "$(printf '%s' "$out" | jq -r '[.certificates[] | .names[0] + ":" + .state] | join(" ")')" "edge:WARNING" "only the 61-day leaf is left"
ok "superseded certificates never alarm"

# Rollover overlap: a newer certificate for the same names, issued with 'issue', replaces the old one.
run $I --host roll1 --host smtp.corp.example --days 20
assert_rc 0 "issue roll1 (20 days)"
run check
assert_rc 1 "roll1 alone warns"
run $I --host roll1 --days 400
assert_rc 0 "issue roll1 without smtp.corp.example"
run check
assert_rc 1 "a newer certificate without all the names does not replace it"
run $I --host roll1 --host smtp.corp.example --days 400
assert_rc 0 "issue roll1 again with all names"
run --json check
assert_rc 0 "check after the rollover"
assert_eq "$(printf '%s' "$out" | jq -r '"\(.status) \(.replaced) \(.certificates|length)"')" "OK 1 0" "replaced, not counted"
run check
assert_contains "$out" "1 expiring certificate already has a newer certificate for the same names" "note"
ok "a certificate replaced by a newer one for the same names does not alarm"

# The CA: the longest template's validity (1825 days for smtp-transport) is a WARNING.
export MINICA_STORE="$T/short"
run init --name "Short CA" --key ec:P-256 --years 3 --no-passphrase
assert_rc 0 "init --years 3"
run check
assert_rc 1 "a 3-year CA with a 5-year template"
assert_match "$(first_line)" '^MINICA WARNING - CA expires in 109[56] days, sooner than a new smtp-transport certificate \(1825 days\): extend it now; ' "status line"
assert_contains "$out" "new smtp-transport certificates (1825 days) would be clamped to the CA's notAfter: extend the CA now" "table note"
assert_contains "$out" "fix: minica --store $T/short ca extend --years 10" "fix"
run --json check
assert_eq "$(printf '%s' "$out" | jq -r '"\(.ca.state) \(.ca.clamps_new_certificates) \(.ca.longest_template)"')" "WARNING true smtp-transport" "JSON"
mkdir "$T/tpl"
cp "$MINICA_TEMPLATES/tls-server.cnf" "$T/tpl/"
MINICA_TEMPLATES="$T/tpl" run check
assert_rc 0 "the same CA when the longest template is tls-server (825 days)"
ok "a CA that ends before the longest template's validity is a WARNING"

# An expired CA is CRITICAL; issuing then fails and says to extend it.
run init --name "Old CA" --key ec:P-256 --years 1 --no-passphrase --store "$T/old"
assert_rc 0 "init --years 1"
run_at +400d --store "$T/old" check
assert_rc 2 "check of an expired CA"
assert_match "$(first_line)" '^MINICA CRITICAL - CA expired 3[45] days ago; ' "status line"
run_at +400d --store "$T/old" issue --host late1 --out "$T" --no-pfx
assert_rc 65 "issue under an expired CA"
assert_contains "$err" "extend it first with 'minica ca extend" "advice"
run_at +400d --store "$T/old" ca extend --years 5
assert_rc 0 "extend an expired CA"
run_at +400d --store "$T/old" check --warn 30 --crit 10
assert_rc 0 "after extending the expired CA"
ok "an expired CA is CRITICAL until it is extended"

# A store that cannot be read is UNKNOWN, with the reason.
export MINICA_STORE="$T/store"
chmod 755 "$MINICA_STORE"
run check
assert_rc 3 "store readable by others"
assert_contains "$out" "MINICA UNKNOWN - store $MINICA_STORE: readable by other users" "status line"
assert_eq "$(printf '%s\n' "$err" | grep -c .)" "1" "one line on stderr"
chmod 700 "$MINICA_STORE"
mkdir -m 700 "$T/broken"
head -c 65536 /dev/urandom > "$T/broken/data.mdb"
chmod 600 "$T/broken/data.mdb"
run --store "$T/broken" check
assert_rc 3 "a damaged data.mdb"
assert_match "$(first_line)" "^MINICA UNKNOWN - store $T/broken: " "status line"
ok "an unreadable store is UNKNOWN (3)"

# A revoked certificate never alarms, however soon it expires; the command-level
# counterpart of tests/unit/test_policy.c.
S5="$T/revoked"
run --store "$S5" init --name "Revoked CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init"
run --store "$S5" --json issue --host mail-soon --key ec:P-256 --days 5 --no-files
assert_rc 0 "a certificate with 5 days left"
soon=$(printf '%s' "$out" | jq -r .serial)
run --store "$S5" check
assert_rc 2 "5 days left is CRITICAL"
assert_contains "$out" "mail-soon" "the table names it"
run --store "$S5" revoke "$soon" --reason cessationOfOperation
assert_rc 0 "revoke it"
run --store "$S5" check
assert_rc 0 "a revoked certificate does not alarm"
assert_not_contains "$out" "mail-soon" "nor is it listed"
run --store "$S5" --json check
assert_eq "$(printf '%s' "$out" | jq -r .status)" "OK" "JSON status"
ok "revoked certificates never alarm"

finish

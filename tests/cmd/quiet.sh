# -q is silent on success for every command that does something (a nightly
# cron job mails whatever it prints): nothing on stdout or stderr, exit 0,
# and the thing done all the same. Data commands keep their data (list, a
# CRL or certificate written to standard output, check's status line).
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"

# quiet WHAT ARGS...: minica -q ARGS succeeds and prints nothing at all.
quiet() {
	what=$1
	shift
	run -q --pass-file "$PASS" "$@"
	assert_rc 0 "$what"
	assert_eq "$out" "" "-q $what: stdout"
	assert_eq "$err" "" "-q $what: stderr"
	ok "-q $what is silent"
}

quiet init init --name "Quiet CA" --key ec:P-256 --domain corp.example
[ -e "$MINICA_STORE/data.mdb" ] || fail "-q init made no store"
mkdir "$T/o" "$T/exp" "$T/units"
quiet issue issue --host mail-hub1 --key ec:P-256 --out "$T/o"
[ -s "$T/o/mail-hub1.pfx" ] || fail "-q issue wrote no PFX"
printf 'bulk-a\nbulk-b\n' > "$T/hosts"
quiet "issue --hosts-file" issue --hosts-file "$T/hosts" --key ec:P-256 --out "$T/o"
serial=$("$MINICA" --json list --host mail-hub1 | jq -r '.[0].serial')
quiet "export --pem" export --serial "$serial" --pem "$T/exp"
quiet "export --pfx" export --serial "$serial" --pfx "$T/exp/x.pfx"
[ -s "$T/exp/x.pfx" ] || fail "-q export wrote no PFX"
quiet renew renew --host mail-hub1 --out "$T/o" --force
quiet "renew --expiring" renew --expiring 36500 --out "$T/o" --force
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/r.key" \
	-subj /CN=req.corp.example -out "$T/r.csr" 2>/dev/null || fail "openssl req"
quiet "sign --out" sign --csr "$T/r.csr" --out "$T/r.crt"
[ -s "$T/r.crt" ] || fail "-q sign wrote nothing"
quiet revoke revoke "$serial" --reason superseded
quiet "crl --out" crl --out "$T/c.crl"
openssl crl -in "$T/c.crl" -noout 2>/dev/null || fail "-q crl wrote no CRL"
quiet "ca extend" ca extend --years 30
quiet "ca export --out" ca export --out "$T/ca.pem"
quiet "schedule --systemd" schedule --systemd "$T/units"
[ -s "$T/units/minica-remind.timer" ] || fail "-q schedule wrote no timer"
quiet "report" report --html "$T/r.html"
quiet "store backup" store backup "$T/b.mdb"
quiet "store verify" store verify
quiet remind remind

# Data stays: the CRL on standard output, list, check's status line.
run -q --pass-file "$PASS" crl
assert_rc 0 "crl -q to stdout"
assert_contains "$out" "-----BEGIN X509 CRL-----" "-q crl without --out prints the CRL"
assert_eq "$err" "" "-q crl to stdout: stderr"
run -q list
assert_contains "$out" "$serial" "-q list still lists"
run -q check
assert_rc 0 "check -q"
assert_match "$out" "^MINICA OK - " "-q check keeps the status line"
ok "-q keeps data"

finish

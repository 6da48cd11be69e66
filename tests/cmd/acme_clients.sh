# minica serve with real ACME clients from Debian, all on 127.0.0.1:
# certbot, lego, dehydrated, uacme and acme-tiny each obtain mail-hub1 with
# http-01 from a webroot (served by python's http.server); certbot and lego
# also with dns-01 against pebble-challtestsrv as --resolver (lego with
# tls-alpn-01 too), with EAB
# accounts, renewal, revocation (then list and crl show it) and a name
# outside the account's suffixes (rejectedIdentifier). Every certificate
# verifies against the CA, is in 'minica list' and in 'minica audit'.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"

make_ca --domain corp.example --permit-dns corp.example --permit-ip 127.0.0.0/8
cat /etc/ssl/certs/ca-certificates.crt "$T/ca.pem" > "$T/bundle.pem" 2>/dev/null || cp "$T/ca.pem" "$T/bundle.pem"
run --pass-file "$PASS" --json acme account add --names corp.example --comment certbot
assert_rc 0 "account for certbot"
CB_KID=$(printf '%s' "$out" | jq -r .kid)
CB_KEY=$(printf '%s' "$out" | jq -r .hmac_key)
run --pass-file "$PASS" --json acme account add --names mail-hub1.corp.example,mail-hub2.corp.example --comment lego
assert_rc 0 "account for lego"
LG_KID=$(printf '%s' "$out" | jq -r .kid)
LG_KEY=$(printf '%s' "$out" | jq -r .hmac_key)

start_dns
HTTP_PORT=$(free_port)
mkdir -p "$T/www/.well-known/acme-challenge"
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$HTTP_PORT" >"$T/www.log" 2>&1 &
PIDS="$PIDS $!"
wait_port "$HTTP_PORT"
TLS_PORT=$(free_port)
start_serve --eab optional --http01-port "$HTTP_PORT" --tlsalpn01-port "$TLS_PORT" \
	--resolver "127.0.0.1:$DNS_PORT"
WEBROOT="$T/www"
CHALL="$T/www/.well-known/acme-challenge"

# check_cert FILE WHAT: verifies against the CA, strictly; in list and audit.
check_cert() {
	[ -s "$1" ] || fail "$2: no certificate at $1"
	openssl verify -x509_strict -CAfile "$T/ca.pem" "$1" >/dev/null 2>&1 || fail "$2: openssl verify -x509_strict"
	openssl x509 -in "$1" -noout -checkhost mail-hub1.corp.example 2>/dev/null | grep -q 'does match' ||
		openssl x509 -in "$1" -noout -checkhost "${3:-mail-hub1.corp.example}" | grep -q 'does match' ||
		fail "$2: wrong name"
	serial=$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)
	run list
	assert_contains "$out" "$serial" "$2: minica list"
	run audit
	assert_match "$out" "sign +$serial .*acme order=" "$2: minica audit"
	ok "$2"
}

# ---- certbot: EAB account, http-01 (webroot), dns-01 (manual hooks), renew, revoke ----
cat > "$T/certbot-dns-auth.sh" <<SH
#!/bin/sh
curl -sf -X POST -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\",\"value\":\"\$CERTBOT_VALIDATION\"}" http://127.0.0.1:$MGMT_PORT/set-txt
SH
cat > "$T/certbot-dns-clean.sh" <<SH
#!/bin/sh
curl -sf -X POST -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\"}" http://127.0.0.1:$MGMT_PORT/clear-txt
SH
chmod +x "$T/certbot-dns-auth.sh" "$T/certbot-dns-clean.sh"
certbot() {
	REQUESTS_CA_BUNDLE="$T/ca.pem" timeout 120 /usr/bin/certbot --server "$DIR_URL" \
		--config-dir "$T/cb" --work-dir "$T/cb/w" --logs-dir "$T/cb/l" -n "$@" >"$T/certbot.out" 2>&1
	cb_rc=$?
	[ $cb_rc -eq 0 ] || echo "certbot exit code $cb_rc; log: $(tail -3 "$T/cb/l/letsencrypt.log" 2>/dev/null)" >>"$T/certbot.out"
	return $cb_rc
}
certbot certonly --webroot -w "$WEBROOT" -d mail-hub1.corp.example --register-unsafely-without-email \
	--agree-tos --eab-kid "$CB_KID" --eab-hmac-key "$CB_KEY" --cert-name hub1 ||
	fail "certbot http-01: $(tail -5 "$T/certbot.out")"
check_cert "$T/cb/live/hub1/cert.pem" "certbot http-01 with EAB"
run --json acme account list
assert_match "$(printf '%s' "$out" | jq -r ".[] | select(.id == \"$CB_KID\") | .account")" '^[A-Za-z0-9_-]{22}$' "certbot's account is bound to its EAB key"

certbot certonly --manual --preferred-challenges dns --manual-auth-hook "$T/certbot-dns-auth.sh" \
	--manual-cleanup-hook "$T/certbot-dns-clean.sh" -d mail-dns1.corp.example --cert-name dns1 ||
	fail "certbot dns-01: $(tail -5 "$T/certbot.out")"
check_cert "$T/cb/live/dns1/cert.pem" "certbot dns-01" mail-dns1.corp.example

old=$(openssl x509 -in "$T/cb/live/hub1/cert.pem" -noout -serial | cut -d= -f2)
certbot renew --cert-name hub1 --force-renewal --no-random-sleep-on-renew || fail "certbot renew: $(tail -5 "$T/certbot.out")"
new=$(openssl x509 -in "$T/cb/live/hub1/cert.pem" -noout -serial | cut -d= -f2)
[ "$old" != "$new" ] || fail "certbot renew kept the same certificate"
check_cert "$T/cb/live/hub1/cert.pem" "certbot renew"

certbot revoke --cert-name dns1 --reason keycompromise --no-delete-after-revoke ||
	fail "certbot revoke: $(tail -5 "$T/certbot.out")"
serial=$(openssl x509 -in "$T/cb/live/dns1/cert.pem" -noout -serial | cut -d= -f2)
run list --status revoked
assert_contains "$out" "$serial" "certbot revoke: list --status revoked"
ok "certbot revoke"

certbot certonly --webroot -w "$WEBROOT" -d mail.other.example --cert-name other &&
	fail "certbot got a certificate outside its suffixes"
# (Debian's certbot 2.1 then trips over josepy while reporting it: the log has the server's answer)
assert_contains "$(cat "$T/certbot.out" "$T/cb/l/letsencrypt.log")" "error:rejectedIdentifier :: The server will not issue certificates for the identifier :: mail.other.example is not under the names this account may order" "certbot: name outside the suffixes"
ok "certbot: rejectedIdentifier"

# ---- lego: EAB account, http-01 (webroot), dns-01 (exec provider), renew, revoke ----
cat > "$T/lego-dns.sh" <<SH
#!/bin/sh
case "\$1" in
present) curl -sf -X POST -d "{\"host\":\"\$2\",\"value\":\"\$3\"}" http://127.0.0.1:$MGMT_PORT/set-txt ;;
cleanup) curl -sf -X POST -d "{\"host\":\"\$2\"}" http://127.0.0.1:$MGMT_PORT/clear-txt ;;
esac
SH
chmod +x "$T/lego-dns.sh"
lego() {
	LEGO_CA_CERTIFICATES="$T/ca.pem" EXEC_PATH="$T/lego-dns.sh" EXEC_POLLING_INTERVAL=1 \
		EXEC_PROPAGATION_TIMEOUT=10 timeout 120 /usr/bin/lego --server "$DIR_URL" \
		--email hostmaster@corp.example --accept-tos --path "$T/lego" "$@" >"$T/lego.out" 2>&1
}
lego --eab --kid "$LG_KID" --hmac "$LG_KEY" --domains mail-hub1.corp.example --http \
	--http.webroot "$WEBROOT" run || fail "lego http-01: $(tail -5 "$T/lego.out")"
check_cert "$T/lego/certificates/mail-hub1.corp.example.crt" "lego http-01 with EAB"
lego --domains mail-hub2.corp.example --dns exec --dns.disable-cp run ||
	fail "lego dns-01: $(tail -5 "$T/lego.out")"
check_cert "$T/lego/certificates/mail-hub2.corp.example.crt" "lego dns-01" mail-hub2.corp.example
old=$(openssl x509 -in "$T/lego/certificates/mail-hub1.corp.example.crt" -noout -serial | cut -d= -f2)
lego --domains mail-hub1.corp.example --http --http.webroot "$WEBROOT" renew --days 100000 --no-random-sleep ||
	fail "lego renew: $(tail -5 "$T/lego.out")"
new=$(openssl x509 -in "$T/lego/certificates/mail-hub1.corp.example.crt" -noout -serial | cut -d= -f2)
[ "$old" != "$new" ] || fail "lego renew kept the same certificate"
check_cert "$T/lego/certificates/mail-hub1.corp.example.crt" "lego renew"
serial=$(openssl x509 -in "$T/lego/certificates/mail-hub2.corp.example.crt" -noout -serial | cut -d= -f2)
lego --domains mail-hub2.corp.example revoke --reason 4 || fail "lego revoke: $(tail -5 "$T/lego.out")"
run list --status revoked
assert_contains "$out" "$serial" "lego revoke: list --status revoked"
ok "lego revoke"
lego --domains mail-hub3.corp.example --http --http.webroot "$WEBROOT" run &&
	fail "lego got a certificate outside its names"
assert_contains "$(cat "$T/lego.out")" "rejectedIdentifier" "lego: name outside the suffixes"
ok "lego: rejectedIdentifier"

# lego with tls-alpn-01 (RFC 8737): it answers the handshake itself.
lego --domains mail-hub2.corp.example --tls --tls.port "127.0.0.1:$TLS_PORT" run ||
	fail "lego tls-alpn-01: $(tail -5 "$T/lego.out")"
assert_contains "$(cat "$T/serve.log")" "tls-alpn-01 for mail-hub2.corp.example: valid" \
	"the server validated tls-alpn-01"
check_cert "$T/lego/certificates/mail-hub2.corp.example.crt" "lego tls-alpn-01" mail-hub2.corp.example

# Both revocations are on the next CRL, with their reasons.
run --pass-file "$PASS" crl --out "$T/crl.pem"
assert_rc 0 "crl"
crl=$(openssl crl -in "$T/crl.pem" -noout -text)
for s in $(cd "$T" && "$MINICA" --json list --status revoked | jq -r '.[].serial'); do
	printf '%s\n' "$crl" | grep -qi "$(printf '%s' "$s" | sed 's/^0*//')" || fail "serial $s not on the CRL"
done
assert_contains "$crl" "Key Compromise" "certbot's reason"
assert_contains "$crl" "Superseded" "lego's reason"
ok "the CRL lists both revocations"

# ---- dehydrated (no EAB: the store's default domain), webroot ----
mkdir -p "$T/dh"
cat > "$T/dh/config" <<CFG
CA="$DIR_URL"
BASEDIR="$T/dh"
WELLKNOWN="$CHALL"
KEY_ALGO=prime256v1
CONTACT_EMAIL=
CFG
CURL_CA_BUNDLE="$T/ca.pem" timeout 120 dehydrated -f "$T/dh/config" --register --accept-terms >"$T/dh.out" 2>&1 ||
	fail "dehydrated --register: $(tail -5 "$T/dh.out")"
CURL_CA_BUNDLE="$T/ca.pem" timeout 120 dehydrated -f "$T/dh/config" -c -d mail-hub1.corp.example >"$T/dh.out" 2>&1 ||
	fail "dehydrated: $(tail -5 "$T/dh.out")"
check_cert "$T/dh/certs/mail-hub1.corp.example/cert.pem" "dehydrated http-01"

# ---- uacme (GnuTLS, system trust only: the CA bind-mounted into it, in a private mount namespace) ----
if unshare -m true 2>/dev/null; then
	mkdir -p "$T/uacme"
	UACME_CHALLENGE_PATH="$CHALL" timeout 120 unshare -m sh -c '
		mount --bind "$1" /etc/ssl/certs/ca-certificates.crt || exit 99
		uacme -y -t EC -a "$2" -c "$3" new >"$4" 2>&1 &&
		uacme -t EC -a "$2" -c "$3" -h /usr/share/uacme/uacme.sh issue mail-hub1.corp.example >>"$4" 2>&1
	' _ "$T/bundle.pem" "$DIR_URL" "$T/uacme" "$T/uacme.out" || fail "uacme: $(tail -5 "$T/uacme.out")"
	check_cert "$T/uacme/mail-hub1.corp.example/cert.pem" "uacme http-01"
else
	echo "acme_clients.sh: no mount namespaces here (unshare -m): uacme, which trusts only the system store, not run"
fi

# ---- acme-tiny (python; trusts SSL_CERT_FILE) ----
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/tiny-account.key" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tiny.key" \
	-subj /CN=mail-hub1.corp.example -out "$T/tiny.csr" 2>/dev/null
SSL_CERT_FILE="$T/ca.pem" timeout 120 acme-tiny --account-key "$T/tiny-account.key" --csr "$T/tiny.csr" \
	--acme-dir "$CHALL" --directory-url "$DIR_URL" --disable-check >"$T/tiny.pem" 2>"$T/tiny.err" ||
	fail "acme-tiny: $(tail -5 "$T/tiny.err")"
openssl x509 -in "$T/tiny.pem" -out "$T/tiny-leaf.pem"
check_cert "$T/tiny-leaf.pem" "acme-tiny http-01"

run store verify
assert_rc 0 "store verify"
assert_contains "$out" "problems        0" "store verify"
stop_pid "$SERVE_PID"
assert_contains "$(cat "$T/serve.log")" "serve: stopped after" "SIGTERM: a clean stop"
finish

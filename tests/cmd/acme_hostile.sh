# minica serve against bad and hostile requests (tests/acme_probe.py): each
# is answered with the right problem document (and a fresh nonce) and leaves
# the store exactly as it was; a challenge whose server never answers fails
# within the validation timeout; a client that never finishes its request is
# dropped while others are served at once.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"
PROBE="$TESTDIR/acme_probe.py"

make_ca --domain corp.example --permit-dns corp.example --permit-ip 127.0.0.0/8
run --pass-file "$PASS" --json acme account add --names corp.example
assert_rc 0 "account add"
KID=$(printf '%s' "$out" | jq -r .kid)
KEY=$(printf '%s' "$out" | jq -r .hmac_key)
start_dns
HTTP_PORT=$(free_port)
TLS_PORT=$(free_port)
start_serve --http01-port "$HTTP_PORT" --tlsalpn01-port "$TLS_PORT" --resolver "127.0.0.1:$DNS_PORT" \
	--validation-timeout 2
mkdir "$T/probe"

# probe CASE ARGS...: sets $answer, $status, $type
probe() {
	answer=$(timeout 90 /usr/bin/python3 "$PROBE" "$DIR_URL" "$T/ca.pem" "$T/probe" "$@" 2>"$T/probe.err") ||
		fail "acme_probe $1: $(tail -3 "$T/probe.err")"
	status=$(printf '%s' "$answer" | jq -r .status)
	type=$(printf '%s' "$answer" | jq -r .type)
}

# refused STATUS TYPE CASE ARGS...: that problem, a nonce with it, the store unchanged
refused() {
	want_status=$1
	want_type=urn:ietf:params:acme:error:$2
	shift 2
	before=$(store_digest)
	probe "$@"
	assert_eq "$status" "$want_status" "$1: HTTP status"
	assert_eq "$type" "$want_type" "$1: problem type"
	assert_eq "$(printf '%s' "$answer" | jq -r .nonce)" "true" "$1: Replay-Nonce on the error"
	assert_eq "$(store_digest)" "$before" "$1: the store changed"
	ok "$1 ${2:-} -> $want_type ($(printf '%s' "$answer" | jq -r .detail))"
}

refused 400 externalAccountRequired register - -
refused 403 unauthorized register "$KID" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
refused 403 unauthorized register nonesuch "$KEY"
probe register "$KID" "$KEY"
assert_eq "$status" "201" "registration with EAB"
ok "registration with EAB"

probe ready "$HTTP_PORT" mail-hub1.corp.example
assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "ready" "an order made ready"
probe pending mail-hub2.corp.example
assert_eq "$status" "201" "a pending order"

refused 400 badNonce replay mail-hub3.corp.example
refused 403 unauthorized other-key mail-hub3.corp.example
refused 403 unauthorized jwk-other-key
refused 403 unauthorized url-mismatch mail-hub3.corp.example
# a body over 64 KiB is refused from its Content-Length, before it is read:
# evhttp's own 413, without a problem document
before=$(store_digest)
probe huge mail-hub3.corp.example
assert_eq "$status" "413" "huge: HTTP status"
assert_eq "$(store_digest)" "$before" "huge: the store changed"
ok "huge -> 413"
refused 400 malformed not-json
refused 400 malformed payload-not-json
refused 400 malformed wrong-type
refused 400 rejectedIdentifier pending mail.other.example
refused 403 orderNotReady finalize pending_finalize mail-hub2.corp.example
refused 400 badCSR finalize finalize mail-hub1.corp.example mail-hub2.corp.example
refused 400 badCSR finalize finalize mail-hub9.corp.example

# After all that, the ready order is finalized with the right request.
probe finalize finalize mail-hub1.corp.example
assert_eq "$status" "200" "finalize"
assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "valid" "the order is valid"
run list --host mail-hub1.corp.example
assert_contains "$out" "mail-hub1.corp.example" "the certificate is in the store"
refused 403 orderNotReady finalize finalize mail-hub1.corp.example
ok "finalize after the refusals"

# keyChange: the server keeps decoded account keys, but the old key must stop
# working at once and the new one work (every request above used the old one).
probe key-change
assert_eq "$status" "200" "keyChange"
refused 403 unauthorized old-key mail-hub3.corp.example
probe pending mail-hub3.corp.example
assert_eq "$status" "201" "a new order signed by the new key"
ok "keyChange: the old key refused at once, the new one accepted"

# renewalInfo (RFC 9773) for that certificate: a window inside its life that
# ends before 'minica check' would warn (60 days before notAfter).
serial=$("$MINICA" --json list --host mail-hub1.corp.example | jq -r '.[0].serial')
mkdir "$T/ari"
run export --serial "$serial" --pem "$T/ari"
assert_rc 0 "export"
crt=$(ls "$T"/ari/*.crt | head -1)
aki=$(openssl x509 -in "$crt" -noout -ext authorityKeyIdentifier | sed -n 's/^ *\(keyid:\)\{0,1\}\([0-9A-F:]\{20,\}\).*/\2/p' | tr -d ':')
b64u() { perl -e 'print pack("H*", shift)' "$1" | base64 | tr '+/' '-_' | tr -d '=\n'; }
certid="$(b64u "$aki").$(b64u "$serial")"
hdrs=$(curl -s -D - -o "$T/ari.json" --cacert "$T/ca.pem" "https://127.0.0.1:$ACME_PORT/acme/renewal-info/$certid")
assert_contains "$hdrs" "Retry-After: 21600" "renewalInfo Retry-After"
start=$(date -u -d "$(jq -r .suggestedWindow.start "$T/ari.json")" +%s) || fail "no window start: $(cat "$T/ari.json")"
end=$(date -u -d "$(jq -r .suggestedWindow.end "$T/ari.json")" +%s)
nb=$(date -u -d "$(openssl x509 -in "$crt" -noout -startdate | cut -d= -f2)" +%s)
na=$(not_after "$crt")
[ "$nb" -lt "$start" ] && [ "$start" -lt "$end" ] && [ "$end" -le $((na - 60 * 86400)) ] ||
	fail "renewalInfo window $start..$end for a certificate valid $nb..$na"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" "https://127.0.0.1:$ACME_PORT/acme/renewal-info/$(b64u "$aki").AAAA")
assert_eq "$code" "404" "renewalInfo for an unknown certificate"
ok "renewalInfo: a window inside the certificate's life, before check warns"

# A challenge whose server accepts and never answers: invalid within the timeout.
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); held = []
while True:
    held.append(s.accept()[0])
' "$HTTP_PORT" &
PIDS="$PIDS $!"
wait_port "$HTTP_PORT"
probe challenge-dead mail-hub4.corp.example
assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "invalid" "the dead challenge"
assert_eq "$(printf '%s' "$answer" | jq -r .body.error.type)" "urn:ietf:params:acme:error:connection" "its error"
secs=$(printf '%s' "$answer" | jq -r .body.seconds)
awk "BEGIN { exit !($secs < 8) }" || fail "the dead challenge took $secs s (timeout 2 s)"
ok "a challenge whose server never answers: invalid after ${secs}s"

# tls-alpn-01 (RFC 8737) against a TLS server of the probe's own: the right
# certificate passes; a wrong digest, a second name or no acme-tls/1 fail.
tls_alpn() {
	probe tls-alpn "$1" "$TLS_PORT" "$2"
	assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "$3" "tls-alpn-01 $1: status"
	[ -z "${4:-}" ] || assert_eq "$(printf '%s' "$answer" | jq -r .body.error.type)" \
		"urn:ietf:params:acme:error:$4" "tls-alpn-01 $1: error type"
	ok "tls-alpn-01 $1: $3${4:+ ($4: $(printf '%s' "$answer" | jq -r .body.error.detail))}"
}
tls_alpn good mail-hub5.corp.example valid
tls_alpn wrong-digest mail-hub6.corp.example invalid incorrectResponse
tls_alpn two-names mail-hub7.corp.example invalid unauthorized
tls_alpn no-alpn mail-hub8.corp.example invalid tls

# A client that never finishes its request is dropped; others are served meanwhile.
probe slow 30
closed=$(printf '%s' "$answer" | jq -r .body.closed_after)
awk "BEGIN { exit !($closed >= 5 && $closed < 25) }" || fail "the slow client was dropped after $closed s"
for t in $(printf '%s' "$answer" | jq -r '.body.others[]'); do
	awk "BEGIN { exit !($t < 3) }" || fail "another client waited $t s"
done
ok "a slow client dropped after ${closed}s, the others served at once"

run store verify
assert_rc 0 "store verify"
kill -0 "$SERVE_PID" || fail "the server died"
stop_pid "$SERVE_PID"
finish

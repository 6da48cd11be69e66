# minica serve: who may act on what (RFC 8555 sections 7.5 and 7.6, as
# Boulder does). revokeCert only by the account that ordered the
# certificate, by the certificate's own key, or by an account that holds
# valid authorizations for every name in it; a name policy (EAB suffixes,
# the default domain under --eab optional) is no proof. Another account's
# order, authorization, challenge, finalize and certificate are refused.
# One key is one account, however its base64url is written; a CSR for the
# account's own key is refused. Every refusal leaves the store unchanged.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"
PROBE="$TESTDIR/acme_probe.py"

make_ca --domain corp.example --permit-dns corp.example --permit-ip 127.0.0.0/8
run --pass-file "$PASS" --json acme account add --names corp.example
assert_rc 0 "account add"
KID_A=$(printf '%s' "$out" | jq -r .kid)
KEY_A=$(printf '%s' "$out" | jq -r .hmac_key)
run --pass-file "$PASS" --json acme account add --names b.corp.example
assert_rc 0 "account add b.corp.example"
KID_E=$(printf '%s' "$out" | jq -r .kid)
KEY_E=$(printf '%s' "$out" | jq -r .hmac_key)
start_dns
HTTP_PORT=$(free_port)
start_serve --http01-port "$HTTP_PORT" --resolver "127.0.0.1:$DNS_PORT" --eab optional
mkdir "$T/a" "$T/e" "$T/n"

# probe WHO CASE ARGS...: as account WHO (a: EAB corp.example, e: EAB
# b.corp.example, n: anonymous); sets $answer, $status, $type
probe() {
	who=$1
	shift
	answer=$(timeout 90 /usr/bin/python3 "$PROBE" "$DIR_URL" "$T/ca.pem" "$T/$who" "$@" 2>"$T/probe.err") ||
		fail "acme_probe $1: $(tail -3 "$T/probe.err")"
	status=$(printf '%s' "$answer" | jq -r .status)
	type=$(printf '%s' "$answer" | jq -r .type)
}

# refused STATUS TYPE WHAT WHO CASE ARGS...: that problem, the store unchanged
refused() {
	want_status=$1
	want_type=urn:ietf:params:acme:error:$2
	what=$3
	shift 3
	before=$(store_digest)
	probe "$@"
	assert_eq "$status" "$want_status" "$what: HTTP status ($(printf '%s' "$answer" | jq -r .detail))"
	assert_eq "$type" "$want_type" "$what: problem type"
	assert_eq "$(store_digest)" "$before" "$what: the store changed"
	ok "$what -> $want_type ($(printf '%s' "$answer" | jq -r .detail))"
}

# certificate WHO NAME FILE: an order made ready, finalized and its leaf saved
certificate() {
	probe "$1" ready "$HTTP_PORT" "$2"
	assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "ready" "$2: the order made ready"
	probe "$1" finalize finalize "$2"
	assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "valid" "$2: finalized"
	probe "$1" download "$3"
	assert_eq "$status" "200" "$2: downloaded"
}

status_of() { "$MINICA" --json list --host "$1" | jq -r '.[0].status'; }

probe a register "$KID_A" "$KEY_A"
assert_eq "$status" "201" "account a"
probe e register "$KID_E" "$KEY_E"
assert_eq "$status" "201" "account e"
probe n register - -
assert_eq "$status" "201" "account n (no EAB)"
ok "three accounts: a (EAB corp.example), e (EAB b.corp.example), n (anonymous)"

# ---- one key, one account ----
# The same EC key, x with a padding bit set: the same point, another thumbprint.
refused 400 badPublicKey "a registered key again, its base64url not canonical" n register-padded
refused 400 badPublicKey "keyChange to another account's key, not canonical" e key-change-padded "$T/a/account.pem"

# ---- revocation ----
certificate a mx.b.corp.example "$T/mx.pem"
certificate a mail-hub2.corp.example "$T/hub2.pem"
cp "$T/a/csrkey.pem" "$T/hub2.key"
certificate a mail-hub3.corp.example "$T/hub3.pem"
mkdir "$T/issued"
run --pass-file "$PASS" issue --host host4.corp.example --no-pfx --out "$T/issued"
assert_rc 0 "minica issue"

refused 403 unauthorized "an anonymous account revokes another account's certificate" n revoke "$T/mx.pem"
refused 403 unauthorized "an anonymous account revokes a certificate of 'minica issue'" n revoke "$T/issued/host4.corp.example.crt"
refused 403 unauthorized "an EAB account for b.corp.example revokes a's mx.b.corp.example" e revoke "$T/mx.pem"
refused 403 unauthorized "another key than the certificate's (jwk)" n revoke "$T/hub2.pem" "$T/n/account.pem"
assert_eq "$(status_of mx.b.corp.example)" "valid" "mx.b.corp.example still valid"
assert_eq "$(status_of host4.corp.example)" "valid" "host4.corp.example still valid"

probe a revoke "$T/mx.pem"
assert_eq "$status" "200" "the account that ordered it revokes it"
assert_eq "$(status_of mx.b.corp.example)" "revoked" "mx.b.corp.example revoked"
ok "the account that ordered a certificate revokes it"

probe n revoke "$T/hub2.pem" "$T/hub2.key"
assert_eq "$status" "200" "revoked by the certificate's own key ($(printf '%s' "$answer" | jq -r .detail))"
assert_eq "$(status_of mail-hub2.corp.example)" "revoked" "mail-hub2.corp.example revoked"
ok "a request signed by the certificate's own key revokes it"

# n proves control of mail-hub3.corp.example (http-01), then may revoke a's certificate for it.
refused 403 unauthorized "n before it proved control of mail-hub3" n revoke "$T/hub3.pem"
probe n ready "$HTTP_PORT" mail-hub3.corp.example
assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "ready" "n's order for mail-hub3 ready"
probe n url "$(jq -r .authz "$T/n/state.json")" '{"status": "deactivated"}'
assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "deactivated" "n's authorization deactivated"
refused 403 unauthorized "n with a deactivated authorization for mail-hub3" n revoke "$T/hub3.pem"
probe n ready "$HTTP_PORT" mail-hub3.corp.example
probe n revoke "$T/hub3.pem"
assert_eq "$status" "200" "an account with a valid authorization revokes ($(printf '%s' "$answer" | jq -r .detail))"
assert_eq "$(status_of mail-hub3.corp.example)" "revoked" "mail-hub3.corp.example revoked"
ok "an account holding valid authorizations for every name revokes"

# ---- another account's objects: each check has a test of its own ----
certificate a mail-hub6.corp.example "$T/hub6.pem"
probe a ready "$HTTP_PORT" mail-hub7.corp.example
A_ORDER=$(jq -r .ready "$T/a/state.json")
A_FINALIZE=$(jq -r .finalize "$T/a/state.json")
A_AUTHZ=$(jq -r .authz "$T/a/state.json")
A_CHALLENGE=$(jq -r .challenge "$T/a/state.json")
A_CERT=$(jq -r .certificate "$T/a/state.json")
refused 403 unauthorized "n reads a's order" n url "$A_ORDER" -
refused 403 unauthorized "n reads a's authorization" n url "$A_AUTHZ" -
refused 403 unauthorized "n deactivates a's authorization" n url "$A_AUTHZ" '{"status": "deactivated"}'
refused 403 unauthorized "n posts to a's challenge" n url "$A_CHALLENGE" '{}'
refused 403 unauthorized "n finalizes a's order" n url "$A_FINALIZE" '{"csr": "MIIB"}'
refused 403 unauthorized "n downloads a's certificate" n url "$A_CERT" -
probe a url "$A_ORDER" -
assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "ready" "a's order still ready"

# ---- a CSR for the account's own key ----
refused 400 badCSR "a CSR for the account's key" a finalize-account-key finalize mail-hub7.corp.example

run store verify
assert_rc 0 "store verify"
kill -0 "$SERVE_PID" || fail "the server died"
stop_pid "$SERVE_PID"
finish

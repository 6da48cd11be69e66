# EC keys with explicit curve parameters (issue 18, item 5): refused when the
# request is read (exit 65, one clear line), before any passphrase is asked,
# even when the parameters are exactly P-256's.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

make_ca --domain corp.example
openssl ecparam -name prime256v1 -param_enc explicit -genkey -out "$T/explicit.key" 2>/dev/null ||
	fail "an explicit-parameters key"
openssl req -new -key "$T/explicit.key" -subj "/CN=mail-hub1.corp.example" -out "$T/explicit.csr" ||
	fail "a request with it"
openssl req -in "$T/explicit.csr" -noout -text | grep -q "Field Type: prime-field" ||
	fail "the request does not carry explicit parameters"
WHY="request $T/explicit.csr: EC key with explicit curve parameters; only the named curves P-256 and P-384 are accepted"
# a pass file that cannot be read, no pass file and no terminal, and the right one
expect_error 65 "$WHY" --pass-file "$T/no-such-file" sign --csr "$T/explicit.csr" --out "$T/x.crt"
expect_error 65 "$WHY" sign --csr "$T/explicit.csr" --out "$T/x.crt"
expect_error 65 "$WHY" --pass-file "$PASS" sign --csr "$T/explicit.csr" --out "$T/x.crt"
[ ! -e "$T/x.crt" ] || fail "a certificate was written"
# DER and base64 forms take the same path
openssl req -in "$T/explicit.csr" -outform DER -out "$T/explicit.der"
expect_error 65 "EC key with explicit curve parameters" --pass-file "$T/no-such-file" sign --csr "$T/explicit.der" --out "$T/x.crt"
ok "explicit curve parameters refused before the passphrase"

# the same curve, named, is signed
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout /dev/null \
	-subj "/CN=mail-hub1.corp.example" -out "$T/named.csr" 2>/dev/null || fail "a named-curve request"
run --pass-file "$PASS" sign --csr "$T/named.csr" --out "$T/named.crt"
assert_rc 0 "sign a named-curve request"
openssl verify -CAfile "$T/ca.pem" "$T/named.crt" >/dev/null || fail "the named-curve leaf does not verify"
ok "named P-256 signed"

finish

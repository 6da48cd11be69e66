# PFX: legacy (3DES, SHA-1 MAC) by default, modern on request; one key, the
# leaf and the CA; friendlyName, Microsoft CSP name, shared localKeyID.
. "$(dirname "$0")/../lib.sh"

make_ca --domain corp.example
run --pass-file "$PASS" issue --host mail-hub1 --out "$T"
assert_rc 0 "issue"
assert_contains "$out" "pfx         legacy" "issue says which PFX format it used"
pw=$(head -1 "$T/mail-hub1.pfx-password")
[ "${#pw}" -ge 20 ] || fail "generated PFX password has ${#pw} characters"
assert_match "$pw" '^[A-Za-z0-9]+$' "generated password alphabet"

info=$(openssl pkcs12 -info -legacy -in "$T/mail-hub1.pfx" -passin file:"$T/mail-hub1.pfx-password" -nodes 2>&1)
assert_contains "$info" "MAC: sha1, Iteration 2048" "legacy MAC"
assert_contains "$info" "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048" "legacy key encryption"
assert_contains "$info" "PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048" "legacy certificate encryption"
# the algorithm lines only: the PEM blocks in $info are base64, where "RC2" can occur by chance
algs=$(openssl pkcs12 -info -legacy -in "$T/mail-hub1.pfx" -passin file:"$T/mail-hub1.pfx-password" -noout 2>&1)
assert_contains "$algs" "pbeWithSHA1And3-KeyTripleDES-CBC" "algorithm lines"
assert_not_contains "$algs" "RC2" "no RC2"
assert_eq "$(printf '%s\n' "$info" | grep -c '^Certificate bag')" "2" "two certificates"
assert_eq "$(printf '%s\n' "$info" | grep -c 'Keybag')" "1" "one key"
assert_eq "$(printf '%s\n' "$info" | grep -c 'BEGIN PRIVATE KEY')" "1" "one key in output"
assert_contains "$info" "friendlyName: mail-hub1" "friendlyName"
assert_contains "$info" "Microsoft CSP Name: Microsoft RSA SChannel Cryptographic Provider" "CSP attribute"
ok "legacy PFX structure"

# The key bag and the leaf's certificate bag share one localKeyID; the CA has none.
ids=$(printf '%s\n' "$info" | grep 'localKeyID' | sort -u)
assert_eq "$(printf '%s\n' "$info" | grep -c 'localKeyID')" "2" "two localKeyIDs (leaf, key)"
assert_eq "$(printf '%s\n' "$ids" | wc -l)" "1" "the localKeyIDs are equal"
leafid=$(printf '%s\n' "$info" | awk '/localKeyID/ {id=$0} /^subject=CN ?= ?mail-hub1/ {print id; exit}')
assert_eq "$leafid" "$ids" "the leaf certificate carries the key's localKeyID"
ok "localKeyID pairing"

# OpenSSL 3 reads it without -legacy (no RC2), and the key matches the leaf.
openssl pkcs12 -in "$T/mail-hub1.pfx" -passin file:"$T/mail-hub1.pfx-password" -nocerts -nodes -out "$T/k.pem" 2>/dev/null ||
	fail "openssl pkcs12 without -legacy cannot read the PFX"
openssl pkcs12 -in "$T/mail-hub1.pfx" -passin file:"$T/mail-hub1.pfx-password" -clcerts -nokeys -out "$T/c.pem" 2>/dev/null ||
	fail "no leaf certificate"
openssl pkcs12 -in "$T/mail-hub1.pfx" -passin file:"$T/mail-hub1.pfx-password" -cacerts -nokeys -out "$T/ca-from-pfx.pem" 2>/dev/null ||
	fail "no CA certificate"
a=$(openssl pkey -in "$T/k.pem" -pubout | sha256sum)
b=$(openssl x509 -in "$T/c.pem" -noout -pubkey | sha256sum)
assert_eq "$a" "$b" "PFX key matches its certificate"
cmp -s "$(openssl x509 -in "$T/c.pem" -outform DER -out "$T/c.der"; echo "$T/c.der")" \
	"$(openssl x509 -in "$T/mail-hub1.crt" -outform DER -out "$T/l.der"; echo "$T/l.der")" || fail "PFX leaf is not the issued one"
assert_eq "$(openssl x509 -in "$T/ca-from-pfx.pem" -noout -fingerprint)" "$(openssl x509 -in "$T/ca.pem" -noout -fingerprint)" "PFX holds the CA"
openssl pkcs12 -in "$T/mail-hub1.pfx" -passin pass:wrong -noout 2>/dev/null && fail "a wrong PFX password was accepted"
ok "PFX readable without -legacy"

# --modern: AES-256 and an SHA-256 MAC; --pfx-pass-file: the given password, no password file.
printf 'Exchange-Import-2026\n' > "$T/pfxpass"
chmod 600 "$T/pfxpass"
mkdir "$T/m"
run --pass-file "$PASS" issue --host mail-hub2 --modern --pfx-pass-file "$T/pfxpass" --out "$T/m"
assert_rc 0 "issue --modern"
assert_contains "$out" "pfx         modern" "issue says modern"
[ ! -e "$T/m/mail-hub2.pfx-password" ] || fail "a password file was written although --pfx-pass-file was given"
info=$(openssl pkcs12 -info -in "$T/m/mail-hub2.pfx" -passin pass:Exchange-Import-2026 -nodes 2>&1)
assert_contains "$info" "MAC: sha256" "modern MAC"
assert_contains "$info" "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC" "modern key encryption"
assert_contains "$info" "PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC" "modern certificate encryption"
assert_contains "$info" "PRF hmacWithSHA256" "modern PRF"
ok "modern PFX"

# export: both formats again from the stored (encrypted) key.
run --pass-file "$PASS" export --host mail-hub1 --pfx "$T/again.pfx" --legacy
assert_rc 0 "export --pfx --legacy"
info=$(openssl pkcs12 -info -in "$T/again.pfx" -passin file:"$T/again.pfx-password" -nodes 2>&1)
assert_contains "$info" "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC" "export legacy"
a=$(printf '%s\n' "$info" | openssl pkey -pubout | sha256sum)
b=$(openssl pkey -in "$T/mail-hub1.key" -pubout | sha256sum)
assert_eq "$a" "$b" "exported PFX holds the issued key"
run --pass-file "$PASS" export --host mail-hub1 --pfx "$T/again2.pfx" --modern --pfx-pass-file "$T/pfxpass"
assert_rc 0 "export --modern"
openssl pkcs12 -info -in "$T/again2.pfx" -passin pass:Exchange-Import-2026 -noout 2>&1 | grep -q 'MAC: sha256' || fail "export --modern MAC"
ok "export PFX"

# An EC leaf carries no CryptoAPI CSP name (CAPI CSPs cannot hold EC keys).
mkdir "$T/ec"
run --pass-file "$PASS" issue --host mail-ec --key ec:P-256 --out "$T/ec"
assert_rc 0 "issue EC"
info=$(openssl pkcs12 -info -in "$T/ec/mail-ec.pfx" -passin file:"$T/ec/mail-ec.pfx-password" -nodes 2>&1)
assert_not_contains "$info" "Microsoft CSP Name" "EC key without CSP name"
ku=$(openssl x509 -in "$T/ec/mail-ec.crt" -noout -ext keyUsage | tail -n +2 | sed 's/^ *//')
assert_eq "$ku" "Digital Signature" "EC leaf has no keyEncipherment (RFC 5480)"
ok "EC PFX"
finish

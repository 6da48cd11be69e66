# The CA key is stored as PKCS#8 encrypted with AES-256 and PBKDF2-HMAC-SHA256
# (600,000 iterations), and neither it nor a kept leaf key appears in clear
# in any file of the store.
. "$(dirname "$0")/../lib.sh"

make_ca --domain corp.example
run --pass-file "$PASS" issue --host mail-hub1 --out "$T"
assert_rc 0 "issue"

# Pull the "ca.key" value out of the store with LMDB's own dump tool.
keyhex=$(printf 'ca.key' | od -An -tx1 | tr -d ' \n')
mdb_dump -s meta "$MINICA_STORE" | awk -v k=" $keyhex" 'found {print; exit} $0 == k {found=1}' |
	tr -d ' ' | perl -ne 'chomp; print pack("H*", $_)' > "$T/cakey.der"
[ -s "$T/cakey.der" ] || fail "no ca.key in the store's meta table"
asn=$(openssl asn1parse -inform DER -in "$T/cakey.der")
assert_contains "$asn" "PBES2" "CA key uses PBES2"
assert_contains "$asn" "PBKDF2" "CA key uses PBKDF2"
assert_contains "$asn" "hmacWithSHA256" "PBKDF2 PRF is HMAC-SHA256"
assert_contains "$asn" "aes-256-cbc" "CA key cipher is AES-256-CBC"
assert_contains "$asn" "INTEGER           :0927C0" "PBKDF2 iterations = 600000"
ok "CA key encryption parameters"

openssl pkcs8 -inform DER -in "$T/cakey.der" -passin pass:wrong -out /dev/null 2>/dev/null &&
	fail "the CA key decrypts with a wrong passphrase"
openssl pkcs8 -inform DER -in "$T/cakey.der" -passin file:"$PASS" -outform DER -out "$T/plain.der" 2>/dev/null ||
	fail "openssl cannot decrypt the CA key with the passphrase"
a=$(openssl pkey -inform DER -in "$T/plain.der" -pubout | sha256sum)
b=$(openssl x509 -in "$T/ca.pem" -noout -pubkey | sha256sum)
assert_eq "$a" "$b" "the stored key is the CA's key"
ok "CA key decrypts only with the passphrase"

# Neither the PKCS#8 key nor the bare private scalar is anywhere in the files.
hexdump_of() { od -An -tx1 -v "$1" | tr -d ' \n'; }
secret_pkcs8=$(hexdump_of "$T/plain.der")
scalar=$(openssl pkey -inform DER -in "$T/plain.der" -noout -text | awk '/^priv:/ {p=1; next} /^pub:/ {p=0} p' | tr -d ' :\n' | sed 's/^00//')
[ "${#scalar}" -ge 62 ] || fail "could not read the CA's private scalar (${#scalar} hex digits)"
openssl pkey -in "$T/mail-hub1.key" -outform DER -out "$T/leaf.der"
secret_leaf=$(hexdump_of "$T/leaf.der")
leaf_prime=$(openssl pkey -in "$T/mail-hub1.key" -noout -text | awk '/^prime1:/ {p=1; next} /^prime2:/ {p=0} p' | tr -d ' :\n' | sed 's/^00//')
[ "${#leaf_prime}" -ge 250 ] || fail "could not read the leaf's prime"
for f in "$MINICA_STORE"/*; do
	h=$(hexdump_of "$f")
	assert_not_contains "$h" "$secret_pkcs8" "$f holds the CA key in PKCS#8 clear"
	assert_not_contains "$h" "$scalar" "$f holds the CA's private scalar"
	assert_not_contains "$h" "$secret_leaf" "$f holds the leaf key in clear"
	assert_not_contains "$h" "$leaf_prime" "$f holds a prime of the leaf key"
done
ok "no key material in clear in the store"

# --no-passphrase says so, in ca show, and stores no passphrase-encrypted key.
S2="$T/open"
run --store "$S2" init --name "Open CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init --no-passphrase"
assert_contains "$err" "warning: the CA key is stored unencrypted" "init warns"
run --store "$S2" ca show
assert_contains "$out" "NOT encrypted" "ca show tells"
run --store "$S2" issue --host mail-hub1 --out "$T" --force
assert_rc 0 "issue from an unencrypted store needs no passphrase"
finish

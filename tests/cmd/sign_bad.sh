# sign, bad requests and bad calls: each one clear line, the SPEC exit code,
# and the store byte-for-byte unchanged (a batch is stored whole or not at all).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

expect_error 66 "not initialised: no such directory" sign --csr /dev/null
make_ca --domain corp.example --no-passphrase
mkdir "$T/req" "$T/out"
S="sign --out $T/out/x.crt"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/req/rsa.key" 2>/dev/null
openssl req -new -key "$T/req/rsa.key" -subj "/CN=mail-hub1" -out "$T/req/good.pem"
openssl req -in "$T/req/good.pem" -outform DER -out "$T/req/good.der"
# newreq NAME SUBJECT [openssl req options]: a request with a fresh key (EC P-256 unless given).
EC="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
newreq() {
	name=$1
	subj=$2
	shift 2
	[ $# -gt 0 ] || set -- $EC
	openssl req -new -nodes -keyout /dev/null -subj "$subj" "$@" -out "$T/req/$name" 2>/dev/null ||
		fail "fixture $name"
}

# ---- not a request ----
printf 'Hello, this is not a certificate request.\n' > "$T/req/garbage.txt"
expect_error 65 "request $T/req/garbage.txt: not a certificate request: no PEM block, not base64, not DER" $S --csr "$T/req/garbage.txt"
printf 'TUlJQ2lqQ0NBWElDQVFBd0ZERVNNQkFHQTFVRUF3d0piV0ZwYkMxb2RXSXg=\n' > "$T/req/b64junk"
expect_error 65 "the base64 text does not hold a valid certificate request" $S --csr "$T/req/b64junk"
head -c 300 "$T/req/good.der" > "$T/req/truncated.der"
expect_error 65 "the DER data does not hold a valid certificate request \(damaged or truncated\?\)" $S --csr "$T/req/truncated.der"
{ cat "$T/req/good.der"; printf 'xx'; } > "$T/req/trailing.der"
expect_error 65 "2 unexpected bytes after the request in the DER data" $S --csr "$T/req/trailing.der"
head -n 8 "$T/req/good.pem" > "$T/req/truncated.pem"
expect_error 65 "the PEM block cannot be read" $S --csr "$T/req/truncated.pem"
{ printf '\001\377'; head -c 4000 /dev/urandom; } > "$T/req/junk.bin"
expect_error 65 "not a certificate request: neither DER nor text" $S --csr "$T/req/junk.bin"
{ printf '\060\202'; head -c 4000 /dev/urandom; } > "$T/req/junk-der.bin"
expect_error 65 "the DER data does not hold a valid certificate request" $S --csr "$T/req/junk-der.bin"
head -c 1048576 /dev/zero | tr '\0' 'A' > "$T/req/big.req"
expect_error 65 "request $T/req/big.req: 1048576 bytes; a certificate request is at most 64 KiB" $S --csr "$T/req/big.req"
before=$(store_digest)
err=$(cat "$T/req/big.req" | "$MINICA" $S --csr - 2>&1 >/dev/null)
rc=$?
assert_rc 65 "a pipe of 1 MB"
assert_eq "$err" "minica: request (standard input): more than 64 KiB; a certificate request is at most that (is this the right file?)" "a pipe of 1 MB"
assert_eq "$(store_digest)" "$before" "store unchanged"
: > "$T/req/empty.req"
expect_error 65 "request $T/req/empty.req: empty" $S --csr "$T/req/empty.req"
cp "$T/ca.pem" "$T/req/cert.pem"
expect_error 65 "holds a 'CERTIFICATE' PEM block, not a CERTIFICATE REQUEST" $S --csr "$T/req/cert.pem"
openssl x509 -in "$T/ca.pem" -outform DER -out "$T/req/cert.der"
expect_error 65 "this is a certificate, not a certificate request" $S --csr "$T/req/cert.der"
printf 'a\0b\0c\0\0\0d\0' > "$T/req/nul.txt"
expect_error 65 "text with NUL characters" $S --csr "$T/req/nul.txt"
ok "not a request"

# ---- the signature ----
# The signature BIT STRING is the last element: flip a byte inside it.
cp "$T/req/good.der" "$T/req/tampered-sig.der"
size=$(stat -c %s "$T/req/good.der")
printf '\125' | dd of="$T/req/tampered-sig.der" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
cmp -s "$T/req/good.der" "$T/req/tampered-sig.der" && fail "the signature was not changed"
expect_error 65 "the request's signature does not verify \(changed after it was signed, or damaged\)" $S --csr "$T/req/tampered-sig.der"
# Change the name inside the signed part: mail-hub1 -> mail-hub7.
LC_ALL=C sed 's/mail-hub1/mail-hub7/' "$T/req/good.der" > "$T/req/tampered-name.der"
cmp -s "$T/req/good.der" "$T/req/tampered-name.der" && fail "the name was not changed"
expect_error 65 "signature does not verify" $S --csr "$T/req/tampered-name.der"
ok "signature"

# ---- keys ----
newreq rsa1024.pem "/CN=weak.corp.example" -newkey rsa:1024
expect_error 65 "RSA key of 1024 bits; at least 2048 are required" $S --csr "$T/req/rsa1024.pem"
newreq p521.pem "/CN=p521.corp.example" -newkey ec -pkeyopt ec_paramgen_curve:P-521
expect_error 65 "EC key on curve secp521r1; only P-256 and P-384 are accepted" $S --csr "$T/req/p521.pem"
newreq k1.pem "/CN=k1.corp.example" -newkey ec -pkeyopt ec_paramgen_curve:secp256k1
expect_error 65 "EC key on curve secp256k1" $S --csr "$T/req/k1.pem"
newreq ed25519.pem "/CN=ed.corp.example" -newkey ed25519
expect_error 65 "ED25519 key; only RSA \(2048 bits or more\) and EC P-256/P-384 are accepted" $S --csr "$T/req/ed25519.pem"
# A template may ask for longer RSA keys than 2048 bits.
printf '[template]\nmin_rsa_bits = 3072\n[extensions]\nbasicConstraints = critical, CA:FALSE\n' > "$T/rsa3072.cnf"
expect_error 65 "RSA key of 2048 bits; at least 3072 are required" $S --csr "$T/req/good.pem" --template "$T/rsa3072.cnf"
printf '[template]\nmin_rsa_bits = 1024\n[extensions]\nbasicConstraints = critical, CA:FALSE\n' > "$T/rsa1024.cnf"
expect_error 65 "template $T/rsa1024.cnf line 2: \[template\] min_rsa_bits: '1024' is not a number of bits between 2048 and 16384" \
	$S --csr "$T/req/good.pem" --template "$T/rsa1024.cnf"
ok "keys"

# ---- names: checked exactly like --host ----
newreq nonames.pem "/O=Nobody/OU=Nothing" $EC -addext "subjectAltName=email:a@corp.example"
expect_error 65 "no host name: the subject has no CN and no subjectAltName holds a DNS name or an IP address" $S --csr "$T/req/nonames.pem"
newreq underscore.pem "/CN=mail_hub1"
expect_error 65 "host name 'mail_hub1': '_' is not allowed" $S --csr "$T/req/underscore.pem"
newreq san-bad.pem "/CN=mail-hub1" $EC -addext "subjectAltName=DNS:mail-hub1,DNS:evil/../x"
expect_error 65 "host name 'evil/../x': '/' is not allowed" $S --csr "$T/req/san-bad.pem"
newreq wildcard.pem "/CN=*.corp.example"
expect_error 65 "wildcards need a template that allows them" $S --csr "$T/req/wildcard.pem"
newreq space.pem "/CN=John Smith"
expect_error 65 "host name 'John Smith': ' ' is not allowed" $S --csr "$T/req/space.pem"
newreq badip.pem "/CN=999.1.2.3"
expect_error 65 "looks like an IP address but is not a valid one" $S --csr "$T/req/badip.pem"
sans=$(seq 1 101 | sed 's/^/DNS:h/' | paste -sd, -)
newreq many.pem "/CN=mail-hub1" $EC -addext "subjectAltName=$sans"
expect_error 65 "more than 100 names; split the request" $S --csr "$T/req/many.pem"
ok "names"

# ---- files and calls ----
expect_error 66 "request $T/req/missing.req: No such file or directory" $S --csr "$T/req/missing.req"
expect_error 66 "request $T/req: is a directory" $S --csr "$T/req"
touch "$T/out/exists.crt"
expect_error 73 "$T/out/exists.crt already exists \(use --force to replace it\)" sign --csr "$T/req/good.pem" --out "$T/out/exists.crt"
[ ! -s "$T/out/exists.crt" ] || fail "an existing file was replaced"
expect_error 73 "output directory $T/nodir: No such file or directory" sign --csr "$T/req/good.pem" --out "$T/nodir/x.crt"
expect_error 64 "several --csr need --out DIR" sign --csr "$T/req/good.pem" --csr "$T/req/good.der"
expect_error 73 "--out $T/out/y.crt: not a directory; with several --csr" sign --csr "$T/req/good.pem" --csr "$T/req/good.der" --out "$T/out/y.crt"
expect_error 65 "request $T/req/good.pem and request $T/req/good.der would both be written to $T/out/mail-hub1.crt" \
	sign --csr "$T/req/good.pem" --csr "$T/req/good.der" --out "$T/out"
expect_error 64 "--csr - \(standard input\) can be given only once" sign --csr - --csr - --out "$T/out"
expect_error 64 "give --csr FILE" sign --out "$T/out/x.crt"
expect_error 64 "--format 'pfx': one of pem, der, p7b" $S --csr "$T/req/good.pem" --format pfx
expect_error 64 "--days '0': must be between 1 and 36500" $S --csr "$T/req/good.pem" --days 0
expect_error 64 "unexpected argument 'good.pem' \(requests are given with --csr\)" $S good.pem
expect_error 64 "option '--csr' requires an argument" $S --csr
expect_error 66 "template 'nonesuch' not found" $S --csr "$T/req/good.pem" --template nonesuch
# A bad request in a batch: nothing of the batch is stored, no file written.
newreq hub2.pem "/CN=mail-hub2"
mkdir "$T/batch"
expect_error 65 "request $T/req/rsa1024.pem: RSA key of 1024 bits" \
	sign --csr "$T/req/good.pem" --csr "$T/req/hub2.pem" --csr "$T/req/rsa1024.pem" --out "$T/batch"
touch "$T/batch/mail-hub2.crt"
expect_error 73 "$T/batch/mail-hub2.crt already exists" sign --csr "$T/req/good.pem" --csr "$T/req/hub2.pem" --out "$T/batch"
[ "$(ls "$T/batch")" = "mail-hub2.crt" ] || fail "a failed batch wrote files"
run list
assert_eq "$out" "" "nothing stored"
ok "files and calls"

# Binary output is refused on a terminal (script(1) gives the command one).
if command -v script >/dev/null 2>&1; then
	script -qec "'$MINICA' sign --csr '$T/req/good.pem' --format p7b" /dev/null > "$T/tty.out" 2>&1
	grep -q "minica: --format p7b is binary: give --out FILE" "$T/tty.out" || fail "p7b on a terminal: $(cat "$T/tty.out")"
	run list
	assert_eq "$out" "" "nothing stored"
	ok "binary on a terminal"
fi

# ---- name constraints: a name outside --permit-dns ----
export MINICA_STORE="$T/store-nc"
make_ca --domain corp.example --permit-dns corp.example
newreq outside.pem "/CN=mail.evil.example"
expect_error 65 "host name 'mail.evil.example' is outside the CA's permitted DNS names \(corp.example\)" \
	--pass-file "$PASS" $S --csr "$T/req/outside.pem"
newreq outside-san.pem "/CN=mail-hub1" $EC -addext "subjectAltName=DNS:mail-hub1.corp.example,DNS:corp.example.evil.example"
expect_error 65 "'corp.example.evil.example' is outside the CA's permitted DNS names" \
	--pass-file "$PASS" $S --csr "$T/req/outside-san.pem"
printf 'not the passphrase\n' > "$T/wrong"
chmod 600 "$T/wrong"
expect_error 77 "wrong CA passphrase for store" --pass-file "$T/wrong" $S --csr "$T/req/good.pem"
# a short name is qualified with a note, which must not come before a later error
expect_error 73 "$T/out/exists.crt already exists" --pass-file "$PASS" sign --csr "$T/req/good.pem" --out "$T/out/exists.crt"
expect_error 65 "'corp.example.evil.example' is outside the CA's permitted DNS names" \
	--pass-file "$PASS" issue --host mail-hub1 --host corp.example.evil.example --out "$T/out"
# the short CN is replaced by its qualified name, as with --host
run --pass-file "$PASS" $S --csr "$T/req/good.pem"
assert_rc 0 "short name under name constraints"
san=$(openssl x509 -in "$T/out/x.crt" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')
assert_eq "$san" "DNS:mail-hub1.corp.example" "qualified under --permit-dns"
v=$(openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca.pem" "$T/out/x.crt" 2>&1)
assert_eq "$v" "$T/out/x.crt: OK" "verifies under name constraints"
ok "permit-dns"

finish

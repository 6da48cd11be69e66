# sign: requests in every form servers write them (PEM, Windows' NEW
# CERTIFICATE REQUEST in UTF-16 with CRLF, bare base64, DER, Exchange's
# Microsoft attributes) become certificates that verify, carry exactly the
# template's extensions, a subject rebuilt from the names and the request's
# public key; pem/der/p7b output; batches; export of a key-less record.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

make_ca --domain corp.example --no-passphrase
mkdir "$T/req" "$T/out"

# ---- fixtures, made with openssl ----
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/req/rsa.key" 2>/dev/null ||
	fail "RSA key for the requests"
openssl req -new -key "$T/req/rsa.key" -subj "/C=AU/O=Requester Inc/CN=mail-hub1" \
	-addext "subjectAltName=DNS:mail-hub1.corp.example,IP:192.0.2.25" \
	-out "$T/req/hub1.pem" || fail "openssl req"
R=$T/req/hub1.pem
openssl req -in "$R" -outform DER -out "$T/req/hub1.der"
grep -v -- ----- "$R" | tr -d '\n' > "$T/req/hub1.b64-oneline"
grep -v -- ----- "$R" > "$T/req/hub1.b64-wrapped"
# What Exchange 2007/2010 write: UTF-16LE with a BOM, NEW CERTIFICATE REQUEST, CRLF.
sed -e 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' -e 's/$/\r/' "$R" |
	iconv -f UTF-8 -t UTF-16LE | { printf '\377\376'; cat; } > "$T/req/hub1.u16le-bom"
head -c 4 "$T/req/hub1.u16le-bom" | od -An -tx1 | grep -q 'ff fe 2d 00' || fail "UTF-16LE BOM fixture"
# Unicode.GetBytes() on Exchange 2013 and later: UTF-16LE, no BOM, base64 only.
tr -d '\n' < "$T/req/hub1.b64-wrapped" | iconv -f UTF-8 -t UTF-16LE > "$T/req/hub1.u16le"
iconv -f UTF-8 -t UTF-16BE < "$R" > "$T/req/hub1.u16be"
printf '\376\377' | cat - "$T/req/hub1.u16be" > "$T/req/hub1.u16be-bom"
# Exchange's own attributes (OS version, client info, CSP, template name), SHA-1 signed as on 2007.
/usr/bin/python3 "$HERE/sign_exchange_csr.py" "$T/req/rsa.key" "$T/req/hub1.ms" mail-hub1 \
	mail-hub1 mail-hub1.corp.example 192.0.2.25 --sha1 || fail "Exchange-style request"
/usr/bin/python3 "$HERE/sign_exchange_csr.py" "$T/req/rsa.key" "$T/req/hub1.ms-extreq" mail-hub1 \
	mail-hub1 mail-hub1.corp.example 192.0.2.25 --ms-extreq || fail "Exchange-style request (MS extreq)"
a=$(openssl req -inform DER -in "$T/req/hub1.ms" -noout -text)
assert_contains "$a" "1.3.6.1.4.1.311.13.2.3" "fixture carries the OS version attribute"
assert_contains "$a" "1.3.6.1.4.1.311.21.20" "fixture carries the client info attribute"
assert_contains "$a" "1.3.6.1.4.1.311.13.2.2" "fixture carries the enrollment CSP attribute"
assert_contains "$a" "1.3.6.1.4.1.311.20.2" "fixture carries a certificate template name"
assert_contains "$a" "Key Usage" "fixture asks for a keyUsage"
ok "fixtures"

reqpub=$(openssl pkey -in "$T/req/rsa.key" -pubout | sha256sum)
expected_exts="X509v3 Basic Constraints: critical
X509v3 Key Usage: critical
X509v3 Extended Key Usage: 
X509v3 Subject Alternative Name: 
X509v3 Subject Key Identifier: 
X509v3 Authority Key Identifier: "

# check_leaf FILE [INFORM]: verifies, template extensions, rebuilt subject, the request's key.
check_leaf() {
	inform=${2:-PEM}
	openssl x509 -inform "$inform" -in "$1" -out "$1.pem" || fail "$1: not a certificate"
	v=$(openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca.pem" "$1.pem" 2>&1)
	assert_eq "$v" "$1.pem: OK" "$1: openssl verify"
	exts=$(openssl x509 -in "$1.pem" -noout -text | grep -E '^ {12}X509v3 ' | sed 's/^ *//')
	assert_eq "$exts" "$expected_exts" "$1: exactly the template's extensions"
	bc=$(openssl x509 -in "$1.pem" -noout -ext basicConstraints | tail -n +2 | tr -d ' ')
	assert_eq "$bc" "CA:FALSE" "$1: basicConstraints"
	ku=$(openssl x509 -in "$1.pem" -noout -ext keyUsage | tail -n +2 | sed 's/^ *//')
	assert_eq "$ku" "Digital Signature, Key Encipherment" "$1: keyUsage"
	eku=$(openssl x509 -in "$1.pem" -noout -ext extendedKeyUsage | tail -n +2 | sed 's/^ *//')
	assert_eq "$eku" "TLS Web Server Authentication, TLS Web Client Authentication" "$1: EKU"
	subj=$(openssl x509 -in "$1.pem" -noout -subject -nameopt RFC2253)
	assert_eq "$subj" "subject=CN=mail-hub1" "$1: subject rebuilt from the names"
	san=$(openssl x509 -in "$1.pem" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')
	assert_eq "$san" "DNS:mail-hub1, DNS:mail-hub1.corp.example, IP Address:192.0.2.25" "$1: SAN"
	pub=$(openssl x509 -in "$1.pem" -noout -pubkey | sha256sum)
	assert_eq "$pub" "$reqpub" "$1: the request's public key"
}

n=0
for form in pem der b64-oneline b64-wrapped u16le-bom u16le u16be u16be-bom ms ms-extreq; do
	n=$((n + 1))
	run sign --csr "$T/req/hub1.$form" --out "$T/out/$form.crt"
	assert_rc 0 "sign $form"
	check_leaf "$T/out/$form.crt"
	ok "sign $form"
done
run list
assert_eq "$(printf '%s\n' "$out" | grep -c '^[0-9A-F]\{32\} ')" "$n" "one record per request"

# The Microsoft attributes and requested extensions are ignored, and the summary says so.
run sign --csr "$T/req/hub1.ms" --out "$T/out/ms-again.crt"
assert_rc 0 "sign Exchange request"
assert_match "$out" "^  ignored     keyUsage, extendedKeyUsage, 1\.3\.6\.1\.4\.1\.311\.20\.2 " "ignored line"
assert_not_contains "$out" "311.13.2" "attributes are not mentioned"
ok "Microsoft attributes ignored"

# ---- output formats ----
run sign --csr "$R" --format der --out "$T/out/hub1.cer"
assert_rc 0 "sign --format der"
check_leaf "$T/out/hub1.cer" DER
run sign --csr "$R" --format p7b --out "$T/out/hub1.p7b"
assert_rc 0 "sign --format p7b"
assert_contains "$out" "PKCS#7: the certificate and the CA" "p7b summary"
assert_contains "$out" "Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('C:\\hub1.p7b'))" "2013 import line"
assert_contains "$out" "Import-ExchangeCertificate -Path C:\\hub1.p7b" "2007 import line"
certs=$(openssl pkcs7 -inform DER -in "$T/out/hub1.p7b" -print_certs) || fail "p7b does not parse"
assert_eq "$(printf '%s\n' "$certs" | grep -c 'BEGIN CERTIFICATE')" "2" "p7b holds two certificates"
printf '%s\n' "$certs" | grep '^subject=' > "$T/out/p7b.subjects"
assert_eq "$(cat "$T/out/p7b.subjects")" "subject=CN = mail-hub1
subject=O = Test Org, CN = Test Mail CA" "p7b: leaf and CA"
printf '%s\n' "$certs" | awk '/BEGIN/{n++} n==1' | sed -n '/BEGIN/,/END/p' > "$T/out/p7b-leaf.crt"
check_leaf "$T/out/p7b-leaf.crt"
printf '%s\n' "$certs" | awk '/BEGIN/{n++} n==2' | sed -n '/BEGIN/,/END/p' > "$T/out/p7b-ca.crt"
assert_eq "$(openssl x509 -in "$T/out/p7b-ca.crt" -outform DER | sha256sum)" \
	"$(openssl x509 -in "$T/ca.pem" -outform DER | sha256sum)" "p7b: the CA certificate"
p7=$(openssl asn1parse -inform DER -in "$T/out/hub1.p7b")
assert_contains "$p7" ":pkcs7-signedData" "p7b is SignedData"
# degenerate SignedData: contentInfo is just the type (data), with no content after it
next=$(printf '%s\n' "$p7" | grep -A1 ':pkcs7-data$' | tail -n 1)
assert_match "$next" 'd=3 .*cont \[ 0 \]' "p7b: certificates right after an empty contentInfo"
assert_eq "$(printf '%s\n' "$p7" | grep -c ':pkcs7-data$')" "1" "p7b: one contentInfo"
# the format follows the --out extension when --format is not given
run sign --csr "$R" --out "$T/out/implied.p7b"
assert_rc 0 "sign --out x.p7b"
openssl pkcs7 -inform DER -in "$T/out/implied.p7b" -print_certs >/dev/null || fail ".p7b implies p7b"
run sign --csr "$R" --out "$T/out/implied.cer"
openssl x509 -inform DER -in "$T/out/implied.cer" -noout || fail ".cer implies DER"
ok "pem, der, p7b"

# ---- standard output: only the certificate; the summary goes to stderr ----
run sign --csr "$R"
assert_rc 0 "sign to stdout"
printf '%s\n' "$out" > "$T/out/stdout.crt"
assert_eq "$(grep -c . "$T/out/stdout.crt")" "$(openssl x509 -in "$T/out/stdout.crt" | grep -c .)" "stdout is one PEM certificate"
check_leaf "$T/out/stdout.crt"
assert_match "$err" "^minica: signed request $R \(template smtp-transport\): serial [0-9A-F]{32}, thumbprint [0-9A-F]{40}, not after " "summary on stderr"
assert_contains "$err" "not taken from the request: C, O (the template decides)" "ignored on stderr"
run -q sign --csr "$R"
assert_eq "$err" "" "-q: no summary"
"$MINICA" sign --csr - --format der < "$T/req/hub1.u16le-bom" > "$T/out/stdout.cer" 2>/dev/null ||
	fail "--csr - to standard output"
check_leaf "$T/out/stdout.cer" DER
ok "standard output"

# ---- JSON: the summary with the certificate inline ----
run --json sign --csr "$R" --format p7b
assert_rc 0 "sign --json"
printf '%s\n' "$out" | jq -r .pem > "$T/out/json.crt"
check_leaf "$T/out/json.crt"
printf '%s\n' "$out" | jq -r .base64 | openssl base64 -d -A > "$T/out/json.p7b"
openssl pkcs7 -inform DER -in "$T/out/json.p7b" -print_certs | grep -q 'subject=CN = mail-hub1' ||
	fail "JSON base64 is the p7b"
assert_eq "$(printf '%s\n' "$out" | jq -c .names)" '["mail-hub1","mail-hub1.corp.example","192.0.2.25"]' "JSON names"
assert_eq "$(printf '%s\n' "$out" | jq -r '.format + " " + .template + " " + .key')" "p7b smtp-transport RSA 2048" "JSON fields"
assert_eq "$(printf '%s\n' "$out" | jq -c .ignored)" '["C","O"]' "JSON ignored"
thumb=$(printf '%s\n' "$out" | jq -r .thumbprint)
actual=$(openssl x509 -in "$T/out/json.crt" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
assert_eq "$thumb" "$actual" "JSON thumbprint"
serial=$(printf '%s\n' "$out" | jq -r .serial)
oserial=$(openssl x509 -in "$T/out/json.crt" -noout -serial | cut -d= -f2)
case "$serial" in *"$oserial") ;; *) fail "serial $serial != openssl's $oserial" ;; esac
ok "json"

# ---- the request never decides: CA:TRUE and keyCertSign give a normal leaf ----
openssl req -new -key "$T/req/rsa.key" -subj "/CN=evil-ca.corp.example" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-addext "extendedKeyUsage=codeSigning" -addext "nameConstraints=permitted;DNS:evil.example" \
	-out "$T/req/ca-true.pem"
run sign --csr "$T/req/ca-true.pem" --out "$T/out/ca-true.crt"
assert_rc 0 "sign a request for CA:TRUE"
bc=$(openssl x509 -in "$T/out/ca-true.crt" -noout -ext basicConstraints | tail -n +2 | tr -d ' ')
assert_eq "$bc" "CA:FALSE" "CA:TRUE requested, CA:FALSE given"
ku=$(openssl x509 -in "$T/out/ca-true.crt" -noout -ext keyUsage | tail -n +2 | sed 's/^ *//')
assert_eq "$ku" "Digital Signature, Key Encipherment" "keyCertSign requested, template keyUsage given"
t=$(openssl x509 -in "$T/out/ca-true.crt" -noout -text)
assert_not_contains "$t" "Code Signing" "requested EKU dropped"
assert_not_contains "$t" "Name Constraints" "requested nameConstraints dropped"
v=$(openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca.pem" "$T/out/ca-true.crt" 2>&1)
assert_eq "$v" "$T/out/ca-true.crt: OK" "verifies as a server certificate"
# a certificate "signed" by it does not verify: it is not a CA
openssl req -new -x509 -key "$T/req/rsa.key" -subj "/CN=victim" -days 1 -out "$T/req/self.pem"
openssl x509 -in "$T/req/self.pem" -CA "$T/out/ca-true.crt" -CAkey "$T/req/rsa.key" -days 1 \
	-out "$T/out/child.crt" 2>/dev/null
v=$(openssl verify -CAfile "$T/ca.pem" -untrusted "$T/out/ca-true.crt" "$T/out/child.crt" 2>&1)
assert_not_contains "$v" "child.crt: OK" "the signed leaf cannot act as a CA"
ok "CA:TRUE request"

# A request naming only SANs: the first becomes the CN; EC P-384 keys drop keyEncipherment.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$T/req/p384.key" \
	-subj "/O=No CN" -addext "subjectAltName=DNS:smtp.corp.example,DNS:MX1.Corp.Example." \
	-out "$T/req/p384.pem" 2>/dev/null
run sign --csr "$T/req/p384.pem" --template tls-server --days 30 --out "$T/out/p384.crt"
assert_rc 0 "sign EC P-384, SAN only"
assert_eq "$(openssl x509 -in "$T/out/p384.crt" -noout -subject -nameopt RFC2253)" "subject=CN=smtp.corp.example" "CN from the first SAN"
san=$(openssl x509 -in "$T/out/p384.crt" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')
assert_eq "$san" "DNS:smtp.corp.example, DNS:mx1.corp.example" "SAN normalised"
ku=$(openssl x509 -in "$T/out/p384.crt" -noout -ext keyUsage | tail -n +2 | sed 's/^ *//')
assert_eq "$ku" "Digital Signature" "EC key: no keyEncipherment"
eku=$(openssl x509 -in "$T/out/p384.crt" -noout -ext extendedKeyUsage | tail -n +2 | sed 's/^ *//')
assert_eq "$eku" "TLS Web Server Authentication" "tls-server template EKU"
days=$(( ( $(date -d "$(openssl x509 -in "$T/out/p384.crt" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s) ) / 86400 ))
[ "$days" -ge 29 ] && [ "$days" -le 30 ] || fail "--days 30 gave $days days"
v=$(openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca.pem" "$T/out/p384.crt" 2>&1)
assert_eq "$v" "$T/out/p384.crt: OK" "P-384 leaf verifies"
ok "SAN-only EC request, --template, --days"

# ---- the store: no key, export --pem works, export --pfx says why not ----
run --json show "$serial"
assert_eq "$(printf '%s\n' "$out" | jq -r .key_kept)" "false" "no key kept"
expect_error 66 "its private key is not in the store \(it was signed from a CSR" \
	export --serial "$serial" --pfx "$T/out/x.pfx"
[ ! -e "$T/out/x.pfx" ] || fail "a PFX was written"
mkdir "$T/pemout"
run export --serial "$serial" --pem "$T/pemout"
assert_rc 0 "export --pem"
[ -s "$T/pemout/mail-hub1.crt" ] && [ -s "$T/pemout/mail-hub1.chain.pem" ] || fail "export --pem files"
[ ! -e "$T/pemout/mail-hub1.key" ] || fail "export --pem wrote a key"
assert_eq "$(openssl x509 -in "$T/pemout/mail-hub1.crt" -outform DER | sha256sum)" \
	"$(openssl x509 -in "$T/out/json.crt" -outform DER | sha256sum)" "exported = signed"
v=$(openssl verify -CAfile "$T/ca.pem" -untrusted "$T/pemout/mail-hub1.chain.pem" "$T/pemout/mail-hub1.crt")
assert_contains "$v" "OK" "exported chain"
audit=$(mdb_dump -p -s audit "$MINICA_STORE")
assert_contains "$audit" "sign" "audit action"
assert_contains "$audit" "template=smtp-transport csr=$R key=RSA 2048 hosts=mail-hub1,mail-hub1.corp.example,192.0.2.25" "audit detail"
ok "store, export"

# ---- several requests in one call: one CA unlock, one transaction, one file each ----
for h in hub2 hub3 edge1; do
	openssl req -new -key "$T/req/rsa.key" -subj "/CN=mail-$h" -out "$T/req/$h.req"
done
mkdir "$T/batch"
before=$("$MINICA" list | grep -c '^[0-9A-F]\{32\} ')
run sign --csr "$T/req/hub2.req" --csr "$T/req/hub3.req" --csr "$T/req/edge1.req" --format p7b --out "$T/batch"
assert_rc 0 "batch"
for h in hub2 hub3 edge1; do
	f=$T/batch/mail-$h.p7b
	openssl pkcs7 -inform DER -in "$f" -print_certs | grep -q "subject=CN = mail-$h$" || fail "$f"
done
assert_eq "$(ls "$T/batch" | tr '\n' ' ')" "mail-edge1.p7b mail-hub2.p7b mail-hub3.p7b " "batch files"
after=$("$MINICA" list | grep -c '^[0-9A-F]\{32\} ')
assert_eq "$after" "$((before + 3))" "three records"
run --json sign --csr "$T/req/hub2.req" --csr "$T/req/hub3.req" --out "$T/batch"
assert_rc 0 "batch --json"
assert_eq "$(printf '%s\n' "$out" | jq -r '.[].file' | tr '\n' ' ')" "$T/batch/mail-hub2.crt $T/batch/mail-hub3.crt " "batch JSON"
ok "batch"

# A passphrase-protected CA: the batch asks for the passphrase once.
export MINICA_STORE="$T/store-pass"
make_ca --domain corp.example
run --pass-file "$PASS" sign --csr "$T/req/hub2.req" --csr "$T/req/hub3.req" --out "$T/batch" --force
assert_rc 0 "batch with a passphrase"
openssl verify -CAfile "$T/ca.pem" "$T/batch/mail-hub2.crt" >/dev/null || fail "batch verifies against the new CA"
ok "passphrase store"

finish

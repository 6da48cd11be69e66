# Plain build only: five verifiers read the certificates that other files issue under ASan too.
# Independent verification of minica's certificates: four leaves (RSA-2048
# from smtp-transport under an RSA-4096 CA, an EC P-256 leaf, a leaf with IP
# address SANs, and a leaf under a --permit-dns CA with an EC P-384 key),
# and a leaf under a CA whose RSA-3072 key is on a PKCS#11 token (SoftHSM2),
# each verified by five implementations that share no code with OpenSSL's
# X.509 path validation or with each other:
#   OpenSSL   openssl verify -x509_strict -purpose sslserver, host name / IP
#   GnuTLS    certtool --verify, host name / IP, serverAuth, profile medium
#   NSS       certutil -V -u V (classic) and vfychain -pp (libpkix)
#   Java      CertPathValidator (PKIX) and a TLS handshake with HTTPS endpoint
#             identification, the key taken from minica's PFX
#   Python    cryptography (Debian 12: 38.0.4, no path validation API):
#             signature, key identifiers, usage, names, name constraints
# and then linted (tests/interop/lint5280.py) with the CA certificates. A CA
# with the same name but another key, a wrong host name and a wrong IP
# address are refused by every verifier that checks them.
INTEROP=$(cd "$(dirname "$0")/../interop" && pwd)
. "$(dirname "$0")/../lib.sh"
. "$INTEROP/../token_lib.sh"

PY=/usr/bin/python3
for tool in openssl certtool certutil vfychain java "$PY"; do
	command -v "$tool" >/dev/null || fail "$tool is missing (make deps-test installs it)"
done
$PY -c 'import cryptography, pyasn1_modules' 2>/dev/null ||
	fail "python3-cryptography and python3-pyasn1-modules are needed (make deps-test installs them)"
# The versions tested, on the summary line.
TESTED_WITH="$(openssl version | cut -d' ' -f1-2), GnuTLS $(certtool --version | sed -n '1s/^certtool //p'), NSS $(dpkg-query -W -f='${Version}' libnss3 2>/dev/null | sed 's/^[0-9]*://; s/-.*//'), Java $(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -version 2>&1 | sed -n '1s/.*version "\([^"]*\)".*/\1/p'), Python cryptography $($PY -c 'import cryptography; print(cryptography.__version__)')"

# --- The CAs and the leaves.
run init --name "Interop Mail CA" --org "Test Org" --domain corp.example --no-passphrase
assert_rc 0 "init RSA-4096 CA"
"$MINICA" ca export > "$T/ca.pem" || fail "ca export"
run --store "$T/nc" init --name "Constrained Mail CA" --key ec:P-384 --domain corp.example \
	--permit-dns corp.example --no-passphrase
assert_rc 0 "init --permit-dns CA"
"$MINICA" --store "$T/nc" ca export > "$T/nc-ca.pem" || fail "nc ca export"
# Same subject as the real CA, another key: a verifier must check signatures.
run --store "$T/impostor" init --name "Interop Mail CA" --org "Test Org" --key ec:P-256 --no-passphrase
assert_rc 0 "init impostor CA"
"$MINICA" --store "$T/impostor" ca export > "$T/impostor-ca.pem" || fail "impostor ca export"

# The token's CA: its key made on the token, every signature made there.
token_setup
token_init minica 2468
printf '2468\n' > "$T/pin"
chmod 600 "$T/pin"
run --store "$T/tok" --pin-file "$T/pin" init --name "Token Mail CA" --key rsa:3072 --domain corp.example \
	--key-uri "pkcs11:token=minica;object=ca?module-path=$MOD"
assert_rc 0 "init on a token"
"$MINICA" --store "$T/tok" ca export > "$T/tok-ca.pem" || fail "token ca export"

mkdir "$T/rsa" "$T/ec" "$T/ip" "$T/nc-leaf" "$T/tok-leaf"
run issue --host mail-hub1 --out "$T/rsa"
assert_rc 0 "issue RSA"
assert_contains "$out" "key         RSA 2048" "smtp-transport: RSA-2048"
run issue --host mail-ec1 --key ec:P-256 --out "$T/ec"
assert_rc 0 "issue EC"
run issue --host mail-edge1.corp.example --host 192.0.2.25 --host 2001:db8::25 --out "$T/ip"
assert_rc 0 "issue with IP SANs"
run --store "$T/nc" issue --host mail-hub2 --out "$T/nc-leaf"
assert_rc 0 "issue under --permit-dns"
run --store "$T/tok" --pin-file "$T/pin" issue --host mail-hub3 --out "$T/tok-leaf"
assert_rc 0 "issue under the token's CA"
ok "CAs and leaves"

# A leaf that minica refuses to issue, mail.evil.example under the corp.example
# constraint, forged with the CA key (stored in clear by --no-passphrase) and
# openssl x509: the verifiers must enforce the constraint that minica wrote.
keyhex=$(printf 'ca.key' | od -An -tx1 | tr -d ' \n')
mdb_dump -s meta "$T/nc" | awk -v k=" $keyhex" 'found {print; exit} $0 == k {found=1}' |
	tr -d ' ' | perl -ne 'chomp; print pack("H*", $_)' > "$T/nc-ca.der"
openssl pkey -inform DER -in "$T/nc-ca.der" -out "$T/nc-ca.key" 2>/dev/null || fail "the constrained CA's key"
mkdir "$T/outside"
o="$T/outside/mail.evil.example"
printf '%s\n' "basicConstraints = critical, CA:FALSE" "keyUsage = critical, digitalSignature, keyEncipherment" \
	"extendedKeyUsage = serverAuth, clientAuth" "subjectAltName = DNS:mail.evil.example" \
	"subjectKeyIdentifier = hash" "authorityKeyIdentifier = keyid" > "$T/outside.ext"
{
	openssl req -new -newkey rsa:2048 -nodes -keyout "$o.key" -subj /CN=mail.evil.example -out "$o.csr" &&
	openssl x509 -req -in "$o.csr" -CA "$T/nc-ca.pem" -CAkey "$T/nc-ca.key" -set_serial 0x7e57 -days 30 \
		-extfile "$T/outside.ext" -out "$o.crt" &&
	cat "$o.crt" "$T/nc-ca.pem" > "$o.chain.pem" &&
	printf 'outside-password\n' > "$o.pfx-password" &&
	openssl pkcs12 -export -in "$o.crt" -inkey "$o.key" -certfile "$T/nc-ca.pem" -name mail.evil.example \
		-passout file:"$o.pfx-password" -out "$o.pfx"
} >/dev/null 2>&1 || fail "forging the out-of-constraint leaf"
ok "an out-of-constraint leaf, forged"

# CASE  CA  LEAF-FILE-PREFIX  HOST-OR-IP-TO-CHECK
CASES="rsa $T/ca.pem $T/rsa/mail-hub1 mail-hub1.corp.example
ec $T/ca.pem $T/ec/mail-ec1 mail-ec1.corp.example
ip $T/ca.pem $T/ip/mail-edge1.corp.example 192.0.2.25
ip6 $T/ca.pem $T/ip/mail-edge1.corp.example 2001:db8::25
nc $T/nc-ca.pem $T/nc-leaf/mail-hub2.corp.example mail-hub2.corp.example
token $T/tok-ca.pem $T/tok-leaf/mail-hub3 mail-hub3.corp.example"
# Must be refused: another key under the same CA name, another name, another address.
BAD="impostor $T/impostor-ca.pem $T/rsa/mail-hub1 mail-hub1.corp.example
wrongname $T/ca.pem $T/rsa/mail-hub1 mail-hub2.corp.example
wrongip $T/ca.pem $T/ip/mail-edge1.corp.example 192.0.2.26
outside $T/nc-ca.pem $T/outside/mail.evil.example mail.evil.example"

is_ip() { case "$1" in *:* | [0-9]*.*[0-9]) printf '%s\n' "$1" | grep -Eq '^[0-9.]+$|:' ;; *) return 1 ;; esac; }

# --- OpenSSL
openssl_verify() {
	if is_ip "$3"; then name="-verify_ip $3"; else name="-verify_hostname $3"; fi
	# shellcheck disable=SC2086
	openssl verify -x509_strict -purpose sslserver $name -CAfile "$1" "$2.crt" 2>&1
}
# --- GnuTLS: the chain file (leaf, CA), serverAuth, at least 112-bit security.
gnutls_verify() {
	o=$(certtool --verify --load-ca-certificate "$1" --infile "$2.chain.pem" --verify-hostname "$3" \
		--verify-purpose 1.3.6.1.5.5.7.3.1 --verify-profile medium 2>&1)
	r=$?
	printf '%s\n' "$o" | grep 'Chain verification output'
	return $r
}
# --- NSS: a database trusting the CA for SSL; the classic verifier
# (certutil -V) and libpkix (vfychain -pp). NSS's tools check the chain and
# the usage, not the host name.
nss_verify() {
	db="$T/nssdb-$4"
	mkdir "$db" && certutil -N --empty-password -d "sql:$db" || return 2
	certutil -A -n ca -t "C,," -a -i "$1" -d "sql:$db" || return 2
	certutil -A -n leaf -t ",," -a -i "$2.crt" -d "sql:$db" || return 2
	o1=$(certutil -V -u V -e -n leaf -d "sql:$db" 2>&1)
	r1=$?
	o2=$(vfychain -pp -u 1 -a "$2.crt" -a -t "$1" 2>&1)
	r2=$?
	echo "certutil: $o1 | vfychain: $(printf '%s\n' "$o2" | grep -E 'Chain is|ERROR' | tr '\n' ' ')"
	[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && return 0
	[ $r1 -ne 0 ] && [ $r2 -ne 0 ] && return 1
	return 3 # they disagree
}
# --- Python cryptography
python_verify() {
	$PY "$INTEROP/verify_cryptography.py" "$1" "$2.crt" "$3" 2>&1
}

for verifier in openssl gnutls nss python; do
	while read -r name ca leaf host; do
		o=$(${verifier}_verify "$ca" "$leaf" "$host" "$name") ||
			fail "$verifier refuses the $name certificate ($host): $o"
		case "$verifier" in
		openssl) assert_eq "$o" "$leaf.crt: OK" "openssl $name" ;;
		gnutls) assert_contains "$o" "Verified. The certificate is trusted." "gnutls $name" ;;
		nss) assert_contains "$o" "certutil: certificate is valid | vfychain: Chain is good!" "nss $name" ;;
		python) assert_eq "$o" "ok" "python $name" ;;
		esac
		ok "$verifier accepts $name"
	done <<EOF
$CASES
EOF
	while read -r name ca leaf host; do
		case "$verifier-$name" in nss-wrong*) continue ;; esac
		o=$(${verifier}_verify "$ca" "$leaf" "$host" "$name") && fail "$verifier accepts the $name case: $o"
		case "$verifier" in
		openssl) refusal="verification failed" ;;
		gnutls) refusal="Not verified. The certificate is NOT trusted." ;;
		nss) refusal="certutil: certutil: certificate is invalid: * | vfychain: Chain is bad!" ;;
		python) refusal="fail: " ;;
		esac
		case "$o" in
		*$refusal*) ;;
		*) fail "$verifier: $name: not a refusal: $o" ;;
		esac
		ok "$verifier refuses $name: $(printf '%s' "$o" | tr '\n' ' ' | cut -c1-100)"
	done <<EOF
$BAD
EOF
done

# GnuTLS's "high" profile (128-bit security) wants RSA-3072 or EC: the
# default RSA-2048 leaf passes "medium" (112-bit) only; the EC leaf passes high.
high() { certtool --verify --load-ca-certificate "$1" --infile "$2.chain.pem" --verify-profile high 2>&1 | grep 'Chain verification output'; }
assert_contains "$(high "$T/ca.pem" "$T/rsa/mail-hub1")" "insecure algorithm" "gnutls high profile, RSA-2048"
assert_contains "$(high "$T/ca.pem" "$T/ec/mail-ec1")" "Verified. The certificate is trusted." "gnutls high profile, EC P-256"
ok "gnutls profiles: RSA-2048 is medium, EC P-256 under RSA-4096 is high"

# --- Java: one JVM for every case (PFX password files from issue).
printf '%s\n' "$CASES" "$BAD" | while read -r name ca leaf host; do
	echo "$name $ca $leaf.pfx $leaf.pfx-password $host"
done > "$T/java-cases"
java_out=$(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "$INTEROP/Verify.java" "$T/java-cases" 2>&1) ||
	fail "java Verify.java: $java_out"
for name in rsa ec ip ip6 nc token; do
	line=$(printf '%s\n' "$java_out" | grep "^$name ")
	assert_match "$line" "^$name pkix=ok tls=ok\(TLSv1\.[23]\)\$" "java accepts $name: $line"
	ok "java accepts $name"
done
assert_match "$(printf '%s\n' "$java_out" | grep '^impostor ')" "pkix=fail\(.*\) tls=fail\(" "java refuses the impostor CA"
assert_match "$(printf '%s\n' "$java_out" | grep '^wrongname ')" "pkix=ok tls=fail\(No subject alternative DNS name matching mail-hub2" "java refuses another name"
assert_match "$(printf '%s\n' "$java_out" | grep '^wrongip ')" "pkix=ok tls=fail\(No subject alternative names matching IP address 192.0.2.26" "java refuses another address"
# Known and documented: Java's PKIX supports no name constraints on a trust
# anchor and ignores those in the root certificate, so it accepts the forged
# name (minica puts --permit-dns in its root). Should this fail one day, Java
# has changed: update docs/interoperability.md.
outside=$(printf '%s\n' "$java_out" | grep '^outside ')
assert_match "$outside" "^outside pkix=ok tls=ok" "java ignores a root's name constraints: $outside"
ok "java refuses impostor, wrongname, wrongip (and ignores the root's name constraints)"

# --- RFC 5280 lint of the three CAs and the five leaves.
lint=$($PY "$INTEROP/lint5280.py" "$T/ca.pem" "$T/ca.pem" "$T/rsa/mail-hub1.crt" "$T/ec/mail-ec1.crt" \
	"$T/ip/mail-edge1.corp.example.crt" 2>&1) || fail "lint: $lint"
lint_nc=$($PY "$INTEROP/lint5280.py" "$T/nc-ca.pem" "$T/nc-ca.pem" "$T/nc-leaf/mail-hub2.corp.example.crt" 2>&1) ||
	fail "lint: $lint_nc"
lint_tok=$($PY "$INTEROP/lint5280.py" "$T/tok-ca.pem" "$T/tok-ca.pem" "$T/tok-leaf/mail-hub3.crt" 2>&1) ||
	fail "lint: $lint_tok"
all=$(printf '%s\n%s\n%s\n' "$lint" "$lint_nc" "$lint_tok")
assert_eq "$(printf '%s\n' "$all" | grep -c ': clean$')" "8" "eight certificates lint clean"
assert_not_contains "$all" "ERROR" "no lint errors"
# The only warning: the short names that Exchange lists (mail-hub1, mail-ec1).
warnings=$(printf '%s\n' "$all" | grep ' WARN ' | sed 's/^[^:]*: //' | sort -u)
assert_eq "$warnings" "WARN internal_name: unqualified host name 'mail-ec1': fine for a private CA (Exchange lists short names), refused by public CAs
WARN internal_name: unqualified host name 'mail-hub1': fine for a private CA (Exchange lists short names), refused by public CAs
WARN internal_name: unqualified host name 'mail-hub3': fine for a private CA (Exchange lists short names), refused by public CAs" "lint warnings"
ok "lint: 8 certificates clean"

# The linter can fail: a certificate with the usual mistakes.
openssl req -x509 -newkey rsa:1024 -nodes -keyout "$T/bad.key" -subj /CN=bad -days 1 -set_serial 0 \
	-addext "basicConstraints=CA:TRUE" -addext "keyUsage=digitalSignature" -out "$T/bad.pem" 2>/dev/null ||
	fail "openssl req for the bad certificate"
bad=$($PY "$INTEROP/lint5280.py" "$T/bad.pem" "$T/bad.pem" 2>&1) && fail "the linter passed a bad certificate"
for rule in 4.1.2.2_serial_positive rsa_key_size 4.2.1.3_ca_keycertsign 4.2.1.9_bc_critical; do
	assert_contains "$bad" "ERROR $rule" "lint catches $rule"
done
ok "lint catches a bad certificate"

finish

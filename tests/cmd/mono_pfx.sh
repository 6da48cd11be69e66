# Plain build only: other programs read the PFX files that other files export under ASan too.
# Mono (Debian's .NET implementation) reads minica's PFX files with its own
# PKCS#12 reader, X509Certificate2, X509Chain and X509Store: the nearest thing
# to Windows' certificate APIs that runs on Debian. tests/interop/MonoPfx.cs,
# compiled here with mcs, reports what Mono does; this file asserts it.
#
#   legacy PFX (3DES, SHA-1 MAC), RSA and EC leaves: loaded, subject and
#     SHA-1 thumbprint as 'issue' printed them, HasPrivateKey, the EKUs
#     serverAuth and clientAuth; the RSA key signs data that openssl and Mono
#     verify with the leaf's public key. Mono 6.8 cannot use an EC private
#     key through its API (PrivateKey: NotSupportedException,
#     GetECDsaPrivateKey: NotImplementedException); its TLS stack can
#     (tests/cmd/mono_tls.sh).
#   X509Chain with the CA as extra store: leaf -> minica's CA; an impostor CA
#     (same name, other key) is refused (NotSignatureValid), a CA of another
#     name leaves a partial chain. Mono's X509Chain is managed code that
#     verifies RSA signatures only: the chain of an EC CA cannot be built,
#     hence an RSA CA here.
#   X509Store(My, CurrentUser) in $T (HOME and XDG_* point there): the
#     certificate goes in and comes out by thumbprint, without its key.
#   modern PFX (AES-256, SHA-256 MAC): refused with "Unable to decode
#     certificate", the message of a wrong password; the same certificate and
#     key in a 3DES PFX with the same password load.
INTEROP=$(cd "$(dirname "$0")/../interop" && pwd)
. "$(dirname "$0")/../lib.sh"
. "$INTEROP/mono.sh"
mono_compile MonoPfx

# mono_pfx MODE PFX ARGS...: MonoPfx.exe's KEY=VALUE lines in $mo.
mono_pfx() {
	mo=$(timeout 120 mono "$T/MonoPfx.exe" "$@" 2>&1) || { echo "$mo" >&2; fail "MonoPfx.exe $*: exit $?"; }
}
# field KEY: the value of KEY in $mo.
field() { printf '%s\n' "$mo" | sed -n "s/^$1=//p"; }
thumbprint_of() { printf '%s\n' "$1" | sed -n 's/^  thumbprint  //p'; }

# minica's CA (RSA: see above), an impostor with its name and another key,
# and a CA of another name (EC).
run init --name "Interop Mail CA" --org "Test Org" --domain corp.example --key rsa:3072 --no-passphrase
assert_rc 0 "init"
ca_fp=$(thumbprint_of "$out")
"$MINICA" ca export > "$T/ca.pem" || fail "ca export"
run --store "$T/impostor" init --name "Interop Mail CA" --org "Test Org" --key rsa:3072 --no-passphrase
assert_rc 0 "init the impostor CA"
"$MINICA" --store "$T/impostor" ca export > "$T/impostor.pem" || fail "impostor ca export"
run --store "$T/other" init --name "Other CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init the other CA"
"$MINICA" --store "$T/other" ca export > "$T/other.pem" || fail "other ca export"

mkdir "$T/rsa" "$T/ec" "$T/under-ec"
run issue --host mail-hub1 --out "$T/rsa"
assert_rc 0 "issue RSA"
assert_contains "$out" "pfx         legacy" "the default PFX is legacy"
rsa_fp=$(thumbprint_of "$out")
run issue --host mail-ec1 --key ec:P-256 --out "$T/ec"
assert_rc 0 "issue EC"
ec_fp=$(thumbprint_of "$out")
printf 'Modern-PFX-Password-2026\n' > "$T/modern.pfx-password"
chmod 600 "$T/modern.pfx-password"
run export --host mail-hub1 --pfx "$T/modern.pfx" --modern --pfx-pass-file "$T/modern.pfx-password"
assert_rc 0 "export --modern"
run --store "$T/other" issue --host mail-hub3 --out "$T/under-ec"
assert_rc 0 "issue under the EC CA"
[ -n "$ca_fp" ] && [ -n "$rsa_fp" ] && [ -n "$ec_fp" ] || fail "minica printed no thumbprint"
ok "CAs, leaves and PFX files"

# --- X509Certificate2: the legacy PFX of an RSA and of an EC leaf.
head -c 4096 /dev/urandom > "$T/data"
mono_pfx load "$T/rsa/mail-hub1.pfx" "$T/rsa/mail-hub1.pfx-password" "$T/data" "$T/rsa.sig"
assert_eq "$(field load)" "ok" "Mono loads the RSA legacy PFX"
assert_eq "$(field subject)" "CN=mail-hub1" "RSA subject"
assert_eq "$(field issuer)" "CN=Interop Mail CA, O=Test Org" "RSA issuer"
assert_eq "$(field thumbprint)" "$rsa_fp" "RSA thumbprint = the one 'issue' printed"
assert_eq "$(field keyalg)" "1.2.840.113549.1.1.1" "RSA key"
assert_eq "$(field haskey)" "True" "RSA HasPrivateKey"
assert_eq "$(field eku)" "1.3.6.1.5.5.7.3.1,1.3.6.1.5.5.7.3.2" "RSA EKUs serverAuth, clientAuth"
assert_eq "$(field privatekey)" "RSACryptoServiceProvider 2048" "RSA PrivateKey"
# Mono takes no friendlyName from a PFX (Windows shows it in certlm.msc).
assert_eq "$(field friendlyname)" "" "Mono has no friendlyName"
assert_eq "$(field sign)" "ok" "Mono signs with the RSA key"
assert_eq "$(field verify)" "ok" "Mono verifies with the certificate's public key"
assert_eq "$(field verify_other_data)" "bad" "Mono refuses the signature for other data"
openssl x509 -in "$T/rsa/mail-hub1.crt" -noout -pubkey > "$T/rsa.pub" || fail "RSA public key"
openssl dgst -sha256 -verify "$T/rsa.pub" -signature "$T/rsa.sig" "$T/data" >/dev/null 2>&1 ||
	fail "openssl does not verify Mono's signature with the leaf's public key"
printf 'x' >> "$T/data"
openssl dgst -sha256 -verify "$T/rsa.pub" -signature "$T/rsa.sig" "$T/data" >/dev/null 2>&1 &&
	fail "openssl verified Mono's signature over other data"
ok "Mono reads the RSA legacy PFX; its key signs, openssl verifies with the leaf"

mono_pfx load "$T/ec/mail-ec1.pfx" "$T/ec/mail-ec1.pfx-password" "$T/data" "$T/ec.sig"
assert_eq "$(field load)" "ok" "Mono loads the EC legacy PFX"
assert_eq "$(field subject)" "CN=mail-ec1" "EC subject"
assert_eq "$(field thumbprint)" "$ec_fp" "EC thumbprint = the one 'issue' printed"
assert_eq "$(field keyalg)" "1.2.840.10045.2.1" "EC key"
assert_eq "$(field haskey)" "True" "EC HasPrivateKey"
assert_eq "$(field eku)" "1.3.6.1.5.5.7.3.1,1.3.6.1.5.5.7.3.2" "EC EKUs serverAuth, clientAuth"
# What Mono 6.8 does with an EC private key: its API has none.
assert_eq "$(field privatekey)" "error NotSupportedException: The certificate key algorithm is not supported." \
	"Mono's PrivateKey for EC"
assert_eq "$(field ecdsakey)" "error NotImplementedException: The method or operation is not implemented." \
	"Mono's GetECDsaPrivateKey"
assert_eq "$(field sign)" "error CryptographicException: \`MonoBtlsKey.GetBytes\` failed." \
	"Mono cannot use the EC key as RSA"
[ -e "$T/ec.sig" ] && fail "Mono wrote a signature with an EC key"
ok "Mono reads the EC legacy PFX (HasPrivateKey) and cannot use an EC key through its API"

# --- X509Chain, the CA as extra store and unknown CAs allowed.
for leaf in rsa ec; do
	case $leaf in
	rsa) pfx="$T/rsa/mail-hub1" fp=$rsa_fp ;;
	*) pfx="$T/ec/mail-ec1" fp=$ec_fp ;;
	esac
	mono_pfx chain "$pfx.pfx" "$pfx.pfx-password" "$T/ca.pem"
	assert_eq "$(field chain)" "built" "$leaf: X509Chain builds"
	# AllowUnknownCertificateAuthority accepts any root: the caller must
	# check it is the CA. UntrustedRoot is the only status.
	assert_eq "$(field chainstatus)" "UntrustedRoot" "$leaf: chain status"
	assert_eq "$(field elements)" "$fp $ca_fp" "$leaf: the chain is the leaf, then minica's CA"
	mono_pfx chain "$pfx.pfx" "$pfx.pfx-password" "$T/impostor.pem"
	assert_eq "$(field chain)" "not built" "$leaf: the impostor CA"
	assert_eq "$(field chainstatus)" "NotSignatureValid,UntrustedRoot" "$leaf: the impostor's signature"
done
ok "X509Chain: leaf -> CA for RSA and EC leaves; an impostor CA is refused"

# A CA of another name: no issuer. For an RSA leaf Build returns true (as on
# Windows, AllowUnknownCertificateAuthority also passes a partial chain): the
# root is not the CA. For an EC leaf Mono throws.
mono_pfx chain "$T/rsa/mail-hub1.pfx" "$T/rsa/mail-hub1.pfx-password" "$T/other.pem"
assert_eq "$(field chainstatus)" "PartialChain" "another CA: partial chain"
assert_eq "$(field elements)" "$rsa_fp" "another CA: the chain ends at the leaf"
mono_pfx chain "$T/ec/mail-ec1.pfx" "$T/ec/mail-ec1.pfx-password" "$T/other.pem"
assert_eq "$(field chain)" "error NotSupportedException: Cannot decode public key from unknown OID '1.2.840.10045.2.1'." \
	"another CA, EC leaf: Mono cannot build"
# An EC CA: Mono's X509Chain cannot read its key.
mono_pfx chain "$T/under-ec/mail-hub3.pfx" "$T/under-ec/mail-hub3.pfx-password" "$T/other.pem"
assert_eq "$(field load)" "ok" "the PFX of an RSA leaf under an EC CA loads"
assert_eq "$(field chain)" "error NotSupportedException: Cannot decode public key from unknown OID '1.2.840.10045.2.1'." \
	"an EC CA: Mono cannot build the chain"
ok "X509Chain: another CA is not the root; Mono 6.8 builds no chain through an EC key"

# --- X509Store(My, CurrentUser), in $T.
mono_pfx store "$T/rsa/mail-hub1.pfx" "$T/rsa/mail-hub1.pfx-password"
assert_eq "$(field storecount)" "1" "one certificate in the store"
assert_eq "$(field found)" "1" "found by thumbprint"
assert_eq "$(field found_thumbprint)" "$rsa_fp" "the store gives back the leaf"
assert_eq "$(field found_subject)" "CN=mail-hub1" "the store gives back the leaf's subject"
# Mono's store keeps certificates; the key loaded from a PFX is not persisted.
assert_eq "$(field found_haskey)" "False" "Mono's store keeps no key"
mono_pfx store "$T/ec/mail-ec1.pfx" "$T/ec/mail-ec1.pfx-password"
assert_eq "$(field storecount)" "2" "two certificates in the store"
assert_eq "$(field found)" "1" "EC found by thumbprint"
assert_eq "$(field found_thumbprint)" "$ec_fp" "the store gives back the EC leaf"
assert_eq "$(ls "$XDG_CONFIG_HOME/.mono/certs/My" | grep -c '\.cer$')" "2" "the store is in the test's directory"
ok "X509Store(My, CurrentUser): in and out by thumbprint (without the key)"

# --- The modern PFX, and a wrong password.
mono_pfx load "$T/modern.pfx" "$T/modern.pfx-password" "$T/data" "$T/modern.sig"
assert_eq "$(field load)" "error CryptographicException: Unable to decode certificate." "Mono refuses the modern PFX"
openssl pkcs12 -in "$T/modern.pfx" -passin file:"$T/modern.pfx-password" -noout 2>/dev/null ||
	fail "openssl does not open the modern PFX with its password"
printf 'wrong-password\n' > "$T/wrong"
mono_pfx load "$T/rsa/mail-hub1.pfx" "$T/wrong" "$T/data" "$T/wrong.sig"
assert_eq "$(field load)" "error CryptographicException: Unable to decode certificate." \
	"a wrong password: the same message"
# The modern PFX's certificate and key in 3DES with the same password load:
# the algorithms, not the password or the contents, are what Mono refuses.
{
	openssl pkcs12 -in "$T/modern.pfx" -passin file:"$T/modern.pfx-password" -nodes -out "$T/modern.pem" &&
	openssl pkcs12 -export -in "$T/modern.pem" -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 \
		-passout file:"$T/modern.pfx-password" -out "$T/modern-as-3des.pfx"
} >"$T/reenc.out" 2>&1 || { cat "$T/reenc.out" >&2; fail "re-encrypting the modern PFX"; }
mono_pfx load "$T/modern-as-3des.pfx" "$T/modern.pfx-password" "$T/data" "$T/m3.sig"
assert_eq "$(field load)" "ok" "Mono loads the modern PFX's contents in 3DES"
assert_eq "$(field thumbprint)" "$rsa_fp" "the same leaf"
assert_eq "$(field haskey)" "True" "with its key"
ok "Mono refuses the modern (AES-256) PFX as it refuses a wrong password"

finish

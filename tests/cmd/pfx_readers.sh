# Plain build only: other programs read the PFX files that other files export under ASan too.
# Independent PFX readers: Java's keytool (OpenJDK), NSS's pk12util and
# GnuTLS's certtool each open minica's PFX files (legacy 3DES/SHA-1 MAC and
# modern AES-256/SHA-256 MAC, RSA and EC) and find one private key, paired
# with the leaf, the chain (leaf + CA) and the friendlyName. Each reader also
# uses or decrypts the key (keytool and NSS sign a request with it, GnuTLS
# decrypts the PKCS#8 bag) and must match the leaf's public key, and each
# refuses a wrong password.
. "$(dirname "$0")/../lib.sh"

for tool in keytool pk12util certutil certtool; do
	command -v "$tool" >/dev/null || fail "$tool is missing (make deps-test installs it)"
done
# The JVM starts faster without the optimising compiler and with one GC thread.
keytool() { command keytool -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC "$@"; }
# The versions tested, on the summary line.
java_version=$(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -version 2>&1 | sed -n '1s/.*version "\([^"]*\)".*/\1/p')
TESTED_WITH="Java $java_version, NSS $(dpkg-query -W -f='${Version}' libnss3 2>/dev/null | sed 's/^[0-9]*://; s/-.*//'), GnuTLS $(certtool --version | sed -n '1s/^certtool //p')"

run init --name "Interop Mail CA" --org "Test Org" --domain corp.example --no-passphrase
assert_rc 0 "init"
"$MINICA" ca export > "$T/ca.pem" || fail "ca export"
ca_fp=$(openssl x509 -in "$T/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')

# Three PFX files: RSA legacy (the default), RSA modern (export), EC legacy.
mkdir "$T/rsa" "$T/ec"
run issue --host mail-hub1 --out "$T/rsa"
assert_rc 0 "issue RSA"
assert_contains "$out" "pfx         legacy" "default PFX is legacy"
printf 'Modern-PFX-Password-2026\n' > "$T/modern.pfx-password"
chmod 600 "$T/modern.pfx-password"
run export --host mail-hub1 --pfx "$T/modern.pfx" --modern --pfx-pass-file "$T/modern.pfx-password"
assert_rc 0 "export --modern"
run issue --host mail-ec1 --key ec:P-256 --out "$T/ec"
assert_rc 0 "issue EC"
cp "$T/rsa/mail-hub1.pfx" "$T/legacy.pfx"
cp "$T/rsa/mail-hub1.pfx-password" "$T/legacy.pfx-password"
cp "$T/ec/mail-ec1.pfx" "$T/ec.pfx"
cp "$T/ec/mail-ec1.pfx-password" "$T/ec.pfx-password"
ok "PFX files"

# name -> the host (friendlyName) and the leaf it must hold.
pfx_host() { case "$1" in ec) echo mail-ec1 ;; *) echo mail-hub1 ;; esac; }
pfx_leaf() { case "$1" in ec) echo "$T/ec/mail-ec1.crt" ;; *) echo "$T/rsa/mail-hub1.crt" ;; esac; }
leaf_pub() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
leaf_fp() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }

for name in legacy modern ec; do
	pfx="$T/$name.pfx"
	pwfile="$T/$name.pfx-password"
	pw=$(head -n 1 "$pwfile")
	host=$(pfx_host "$name")
	leaf=$(pfx_leaf "$name")
	leaf_fp=$(leaf_fp "$leaf")
	pub=$(leaf_pub "$leaf")

	# --- Java keytool: one PrivateKeyEntry named after the friendlyName, a
	# chain of two (leaf, CA); then a CSR signed with the decrypted key.
	kt=$(keytool -list -v -storetype PKCS12 -keystore "$pfx" -storepass:file "$pwfile" 2>&1) ||
		{ echo "$kt" >&2; fail "keytool cannot read the $name PFX"; }
	assert_contains "$kt" "Your keystore contains 1 entry" "keytool $name: one entry"
	assert_contains "$kt" "Alias name: $host" "keytool $name: alias is the friendlyName"
	assert_contains "$kt" "Entry type: PrivateKeyEntry" "keytool $name: key and certificate paired"
	assert_contains "$kt" "Certificate chain length: 2" "keytool $name: chain of two"
	fps=$(printf '%s\n' "$kt" | sed -n 's/^[[:space:]]*SHA1: //p' | tr -d ':' | tr '\n' ' ')
	assert_eq "$fps" "$leaf_fp $ca_fp " "keytool $name: the chain is the leaf, then the CA"
	keytool -certreq -alias "$host" -storetype PKCS12 -keystore "$pfx" -storepass:file "$pwfile" \
		-file "$T/kt-$name.csr" >"$T/kt.err" 2>&1 || { cat "$T/kt.err" >&2; fail "keytool $name: cannot use the key"; }
	openssl req -in "$T/kt-$name.csr" -verify -noout 2>/dev/null || fail "keytool $name: CSR signature"
	assert_eq "$(openssl req -in "$T/kt-$name.csr" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)" \
		"$pub" "keytool $name: the key in the PFX is the leaf's key"
	ok "keytool reads the $name PFX"

	# --- NSS: import into a new database, then one key, paired with the leaf.
	db="sql:$T/nss-$name"
	mkdir "$T/nss-$name"
	certutil -N --empty-password -d "$db" || fail "certutil -N"
	nss=$(pk12util -i "$pfx" -d "$db" -w "$pwfile" 2>&1) || { echo "$nss" >&2; fail "pk12util cannot import the $name PFX"; }
	assert_contains "$nss" "PKCS12 IMPORT SUCCESSFUL" "pk12util $name"
	certs=$(certutil -L -d "$db" | tail -n +5)
	assert_eq "$(printf '%s\n' "$certs" | grep -c .)" "2" "NSS $name: two certificates"
	assert_match "$certs" "^$host +u,u,u\$" "NSS $name: the leaf, with its key (u)"
	assert_match "$certs" "^Interop Mail CA( - Test Org)? +,," "NSS $name: the CA"
	keys=$(certutil -K -d "$db" 2>&1 | grep '^<')
	assert_eq "$(printf '%s\n' "$keys" | grep -c .)" "1" "NSS $name: one key"
	assert_match "$keys" " $host\$" "NSS $name: the key belongs to the leaf"
	list=$(pk12util -l "$pfx" -w "$pwfile" 2>&1)
	assert_contains "$list" "Certificate(has private key):" "pk12util $name: leaf paired with the key (localKeyID)"
	assert_eq "$(printf '%s\n' "$list" | grep -c "Friendly Name: $host")" "2" "pk12util $name: friendlyName on key and leaf"
	certutil -R -k "$host" -s "CN=nss-probe" -d "$db" -a -o "$T/nss-$name.csr" >/dev/null 2>&1 ||
		fail "NSS $name: cannot sign with the imported key"
	assert_eq "$(openssl req -in "$T/nss-$name.csr" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)" \
		"$pub" "NSS $name: the imported key is the leaf's key"
	ok "NSS pk12util reads the $name PFX"

	# --- GnuTLS: the bags, then the shrouded key decrypted with certtool.
	gt=$(certtool --p12-info --inder --infile "$pfx" --password "$pw" 2>&1) ||
		{ echo "$gt" >&2; fail "certtool cannot read the $name PFX"; }
	assert_eq "$(printf '%s\n' "$gt" | grep -c 'Type: Certificate')" "2" "certtool $name: two certificates"
	assert_eq "$(printf '%s\n' "$gt" | grep -c 'Type: PKCS #8 Encrypted key')" "1" "certtool $name: one key"
	assert_eq "$(printf '%s\n' "$gt" | grep -c "Friendly name: $host")" "2" "certtool $name: friendlyName on key and leaf"
	ids=$(printf '%s\n' "$gt" | sed -n 's/^[[:space:]]*Key ID: //p' | sort -u)
	assert_eq "$(printf '%s\n' "$gt" | grep -c 'Key ID: ')" "2" "certtool $name: two localKeyIDs"
	assert_eq "$(printf '%s\n' "$ids" | wc -l)" "1" "certtool $name: key and leaf share one localKeyID"
	printf '%s\n' "$gt" | sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' > "$T/gt-$name.pem"
	assert_eq "$(openssl crl2pkcs7 -nocrl -certfile "$T/gt-$name.pem" | openssl pkcs7 -print_certs -noout | grep -c '^subject')" "2" "certtool $name: PEM certificates"
	assert_eq "$(leaf_fp "$T/gt-$name.pem")" "$leaf_fp" "certtool $name: first certificate is the leaf"
	case "$name" in
	modern)
		assert_contains "$gt" "Cipher: AES-256-CBC" "certtool modern: AES-256"
		assert_contains "$gt" "MAC: SHA256" "certtool modern: SHA-256 MAC" ;;
	*)
		assert_contains "$gt" "Schema: PKCS12-3DES-SHA1" "certtool $name: 3DES"
		assert_contains "$gt" "MAC: SHA1" "certtool $name: SHA-1 MAC" ;;
	esac
	printf '%s\n' "$gt" | sed -n '/BEGIN ENCRYPTED PRIVATE KEY/,/END ENCRYPTED PRIVATE KEY/p' > "$T/gt-$name.key"
	keyinfo=$(certtool --key-info --pkcs8 --password "$pw" --infile "$T/gt-$name.key" 2>&1) ||
		{ echo "$keyinfo" >&2; fail "certtool $name: cannot decrypt the key"; }
	kid=$(printf '%s\n' "$keyinfo" | grep -A1 '^Public Key ID:' | sed -n 's/^[[:space:]]*sha256://p')
	cid=$(certtool -i --infile "$leaf" | grep -A3 'Public Key ID:' | sed -n 's/^[[:space:]]*sha256://p')
	[ -n "$kid" ] || fail "certtool $name: no public key ID for the decrypted key"
	assert_eq "$kid" "$cid" "certtool $name: the decrypted key is the leaf's key"
	ok "GnuTLS certtool reads the $name PFX"
done

# A wrong password is refused by every reader (legacy and modern).
for name in legacy modern; do
	keytool -list -storetype PKCS12 -keystore "$T/$name.pfx" -storepass "wrong-password" >"$T/w.out" 2>&1 &&
		fail "keytool accepted a wrong password ($name)"
	assert_contains "$(cat "$T/w.out")" "password was incorrect" "keytool wrong password ($name)"
	mkdir "$T/nss-wrong-$name"
	certutil -N --empty-password -d "sql:$T/nss-wrong-$name" || fail "certutil -N"
	pk12util -i "$T/$name.pfx" -d "sql:$T/nss-wrong-$name" -W "wrong-password" >"$T/w.out" 2>&1 &&
		fail "pk12util accepted a wrong password ($name)"
	assert_contains "$(cat "$T/w.out")" "SEC_ERROR_BAD_PASSWORD" "pk12util wrong password ($name)"
	certtool --p12-info --inder --infile "$T/$name.pfx" --password "wrong-password" >/dev/null 2>&1 &&
		fail "certtool accepted a wrong password ($name)"
done
ok "wrong passwords are refused"

finish

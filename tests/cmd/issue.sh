# issue: the leaf verifies with OpenSSL, carries exactly the template's
# extensions, the right names and key identifiers; list/show/export agree.
. "$(dirname "$0")/../lib.sh"

make_ca --domain corp.example
run --pass-file "$PASS" issue --host mail-hub1 --out "$T"
assert_rc 0 "issue mail-hub1"
for f in crt key chain.pem pfx pfx-password; do
	[ -s "$T/mail-hub1.$f" ] || fail "mail-hub1.$f was not written"
done
assert_file_mode "$T/mail-hub1.key" 600
assert_file_mode "$T/mail-hub1.pfx" 600
assert_file_mode "$T/mail-hub1.pfx-password" 600
assert_file_mode "$T/mail-hub1.crt" 644
ok "files and modes"

for purpose in sslserver sslclient; do
	v=$(openssl verify -x509_strict -purpose $purpose -CAfile "$T/ca.pem" "$T/mail-hub1.crt" 2>&1)
	assert_eq "$v" "$T/mail-hub1.crt: OK" "openssl verify -purpose $purpose"
done
v=$(openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca.pem" -untrusted "$T/mail-hub1.chain.pem" "$T/mail-hub1.chain.pem" 2>&1)
assert_contains "$v" "OK" "chain file verifies"
ok "openssl verify"

for h in mail-hub1 mail-hub1.corp.example; do
	c=$(openssl x509 -in "$T/mail-hub1.crt" -noout -checkhost "$h")
	assert_contains "$c" "does match certificate" "checkhost $h"
done
c=$(openssl x509 -in "$T/mail-hub1.crt" -noout -checkhost mail-hub2.corp.example)
assert_contains "$c" "does NOT match" "checkhost of another host"
ok "checkhost"

# The printed thumbprint is the SHA-1 fingerprint without colons.
printed=$(printf '%s\n' "$out" | awk '$1 == "thumbprint" {print $2}')
actual=$(openssl x509 -in "$T/mail-hub1.crt" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
assert_eq "$printed" "$actual" "thumbprint"
serial=$(printf '%s\n' "$out" | awk '$1 == "serial" {print $2}')
oserial=$(openssl x509 -in "$T/mail-hub1.crt" -noout -serial | cut -d= -f2)
assert_match "$serial" '^[0-9A-F]{32}$' "serial format"
case "$serial" in *"$oserial") ;; *) fail "serial $serial != openssl's $oserial" ;; esac
ok "thumbprint and serial"

# Exactly the template's extensions, plus SAN, SKI and AKI.
exts=$(openssl x509 -in "$T/mail-hub1.crt" -noout -text | grep -E '^ {12}X509v3 ' | sed 's/^ *//')
expected="X509v3 Basic Constraints: critical
X509v3 Key Usage: critical
X509v3 Extended Key Usage: 
X509v3 Subject Alternative Name: 
X509v3 Subject Key Identifier: 
X509v3 Authority Key Identifier: "
assert_eq "$exts" "$expected" "extension list"
bc=$(openssl x509 -in "$T/mail-hub1.crt" -noout -ext basicConstraints | tail -n +2 | tr -d ' ')
assert_eq "$bc" "CA:FALSE" "basicConstraints"
ku=$(openssl x509 -in "$T/mail-hub1.crt" -noout -ext keyUsage | tail -n +2 | sed 's/^ *//')
assert_eq "$ku" "Digital Signature, Key Encipherment" "keyUsage"
eku=$(openssl x509 -in "$T/mail-hub1.crt" -noout -ext extendedKeyUsage | tail -n +2 | sed 's/^ *//')
assert_eq "$eku" "TLS Web Server Authentication, TLS Web Client Authentication" "extendedKeyUsage"
san=$(openssl x509 -in "$T/mail-hub1.crt" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')
assert_eq "$san" "DNS:mail-hub1, DNS:mail-hub1.corp.example" "subjectAltName"
subj=$(openssl x509 -in "$T/mail-hub1.crt" -noout -subject -nameopt RFC2253)
assert_eq "$subj" "subject=CN=mail-hub1" "subject"
ok "extensions"

# AKI: key identifier only, equal to the CA's SKI; no issuer name or serial.
aki=$(openssl x509 -in "$T/mail-hub1.crt" -noout -ext authorityKeyIdentifier | tail -n +2 | sed 's/^ *//')
ski=$(openssl x509 -in "$T/ca.pem" -noout -ext subjectKeyIdentifier | tail -n +2 | sed 's/^ *//')
assert_match "$ski" '^([0-9A-F]{2}:){19}[0-9A-F]{2}$' "CA SKI"
assert_eq "$aki" "$ski" "leaf AKI = CA SKI, key identifier only"
assert_not_contains "$(openssl x509 -in "$T/mail-hub1.crt" -noout -text)" "DirName" "AKI issuer name"
ok "key identifiers"

# The key file matches the certificate, and is PKCS#8.
head -1 "$T/mail-hub1.key" | grep -q 'BEGIN PRIVATE KEY' || fail "key is not PEM PKCS#8"
a=$(openssl pkey -in "$T/mail-hub1.key" -pubout | sha256sum)
b=$(openssl x509 -in "$T/mail-hub1.crt" -noout -pubkey | sha256sum)
assert_eq "$a" "$b" "key matches certificate"
bits=$(openssl x509 -in "$T/mail-hub1.crt" -noout -text | grep -o 'Public-Key: (2048 bit)')
assert_eq "$bits" "Public-Key: (2048 bit)" "smtp-transport key is RSA-2048"
days=$(( ( $(date -d "$(openssl x509 -in "$T/mail-hub1.crt" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s) ) / 86400 ))
[ "$days" -ge 1824 ] && [ "$days" -le 1825 ] || fail "smtp-transport validity is $days days, not 1825"
ok "key and validity"

# The CA certificate: self-signed, critical CA:TRUE pathlen:0, critical keyCertSign+cRLSign.
v=$(openssl verify -x509_strict -CAfile "$T/ca.pem" "$T/ca.pem")
assert_eq "$v" "$T/ca.pem: OK" "CA is self-signed"
bc=$(openssl x509 -in "$T/ca.pem" -noout -ext basicConstraints | tr -d '\n' | sed 's/  */ /g')
assert_eq "$bc" "X509v3 Basic Constraints: critical CA:TRUE, pathlen:0" "CA basicConstraints"
ku=$(openssl x509 -in "$T/ca.pem" -noout -ext keyUsage | tr -d '\n' | sed 's/  */ /g')
assert_eq "$ku" "X509v3 Key Usage: critical Certificate Sign, CRL Sign" "CA keyUsage"
ok "CA certificate"

# list, show, JSON
run list
assert_rc 0 list
assert_contains "$out" "$serial" "list shows the serial"
assert_match "$out" "$serial +valid +[0-9-]+ [0-9:]+ UTC +182[45] +smtp-transport +mail-hub1, mail-hub1.corp.example" "list line"
run --json list
assert_rc 0 "list --json"
assert_eq "$(printf '%s' "$out" | jq -r '.[0].serial')" "$serial" "json serial"
assert_eq "$(printf '%s' "$out" | jq -r '.[0].names | join(",")')" "mail-hub1,mail-hub1.corp.example" "json names"
assert_eq "$(printf '%s' "$out" | jq -r '.[0].status')" "valid" "json status"
run show "$serial"
assert_rc 0 show
assert_contains "$out" "thumbprint    $actual" "show thumbprint"
assert_contains "$out" "kept in the store (encrypted)" "show key kept"
run --json show --host mail-hub1.corp.example --pem
assert_rc 0 "show --host --json"
assert_eq "$(printf '%s' "$out" | jq -r '.[0].thumbprint')" "$actual" "show json thumbprint"
printf '%s' "$out" | jq -r '.[0].pem' | openssl x509 -noout 2>/dev/null || fail "show --pem json has no certificate"
run --json ca show
assert_eq "$(printf '%s' "$out" | jq -r '.certificates')" "1" "ca show counts records"
assert_eq "$(printf '%s' "$out" | jq -r '.domain')" "corp.example" "ca show domain"
ok "list, show, ca show"

# Two certificates for one host may coexist (rollover overlap).
mkdir "$T/second"
run --pass-file "$PASS" --json issue --host mail-hub1 --key ec:P-256 --days 1826 --out "$T/second"
assert_rc 0 "second certificate for mail-hub1"
serial2=$(printf '%s' "$out" | jq -r .serial)
run list --host mail-hub1
assert_eq "$(printf '%s\n' "$out" | grep -c ' valid ')" "2" "two valid certificates for one host"
ok "rollover overlap"

# export: PEM files identical to the originals; the key comes back decrypted.
mkdir "$T/exp"
run --pass-file "$PASS" export --serial "$serial" --pem "$T/exp"
assert_rc 0 "export --pem"
cmp -s "$T/exp/mail-hub1.crt" "$T/mail-hub1.crt" || fail "exported certificate differs"
a=$(openssl pkey -in "$T/exp/mail-hub1.key" -pubout | sha256sum)
b=$(openssl pkey -in "$T/mail-hub1.key" -pubout | sha256sum)
assert_eq "$a" "$b" "exported key is the issued key"
run --pass-file "$PASS" export --host mail-hub1 --pfx "$T/exp/latest.pfx"
assert_rc 0 "export --host picks the one that expires last"
openssl pkcs12 -in "$T/exp/latest.pfx" -passin file:"$T/exp/latest.pfx-password" -nokeys -clcerts 2>/dev/null |
	openssl x509 -noout -serial | grep -q "$(printf '%s' "$serial2" | sed 's/^0*//')" || fail "export --host did not pick the newest certificate"
ok "export"

# IP literals become iPAddress SANs; several hosts; explicit --days.
run --pass-file "$PASS" issue --host mail-edge1.corp.example --host 192.0.2.25 --host 2001:db8::25 --days 30 --no-pfx --out "$T"
assert_rc 0 "issue with IP addresses"
san=$(openssl x509 -in "$T/mail-edge1.corp.example.crt" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')
assert_eq "$san" "DNS:mail-edge1.corp.example, IP Address:192.0.2.25, IP Address:2001:DB8:0:0:0:0:0:25" "IP SANs"
[ ! -e "$T/mail-edge1.corp.example.pfx" ] || fail "--no-pfx wrote a PFX"
c=$(openssl x509 -in "$T/mail-edge1.corp.example.crt" -noout -checkip 192.0.2.25)
assert_contains "$c" "does match" "checkip"
days=$(( ( $(date -d "$(openssl x509 -in "$T/mail-edge1.corp.example.crt" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s) ) / 86400 ))
[ "$days" -ge 29 ] && [ "$days" -le 30 ] || fail "--days 30 gave $days days"
ok "IP SANs and --days"

# Name constraints: a short name becomes its qualified name, and verifies.
S2="$T/constrained"
run --store "$S2" --pass-file "$PASS" init --name "Constrained CA" --key ec:P-256 --domain corp.example --permit-dns corp.example
assert_rc 0 "init --permit-dns"
nc=$(openssl x509 -in /dev/stdin -noout -ext nameConstraints <<EOF2
$("$MINICA" --store "$S2" ca export)
EOF2
)
assert_contains "$nc" "critical" "nameConstraints critical"
assert_contains "$nc" "DNS:corp.example" "nameConstraints permitted"
"$MINICA" --store "$S2" ca export > "$T/ca2.pem"
mkdir "$T/nc"
run --store "$S2" --pass-file "$PASS" issue --host mail-hub1 --out "$T/nc"
assert_rc 0 "issue under name constraints"
assert_contains "$err" "issued as mail-hub1.corp.example" "note about the qualified name"
v=$(openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca2.pem" "$T/nc/mail-hub1.corp.example.crt" 2>&1)
assert_contains "$v" ": OK" "verify under name constraints"
san=$(openssl x509 -in "$T/nc/mail-hub1.corp.example.crt" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')
assert_eq "$san" "DNS:mail-hub1.corp.example" "only the qualified name"
ok "name constraints"

# The default CA key is RSA-4096 and the default validity 20 years.
S3="$T/default"
run --store "$S3" --pass-file "$PASS" init --name "Default CA"
assert_rc 0 "init with defaults"
"$MINICA" --store "$S3" ca export > "$T/ca3.pem"
openssl x509 -in "$T/ca3.pem" -noout -text | grep -q 'Public-Key: (4096 bit)' || fail "default CA key is not RSA-4096"
years=$(( ( $(date -d "$(openssl x509 -in "$T/ca3.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s) ) / 86400 / 365 ))
assert_eq "$years" "20" "default CA validity in years"
ok "CA defaults"
finish

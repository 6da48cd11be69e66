# inventory with a store: certificates this CA issued are recognised by thumbprint;
# --issue replaces every SMTP certificate that is self-signed, expired or expiring
# (invalid names reported and skipped) and prints a runbook for each.
. "$(dirname "$0")/../lib.sh"

make_ca --domain corp.example
run --pass-file "$PASS" issue --host mail-hub1 --key ec:P-256 --out "$T"
assert_rc 0 "issue mail-hub1"
serial=$(printf '%s\n' "$out" | awk '$1 == "serial" {print $2}')
thumb=$(openssl x509 -in "$T/mail-hub1.crt" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
# its dates as an en-US server prints them
us_date() { date -u -d "$(openssl x509 -in "$T/mail-hub1.crt" -noout "$1" | cut -d= -f2)" '+%-m/%-d/%Y %-I:%M:%S %p'; }
na_us=$(us_date -enddate)
nb_us=$(us_date -startdate)

# Windows PowerShell's '>' writes UTF-16LE with a BOM and CRLF line ends.
utf16() { { printf '\377\376'; sed 's/$/\r/' | iconv -f UTF-8 -t UTF-16LE; } > "$1"; }
utf16 "$T/servers.txt" <<EOF
[PS] C:\>Get-ExchangeCertificate | fl

CertificateDomains : {mail-hub1, mail-hub1.corp.example}
IsSelfSigned       : False
Issuer             : CN=Test Mail CA, O=Test Org
NotAfter           : $na_us
NotBefore          : $nb_us
Services           : IIS, SMTP
Subject            : CN=mail-hub1
Thumbprint         : $thumb

CertificateDomains : {mail-edge1, mail-edge1.corp.example, mail_edge1.corp.example}
IsSelfSigned       : True
Issuer             : CN=mail-edge1
NotAfter           : 3/2/2011 9:15:02 AM
NotBefore          : 3/2/2010 9:15:02 AM
Services           : SMTP
Subject            : CN=mail-edge1
Thumbprint         : 3F1A6C0D5E2B4A7798C1D0E9F2A3B4C5D6E7F809

CertificateDomains : {owa.corp.example}
IsSelfSigned       : False
Issuer             : CN=Some Public CA
NotAfter           : 12/31/2099 11:59:59 PM
NotBefore          : 1/1/2025 12:00:00 AM
Services           : IIS
Subject            : CN=owa.corp.example
Thumbprint         : 0A1B2C3D4E5F60718293A4B5C6D7E8F901234567
EOF

# Recognised by thumbprint, read-only: no passphrase needed, the store unchanged.
before=$(store_digest)
run --json inventory "$T/servers.txt" --date-order mdy
assert_rc 0 "inventory with a store"
assert_eq "$(printf '%s\n' "$out" | jq -r '[.certificates[].minica_serial] | map(. // "-") | join(" ")')" \
	"$serial - -" "issued by minica"
assert_eq "$(printf '%s\n' "$out" | jq -r .store)" "$MINICA_STORE" "store"
assert_eq "$(printf '%s\n' "$out" | jq -r '[.certificates[].verdict] | join(" ")')" "OK EXPIRED OK" "verdicts"
assert_eq "$(printf '%s\n' "$out" | jq -r '.certificates[0].not_after')" \
	"$(date -u -d "$(openssl x509 -in "$T/mail-hub1.crt" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%S)" \
	"NotAfter as openssl reads it"
run inventory "$T/servers.txt" --date-order mdy
assert_contains "$out" "  minica         issued by this CA (serial $serial)"
assert_not_contains "$out" "no minica store"
assert_eq "$(store_digest)" "$before" "inventory changed the store"
ok "recognised by thumbprint"

# --issue: only mail-edge1 qualifies (SMTP, self-signed, expired); its invalid name is
# reported and left out; the runbook names the new certificate and the one it replaces.
mkdir "$T/new"
run --pass-file "$PASS" inventory "$T/servers.txt" --date-order mdy --issue --out "$T/new" \
	--exchange 2010
assert_rc 0 "--issue"
assert_eq "$err" "minica: host name 'mail_edge1.corp.example': '_' is not allowed in host names (RFC 1123: letters, digits, '-' and '.')" \
	"the invalid name is reported"
for f in crt key chain.pem pfx pfx-password; do
	[ -s "$T/new/mail-edge1.$f" ] || fail "mail-edge1.$f was not written"
done
[ ! -e "$T/new/mail-hub1.crt" ] && [ ! -e "$T/new/owa.corp.example.crt" ] || fail "issued for a certificate that needs nothing"
v=$(openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca.pem" "$T/new/mail-edge1.crt" 2>&1)
assert_eq "$v" "$T/new/mail-edge1.crt: OK" "openssl verify"
san=$(openssl x509 -in "$T/new/mail-edge1.crt" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')
assert_eq "$san" "DNS:mail-edge1, DNS:mail-edge1.corp.example" "names of the replacement"
openssl pkcs12 -in "$T/new/mail-edge1.pfx" -passin "file:$T/new/mail-edge1.pfx-password" -noout \
	2>/dev/null || fail "the PFX does not open with its password"
new=$(openssl x509 -in "$T/new/mail-edge1.crt" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
assert_contains "$out" "Replacing 3F1A6C0D5E2B4A7798C1D0E9F2A3B4C5D6E7F809 (line 12, EXPIRED): Edge Transport server (its Services are SMTP only; --role hub says otherwise)
Issued mail-edge1 (template smtp-transport)"
# the role is the certificate's own: an Edge (SMTP only) gets the EdgeSync steps
assert_contains "$out" "Install the certificate of mail-edge1 on an Exchange 2010 Edge Transport server"
assert_contains "$out" "      Import-ExchangeCertificate -FileData ([Byte[]]\$(Get-Content -Path C:\\mail-edge1.pfx -Encoding Byte -ReadCount 0)) -Password (Get-Credential).Password"
assert_contains "$out" "      Enable-ExchangeCertificate -Thumbprint $new -Services SMTP"
assert_contains "$out" "      Remove-ExchangeCertificate -Thumbprint 3F1A6C0D5E2B4A7798C1D0E9F2A3B4C5D6E7F809"
assert_not_contains "$out" "# Exchange 2007:" "no install hints of 'issue' besides the runbook"
assert_contains "$out" "1 certificate issued"
run list --host mail-edge1
assert_eq "$(printf '%s\n' "$out" | grep -c mail-edge1)" 1 "one record for mail-edge1"
ok "--issue"

# A second file: two certificates to replace, both with valid names only.
utf16 "$T/two.txt" <<'EOF'
CertificateDomains : {mail-edge2, mail-edge2.corp.example}
IsSelfSigned       : True
Issuer             : CN=mail-edge2
NotAfter           : 2008-12-13 14:01:11
Services           : SMTP
Subject            : CN=mail-edge2
Thumbprint         : 1111111111111111111111111111111111111111

CertificateDomains : {mail-hub3.corp.example}
IsSelfSigned       : False
Issuer             : CN=Old CA
NotAfter           : 2008-12-20 10:00:00
Services           : SMTP
Subject            : CN=mail-hub3.corp.example
Thumbprint         : 2222222222222222222222222222222222222222
EOF
# bad paths first: each one line, the store unchanged
expect_error 64 "CA passphrase is needed" inventory "$T/two.txt" --issue --out "$T"
printf 'wrong passphrase\n' > "$T/wrong"
chmod 600 "$T/wrong"
expect_error 77 "wrong CA passphrase" --pass-file "$T/wrong" inventory "$T/two.txt" --issue --out "$T"
expect_error 73 "output directory $T/absent" --pass-file "$PASS" inventory "$T/two.txt" --issue \
	--out "$T/absent"
expect_error 66 "template 'nosuch'" --pass-file "$PASS" inventory "$T/two.txt" --issue \
	--template nosuch
touch "$T/mail-edge2.crt"
expect_error 73 "mail-edge2.crt already exists" --pass-file "$PASS" inventory "$T/two.txt" \
	--issue --out "$T"
rm "$T/mail-edge2.crt"

# --json, Edge runbooks for 2013: the issued certificates and their runbooks
mkdir "$T/two"
run --pass-file "$PASS" --json inventory "$T/two.txt" --issue --out "$T/two" --role edge \
	--exchange 2013 --site Berlin
assert_rc 0 "--issue --json"
assert_eq "$(printf '%s\n' "$out" | jq -r '[.issued[].names[0]] | join(" ")')" \
	"mail-edge2 mail-hub3.corp.example" "issued"
for i in 0 1; do
	crt=$(printf '%s\n' "$out" | jq -r ".issued[$i].files.crt")
	t=$(openssl x509 -in "$crt" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
	assert_eq "$(printf '%s\n' "$out" | jq -r ".issued[$i].thumbprint, .runbooks[$i].thumbprint" | sort -u)" \
		"$t" "runbook $i names the issued certificate"
	cmds=$(printf '%s\n' "$out" | jq -r ".runbooks[$i].steps[].commands[]")
	assert_contains "$cmds" "Enable-ExchangeCertificate -Thumbprint $t -Services SMTP"
	assert_contains "$cmds" "New-EdgeSubscription -FileData ([System.IO.File]::ReadAllBytes('C:\\edgesub.xml')) -Site \"Berlin\""
done
assert_eq "$(printf '%s\n' "$out" | jq -r '.runbooks[0].steps[-1].commands[0]')" \
	"Remove-ExchangeCertificate -Thumbprint 1111111111111111111111111111111111111111" "replaced"
assert_eq "$(printf '%s\n' "$out" | jq -r '.runbooks[1].pfx')" "mail-hub3.corp.example.pfx" "pfx name"
assert_eq "$(printf '%s\n' "$out" | jq -r '[.certificates[].verdict] | join(" ")')" "EXPIRED EXPIRED" "verdicts"
ok "--issue --json --role edge"

# Nothing to replace: no passphrase asked, nothing written.
utf16 "$T/fine.txt" <<'EOF'
CertificateDomains : {owa.corp.example}
IsSelfSigned       : False
Issuer             : CN=Some Public CA
NotAfter           : 2099-12-31 23:59:59
Services           : IIS, SMTP
Subject            : CN=owa.corp.example
Thumbprint         : 0A1B2C3D4E5F60718293A4B5C6D7E8F901234567
EOF
before=$(store_digest)
run inventory "$T/fine.txt" --issue --out "$T/absent"
assert_rc 0 "nothing to replace"
assert_eq "$err" "minica: nothing to replace: no certificate serves SMTP and is self-signed, expired or expiring" "notice"
assert_eq "$(store_digest)" "$before" "store unchanged"
ok "nothing to replace"
finish

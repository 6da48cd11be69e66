# inventory: the same three certificates as Get-ExchangeCertificate | fl, | ft, | Export-Csv,
# | ConvertTo-Json, Get-ChildItem Cert:\LocalMachine\My | fl * and certutil -store My
# (in UTF-8 and UTF-16, with and without a BOM), and the | fl output as it comes back
# from a browser and a mail reply (no-break spaces, "> " quotes, rewrapped at 72
# columns, CRLF mixed with LF): every one gives the same verdicts, the same
# replacement commands and the same --issue. Then what is not a certificate, and a
# block cut short. The fixtures are written here.
. "$(dirname "$0")/../lib.sh"

# H1 expires in 12 days (EXPIRING), self-signed, SMTP; WEB is OK, IIS, issued by a CA;
# H2 expired, self-signed, SMTP, with 3/5/2008: ambiguous, decided by 12/13/2008 above it.
H1=C1A0000000000000000000000000000000000001
WEB=C1A0000000000000000000000000000000000002
H2=C1A0000000000000000000000000000000000003
CA_DN="CN=Corp Enterprise CA, DC=corp, DC=example"
WEB_DN="CN=webmail.corp.example, OU=Messaging, O=Corp Messaging Department, L=Springfield, C=US"

# enc FILE ENCODING BOM(yes|no) [crlf]: stdin as the file, the way Windows saves it
enc() {
	case $2 in
	UTF-16LE) bom='\377\376' ;;
	UTF-8) bom='\357\273\277' ;;
	esac
	{
		[ "$3" = yes ] && printf "$bom"
		if [ "${4:-}" = crlf ]; then sed 's/$/\r/'; else cat; fi | iconv -f UTF-8 -t "$2"
	} > "$1"
}

# fl_block THUMB NAME ISSUER NOTAFTER NOTBEFORE SELF SERIAL SERVICES SUBJECT
fl_block() {
	cat <<EOF
AccessRules        : {System.Security.AccessControl.CryptoKeyAccessRule, System.Security.AccessControl.CryptoKeyAccessRule}
CertificateDomains : {$2}
HasPrivateKey      : True
IsSelfSigned       : $6
Issuer             : $3
NotAfter           : $4
NotBefore          : $5
PublicKeySize      : 2048
RootCAType         : $([ "$6" = True ] && echo Registry || echo Enterprise)
SerialNumber       : $7
Services           : $8
Status             : Valid
Subject            : $9
Thumbprint         : $1

EOF
}
fl() {
	printf '%s\n\n\n' '[PS] C:\Windows\system32>Get-ExchangeCertificate | fl'
	fl_block $H1 mail-hub1.corp.example CN=mail-hub1.corp.example "12/13/2008 2:01:11 PM" \
		"12/13/2007 2:01:11 PM" True 1A2B3C01 "IMAP, POP, SMTP" CN=mail-hub1.corp.example
	fl_block $WEB webmail.corp.example "$CA_DN" "6/30/2010 11:59:59 PM" "7/1/2008 12:00:00 AM" \
		False 1A2B3C02 IIS "$WEB_DN"
	fl_block $H2 mail-hub2.corp.example CN=mail-hub2.corp.example "3/5/2008 8:30:00 AM" \
		"3/5/2007 8:30:00 AM" True 1A2B3C03 SMTP CN=mail-hub2.corp.example
	printf '\n%s\n' '[PS] C:\Windows\system32>'
}

fl | enc "$T/fl.txt" UTF-8 no

# Copied from a web page into a rich-text mail, replied to: the padding is no-break
# spaces (U+00A0, U+2007, U+202F, U+3000 and tabs here and there), a zero-width space and a
# BOM sit inside lines, every line is quoted, lines over 72 columns are wrapped,
# and every other line ends in CRLF.
fl | /usr/bin/python3 -c '
import sys
spaces = ["\u00a0", " ", "\u00a0", "\u2007", "\u202f", "\t", "\u3000"]
out = []
for n, line in enumerate(sys.stdin.read().split("\n")):
    if " : " in line:
        name, value = line.split(" : ", 1)
        pad = len(name) - len(name.rstrip(" "))
        name = name.rstrip(" ") + "".join(spaces[(n + i) % len(spaces)] for i in range(pad))
        line = name + "\u00a0: " + value
        if name.startswith("Issuer"):
            line = "\u200b" + line[:3] + "\ufeff" + line[3:]
    quote = "> " if n % 5 else ">> "
    while len(quote + line) > 72 and " " in line[: 72 - len(quote)]:
        cut = line.rfind(" ", 0, 72 - len(quote))
        out.append(quote + line[:cut])
        line = line[cut + 1 :]
    out.append(quote + line)
sys.stdout.write("On Monday, the admin wrote:\n")
for n, line in enumerate(out):
    sys.stdout.write(line + ("\r\n" if n % 2 else "\n"))
' | enc "$T/fl-mail.txt" UTF-8 no
grep -q "$(printf '\302\240')" "$T/fl-mail.txt" || fail "the mail copy has no no-break spaces"
[ "$(grep -c '^> ' "$T/fl-mail.txt")" -gt 40 ] || fail "the mail copy is not quoted"
[ "$(/usr/bin/python3 -c 'import sys; print(max(len(l.rstrip("\r\n")) for l in open(sys.argv[1], encoding="utf-8")))' "$T/fl-mail.txt")" -le 72 ] ||
	fail "the mail copy was not rewrapped"

enc "$T/ft.txt" UTF-16LE yes crlf <<EOF
[PS] C:\\Windows\\system32>Get-ExchangeCertificate | ft Thumbprint,Services,NotAfter,CertificateDomains,Subject -AutoSize

Thumbprint                               Services        NotAfter              CertificateDomains       Subject
----------                               --------        --------              ------------------       -------
$H1 IMAP, POP, SMTP 12/13/2008 2:01:11 PM {mail-hub1.corp.example} CN=mail-hub1.corp.example
$WEB IIS             6/30/2010 11:59:59 PM {webmail.corp.example}   CN=webmail.corp.example, OU=Messaging, O=Corp Messaging Department, L=Springfield, C=US
$H2 SMTP            3/5/2008 8:30:00 AM   {mail-hub2.corp.example} CN=mail-hub2.corp.example

EOF

enc "$T/csv.txt" UTF-8 no crlf <<EOF
#TYPE Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate
"AccessRules","CertificateDomains","HasPrivateKey","IsSelfSigned","Issuer","NotAfter","NotBefore","Services","Status","Subject","Thumbprint"
"System.Security.AccessControl.AuthorizationRuleCollection","{mail-hub1.corp.example}","True","True","CN=mail-hub1.corp.example","12/13/2008 2:01:11 PM","12/13/2007 2:01:11 PM","IMAP, POP, SMTP","Valid","CN=mail-hub1.corp.example","$H1"
"System.Security.AccessControl.AuthorizationRuleCollection","{webmail.corp.example}","True","False","$CA_DN","6/30/2010 11:59:59 PM","7/1/2008 12:00:00 AM","IIS","Valid","$WEB_DN","$WEB"
"System.Security.AccessControl.AuthorizationRuleCollection","{mail-hub2.corp.example}","True","True","CN=mail-hub2.corp.example","3/5/2008 8:30:00 AM","3/5/2007 8:30:00 AM","SMTP","Valid","CN=mail-hub2.corp.example","$H2"
EOF
# ConvertTo-Csv -NoTypeInformation -UseCulture on a de-DE server: ';', no #TYPE, unquoted
enc "$T/csv-de.txt" UTF-8 yes <<EOF
CertificateDomains;IsSelfSigned;Issuer;NotAfter;NotBefore;Services;Subject;Thumbprint
{mail-hub1.corp.example};True;CN=mail-hub1.corp.example;13.12.2008 14:01:11;13.12.2007 14:01:11;IMAP, POP, SMTP;CN=mail-hub1.corp.example;$H1
{webmail.corp.example};False;"$CA_DN";30.06.2010 23:59:59;01.07.2008 00:00:00;IIS;"$WEB_DN";$WEB
{mail-hub2.corp.example};True;CN=mail-hub2.corp.example;05.03.2008 08:30:00;05.03.2007 08:30:00;SMTP;CN=mail-hub2.corp.example;$H2
EOF

# Windows PowerShell 5.1: /Date(ms)/, Services as a number (IMAP 1, POP 2, IIS 8, SMTP 16),
# CertificateDomains as objects; PowerShell 7 writes ISO 8601 and may compress to one line.
enc "$T/json.txt" UTF-16LE yes crlf <<EOF
[
    {
        "CertificateDomains":  [
                                   {
                                       "Domain":  "mail-hub1.corp.example",
                                       "IncludeSubDomains":  false
                                   }
                               ],
        "IsSelfSigned":  true,
        "Issuer":  "CN=mail-hub1.corp.example",
        "NotAfter":  "\\/Date(1229176871000)\\/",
        "NotBefore":  "\\/Date(1197554471000)\\/",
        "Services":  19,
        "Subject":  "CN=mail-hub1.corp.example",
        "Thumbprint":  "$H1"
    },
    {
        "CertificateDomains":  [ "webmail.corp.example" ],
        "IsSelfSigned":  false,
        "Issuer":  "$CA_DN",
        "NotAfter":  "2010-06-30T23:59:59",
        "NotBefore":  "2008-07-01T00:00:00",
        "Services":  8,
        "Subject":  "$WEB_DN",
        "Thumbprint":  "$WEB"
    },
    {
        "CertificateDomains":  [ "mail-hub2.corp.example" ],
        "IsSelfSigned":  true,
        "Issuer":  "CN=mail-hub2.corp.example",
        "NotAfter":  "\\/Date(1204705800000)\\/",
        "NotBefore":  "\\/Date(1173083400000)\\/",
        "Services":  16,
        "Subject":  "CN=mail-hub2.corp.example",
        "Thumbprint":  "$H2"
    }
]
EOF
printf '%s\n' "PS /home/admin> Get-ExchangeCertificate | ConvertTo-Json -Compress" \
	"{\"Thumbprint\":\"$H1\",\"Services\":\"IMAP, POP, SMTP\",\"IsSelfSigned\":true,\"Subject\":\"CN=mail-hub1.corp.example\",\"Issuer\":\"CN=mail-hub1.corp.example\",\"NotAfter\":\"2008-12-13T14:01:11\",\"CertificateDomains\":[\"mail-hub1.corp.example\"]}" \
	> "$T/json-one.txt"

# A server without Exchange: Get-ChildItem Cert:\LocalMachine\My | fl * (no Services, DnsNameList)
gci_block() { # THUMB SUBJECT ISSUER NOTAFTER NOTBEFORE NAME SERIAL
	cat <<EOF
PSPath                   : Microsoft.PowerShell.Security\\Certificate::LocalMachine\\My\\$1
PSParentPath             : Microsoft.PowerShell.Security\\Certificate::LocalMachine\\My
PSChildName              : $1
PSDrive                  : Cert
PSProvider               : Microsoft.PowerShell.Security\\Certificate
PSIsContainer            : False
EnhancedKeyUsageList     : {Server Authentication (1.3.6.1.5.5.7.3.1)}
DnsNameList              : {$6}
SendAsTrustedIssuer      : False
Archived                 : False
Extensions               : {System.Security.Cryptography.Oid, System.Security.Cryptography.Oid}
FriendlyName             :
IssuerName               : System.Security.Cryptography.X509Certificates.X500DistinguishedName
NotAfter                 : $4
NotBefore                : $5
HasPrivateKey            : True
SerialNumber             : $7
SubjectName              : System.Security.Cryptography.X509Certificates.X500DistinguishedName
SignatureAlgorithm       : System.Security.Cryptography.Oid
Thumbprint               : $1
Version                  : 3
Issuer                   : $3
Subject                  : $2

EOF
}
{
	echo 'PS C:\Users\admin> Get-ChildItem Cert:\LocalMachine\My | fl *'
	echo
	gci_block $H1 CN=mail-hub1.corp.example CN=mail-hub1.corp.example "12/13/2008 2:01:11 PM" "12/13/2007 2:01:11 PM" mail-hub1.corp.example 1A2B3C01
	gci_block $WEB "$WEB_DN" "$CA_DN" "6/30/2010 11:59:59 PM" "7/1/2008 12:00:00 AM" webmail.corp.example 1A2B3C02
	gci_block $H2 CN=mail-hub2.corp.example CN=mail-hub2.corp.example "3/5/2008 8:30:00 AM" "3/5/2007 8:30:00 AM" mail-hub2.corp.example 1A2B3C03
} | enc "$T/gci.txt" UTF-8 yes crlf

spaced() { echo "$1" | tr 'A-F' 'a-f' | sed 's/../& /g; s/ $//'; }
# certutil in English (UTF-16LE without a BOM, as 'certutil ... > file' in PowerShell 5 may leave
# it after an editor), German and French; short times, no seconds
enc "$T/certutil.txt" UTF-16LE no crlf <<EOF
C:\\Users\\admin>certutil -store My
My "Personal"
================ Certificate 0 ================
Serial Number: 1a2b3c01
Issuer: CN=mail-hub1.corp.example
 NotBefore: 12/13/2007 2:01 PM
 NotAfter: 12/13/2008 2:01 PM
Subject: CN=mail-hub1.corp.example
Signature matches Public Key
Root Certificate: Subject matches Issuer
Cert Hash(sha1): $(spaced $H1)
  Key Container = 3f2a5c0e-mail-hub1
  Provider = Microsoft RSA SChannel Cryptographic Provider
Private key is NOT exportable
Encryption test passed
================ Certificate 1 ================
Serial Number: 1a2b3c02
Issuer: $CA_DN
 NotBefore: 7/1/2008 12:00 AM
 NotAfter: 6/30/2010 11:59 PM
Subject: $WEB_DN
Non-root Certificate
Template: WebServer, Web Server
Cert Hash(sha1): $(spaced $WEB)
================ Certificate 2 ================
Serial Number: 1a2b3c03
Issuer: CN=mail-hub2.corp.example
 NotBefore: 3/5/2007 8:30 AM
 NotAfter: 3/5/2008 8:30 AM
Subject: CN=mail-hub2.corp.example
Cert Hash(sha1): $(spaced $H2)
CertUtil: -store command completed successfully.
EOF
enc "$T/certutil-de.txt" UTF-8 no <<EOF
My "Eigene Zertifikate"
================ Zertifikat 0 ================
Seriennummer: 1a2b3c01
Aussteller: CN=mail-hub1.corp.example
 Nicht vor: 13.12.2007 14:01
 Nicht nach: 13.12.2008 14:01
Antragsteller: CN=mail-hub1.corp.example
Zertifikathash(sha1): $(spaced $H1)
================ Zertifikat 1 ================
Seriennummer: 1a2b3c02
Aussteller: $CA_DN
 Nicht vor: 01.07.2008 00:00
 Nicht nach: 30.06.2010 23:59
Antragsteller: $WEB_DN
Zertifikathash(sha1): $WEB
================ Zertifikat 2 ================
Seriennummer: 1a2b3c03
Aussteller: CN=mail-hub2.corp.example
 Nicht vor: 05.03.2007 08:30
 Nicht nach: 05.03.2008 08:30
Antragsteller: CN=mail-hub2.corp.example
Zertifikathash(sha1): $(echo $H2 | tr 'A-F' 'a-f')
CertUtil: -store-Befehl wurde erfolgreich ausgeführt.
EOF
nb=$(printf '\302\240')
enc "$T/certutil-fr.txt" UTF-16LE yes crlf <<EOF
My "Personnel"
================ Certificat 0 ================
Numéro de série${nb}: 1a2b3c01
Émetteur: CN=mail-hub1.corp.example
 NotBefore${nb}: 13/12/2007 14:01
 NotAfter${nb}: 13/12/2008 14:01
Objet: CN=mail-hub1.corp.example
Hach. cert. (sha1)${nb}: $(spaced $H1)
================ Certificat 1 ================
Numéro de série${nb}: 1a2b3c02
Émetteur: $CA_DN
 NotBefore${nb}: 01/07/2008 00:00
 NotAfter${nb}: 30/06/2010 23:59
Objet: $WEB_DN
Hach. cert. (sha1)${nb}: $(spaced $WEB)
================ Certificat 2 ================
Numéro de série${nb}: 1a2b3c03
Émetteur: CN=mail-hub2.corp.example
 NotBefore${nb}: 05/03/2007 08:30
 NotAfter${nb}: 05/03/2008 08:30
Objet: CN=mail-hub2.corp.example
Hach. cert. (sha1)${nb}: $(spaced $H2)
CertUtil: -store La commande s’est terminée correctement.
EOF

export MINICA_STORE="$T/no-store"
# what every format must agree on
verdicts() {
	printf '%s\n' "$out" | jq -c '[.certificates[] | [.thumbprint, .verdict, .needs_replacement, .replacement.command]]'
}
run --json inventory "$T/fl.txt" --at 2008-12-01
assert_rc 0 "fl"
want=$(verdicts)
assert_eq "$want" "[[\"$H1\",\"EXPIRING\",true,\"minica issue --host mail-hub1.corp.example\"],[\"$WEB\",\"OK\",false,\"minica issue --host webmail.corp.example\"],[\"$H2\",\"EXPIRED\",true,\"minica issue --host mail-hub2.corp.example\"]]" \
	"fl: verdicts and replacements"
assert_eq "$(printf '%s\n' "$out" | jq -c '.certificates[2].date_order | [.order, .how, .evidence_line]')" \
	'["mdy","console",9]' "fl: 3/5/2008 read as 12/13/2008 on line 9 shows"
assert_eq "$err" "" "fl: nothing to report"
want_dates=$(printf '%s\n' "$out" | jq -c '[.certificates[] | [.not_after, .not_before, .days_left, .subject, .issuer, .domains, .self_signed]]')
ok "fl"

# The browser-and-mail copy: exactly the clean original's certificates, dates and verdicts.
run --json inventory "$T/fl-mail.txt" --at 2008-12-01
assert_rc 0 "fl-mail"
assert_eq "$(verdicts)" "$want" "fl-mail: verdicts and replacements"
assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[] | [.not_after, .not_before, .days_left, .subject, .issuer, .domains, .self_signed]]')" \
	"$want_dates" "fl-mail: dates, names"
assert_contains "$err" "(a mail client wrapped the line)"
ok "fl copied through a browser and a mail reply"

for f in ft csv csv-de json gci certutil certutil-de certutil-fr; do
	run --json inventory "$T/$f.txt" --at 2008-12-01
	assert_rc 0 "$f"
	assert_eq "$(verdicts)" "$want" "$f: verdicts and replacements"
	ok "$f"
done
for f in ft csv json certutil; do
	run --json inventory "$T/$f.txt" --at 2008-12-01
	assert_eq "$(printf '%s\n' "$out" | jq -r '[.certificates[].format] | unique | join(" ")')" "$f" "$f: format"
done
# Indented as a whole (a web page's code block, a mail that quotes with spaces): the indent
# common to a block is no meaning, every format reads as unindented.
for f in fl ft csv csv-de json json-one gci certutil certutil-de certutil-fr; do
	run --json inventory "$T/$f.txt" --at 2008-12-01
	plain=$(printf '%s\n' "$out" | jq -c .certificates)
	for pad in 1 4; do
		/usr/bin/python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-16") if data[:2] == b"\xff\xfe" or b"\0" in data[:8] else data.decode("utf-8-sig")
pad = " " * int(sys.argv[3])
open(sys.argv[2], "w", encoding="utf-8").write("".join(pad + l if l.strip() else l for l in text.splitlines(True)))
' "$T/$f.txt" "$T/$f-indented.txt" $pad || fail "indent $f"
		run --json inventory "$T/$f-indented.txt" --at 2008-12-01
		assert_rc 0 "$f indented by $pad"
		assert_eq "$(printf '%s\n' "$out" | jq -c .certificates)" "$plain" \
			"$f indented by $pad: the same certificates"
	done
done
ok "every format indented as a whole"

run --json inventory "$T/gci.txt" --at 2008-12-01
assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[] | [.format, .services_known, .serial_number, .domains]] | .[0]')" \
	'["fl",false,"1A2B3C01",["mail-hub1.corp.example"]]' "gci: no services, names from DnsNameList"
run --json inventory "$T/certutil.txt" --at 2008-12-01
assert_eq "$(printf '%s\n' "$out" | jq -r '.encoding, .certificates[0].not_after, .certificates[2].date_order.how')" \
	"UTF-16LE
2008-12-13T14:01:00
console" "certutil: UTF-16 without a BOM, short times, the order from the console output"
run --json inventory "$T/json-one.txt" --at 2008-12-01
assert_eq "$(verdicts)" "[[\"$H1\",\"EXPIRING\",true,\"minica issue --host mail-hub1.corp.example\"]]" "json: one compressed object"
ok "formats detected from the content"

# The human report says how the order was decided and where the certificate came from.
run inventory "$T/ft.txt" --at 2008-12-01
assert_contains "$out" "$H2  EXPIRED  (lines 7-7, ft)"
assert_contains "$out" "  dates read as  M/d/yyyy (a date of the same shape in the same console output can only be M/d)
                 (line 5)"
run inventory "$T/certutil.txt" --at 2008-12-01
assert_contains "$out" "  services       (not in this output: treated as possibly SMTP)"
ok "human report"

# --issue: the same replacements from every format (smtp-transport with an EC key: faster).
make_ca --domain corp.example
mkdir "$T/tpl"
sed 's/^key .*/key = ec:P-256/' "$MINICA_TEMPLATES/smtp-transport.cnf" > "$T/tpl/smtp-ec.cnf"
for f in fl fl-mail ft csv json gci certutil-fr; do
	mkdir "$T/new-$f"
	run --json --pass-file "$PASS" --templates "$T/tpl" inventory "$T/$f.txt" --at 2008-12-01 \
		--issue --template smtp-ec --out "$T/new-$f"
	assert_rc 0 "$f --issue"
	assert_eq "$(printf '%s\n' "$out" | jq -c '[.issued[].names]')" \
		'[["mail-hub1.corp.example"],["mail-hub2.corp.example"]]' "$f --issue"
done
ok "--issue from every format"
export MINICA_STORE="$T/no-store"

# Cut columns in a narrow console: said, and a cut Subject gives no host name.
enc "$T/ft-cut.txt" UTF-8 no <<EOF
Thumbprint                                Services   Subject
----------                                --------   -------
$H1  IP..S..    CN=mail-hub1.corp.example
$WEB  ...W...    CN=webmail.corp.example, OU=Messaging, O=Cor...
C1A00000000000000000000000000...          ....S..    CN=mail-hub2.corp.example
EOF
run --json inventory "$T/ft-cut.txt" --at 2008-12-01
assert_rc 0 "ft-cut"
assert_contains "$err" "line 4: Format-Table cut the Subject column ('CN=webmail.corp.example, OU=Messaging, O=Cor...')"
assert_contains "$err" "line 5: Format-Table cut the Thumbprint column"
assert_contains "$err" "line 5: Thumbprint 'C1A00000000000000000000000000...' is not 40 hexadecimal digits"
assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[] | [.smtp, .subject_cut, .replacement.command, .verdict]]')" \
	'[[true,false,"minica issue --host mail-hub1.corp.example","UNKNOWN"],[false,true,null,"UNKNOWN"],[true,false,"minica issue --host mail-hub2.corp.example","UNKNOWN"]]' \
	"ft-cut: services flags, no host from a cut subject"
ok "cut columns"

# A block cut short (only the top of a long output pasted): a certificate known by its serial.
fl | sed -n '1,15p' | enc "$T/fl-cut.txt" UTF-8 no
run --json inventory "$T/fl-cut.txt" --at 2008-12-01
assert_rc 0 "fl-cut"
assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[] | [.thumbprint, .thumbprint_missing, .serial_number, .verdict, .replacement.command]]')" \
	'[["",true,"1A2B3C01","EXPIRING","minica issue --host mail-hub1.corp.example"]]' "fl-cut: by serial"
assert_contains "$err" "line 4: the certificate at lines 4-15 (serial number 1A2B3C01) was cut before its Thumbprint: thumbprint missing"
run inventory "$T/fl-cut.txt" --at 2008-12-01
assert_contains "$out" "serial 1A2B3C01  EXPIRING  (lines 4-15; thumbprint missing)"
ok "cut short before Thumbprint"

# Nothing that is not a certificate counts as one.
enc "$T/not-certs.txt" UTF-8 no <<EOF
PS C:\\> Get-EventLog -LogName Application -Source MSExchangeTransport -Newest 1 | fl

Index              : 4711
EntryType          : Warning
InstanceID         : 12014
Message            : Microsoft Exchange couldn't find a certificate that contains the domain name
                     mail-hub1.corp.example in the personal store on the local computer.
                     Thumbprint: $H1
Source             : MSExchangeTransport
TimeGenerated      : 12/13/2008 2:01:11 PM

The certificate with thumbprint $WEB expires soon, says the colleague.
Thumbprint: $H2
Thumbprint         : $H2
"Thumbprint","Subject"
================ Certificate 0 ================
CertUtil: -store command completed successfully.
[{"Thumbprint": "$H1"}]
EOF
run inventory "$T/not-certs.txt"
assert_rc 65 "not-certs"
assert_eq "$(printf '%s\n' "$err" | tail -n 1)" "minica: $T/not-certs.txt: no certificate found in 18 lines (a certificate is a block of 'Name : Value' lines with a Thumbprint, as 'Get-ExchangeCertificate | fl' prints it)" "not-certs: none"
assert_eq "$(printf '%s\n' "$err" | grep -c 'a Thumbprint line without any other certificate property')" 3 "not-certs: each lone Thumbprint said"
ok "event-log text, prose with a thumbprint, lone Thumbprint lines"

# An over-long value (a paste gone wrong) is cut and said, in linear time.
{ echo "Subject    : CN=a"; echo "AccessRules: {x"; seq 1 20000 | sed 's/^/            continued /'; echo "Thumbprint : $H1"; } > "$T/long.txt"
run --json inventory "$T/long.txt" --at 2008-12-01
assert_rc 0 "long value"
assert_contains "$err" "line 2: the value of AccessRules is longer than 65536 bytes: cut there"
ok "over-long value"

if [ -n "${INVENTORY_SEED_DIR:-}" ]; then
	cp "$T"/*.txt "$INVENTORY_SEED_DIR"/
fi
finish

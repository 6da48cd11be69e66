# inventory: a certificate whose CN is a mail address (a user's or client's, from a
# Windows user store) is said to be one and offered nothing to issue, in the report, in
# --json and under --issue; and where no IsSelfSigned line says it, the report says what
# was compared for "self-signed". On the fixtures of user stores in tests/fixtures/inventory/
# ('certutil -store -user My', 'Get-ChildItem Cert:\CurrentUser\My | fl *').
FIX=$(cd "$(dirname "$0")/../fixtures/inventory" && pwd)
. "$(dirname "$0")/../lib.sh"
export MINICA_STORE="$T/no-store"

AMANDA=4B9E2D7F0C1A8E3B5D6F7A8B9C0D1E2F3A4B5C6D
HUB1=9A8B7C6D5E4F30211203F4E5D6C7B8A9F0E1D2C3

# Self-signed without an IsSelfSigned line (certutil has none): what was compared.
run inventory "$FIX/certutil-user-indented.txt" --at 2025-03-01
assert_rc 0 "certutil report"
assert_contains "$out" "$AMANDA  EXPIRING  (lines 3-15, certutil)
  subject        CN=amanda.brady@contoso.com
  issuer         CN=Contoso Issuing CA 01, DC=contoso, DC=com
  self-signed    no (no IsSelfSigned line: Subject and Issuer differ)" "differ"
assert_contains "$out" "  self-signed    yes (no IsSelfSigned line: Subject and Issuer are the same)" "the same"
assert_not_contains "$out" "Subject = Issuer" "never Subject = Issuer for a subject that differs"
run --json inventory "$FIX/certutil-user-indented.txt" --at 2025-03-01
assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[] | [.self_signed, .self_signed_from]]')" \
	'[[false,"subject=issuer"],[true,"subject=issuer"]]' "JSON: self_signed and how"
ok "self-signed: what was compared"

# A user certificate: said, and no command, in both formats of the paste.
for file in certutil-user-indented.txt gci-user-mail.txt; do
	run inventory "$FIX/$file" --at 2025-03-01
	assert_rc 0 "$file"
	assert_contains "$out" "  replace with   (nothing: a user or client certificate, not a server's)
                 its CN is the mail address amanda.brady@contoso.com: no SMTP use, no host to issue for" \
		"$file: said"
	assert_not_contains "$out" "--host 'amanda.brady@contoso.com'" "$file: no command for it"
	assert_not_contains "$out" "(not in this output: treated as possibly SMTP)
  domains        $([ $file = gci-user-mail.txt ] && echo amanda.brady@contoso.com || echo '(none)')
  not after      2025-03-14" "$file: its services not treated as SMTP"
	assert_contains "$out" "  replace with   minica issue --host mail-hub1.contoso.com" "$file: the host's still offered"
	assert_contains "$out" "; 1 serves SMTP and is self-signed, expired or expiring" "$file: summary"
	run --json inventory "$FIX/$file" --at 2025-03-01
	assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[] | [.thumbprint, .verdict, .user_certificate, .needs_replacement, .replacement.command]]')" \
		"[[\"$AMANDA\",\"EXPIRING\",true,false,null],[\"$HUB1\",\"OK\",false,true,\"minica issue --host mail-hub1.contoso.com\"]]" \
		"$file: JSON"
	assert_eq "$(printf '%s\n' "$out" | jq -c .summary.needs_replacement)" 1 "$file: JSON summary"
	ok "$file: a user certificate"
done

# --issue: a replacement for the host's certificate only; nothing for the user's, no error.
make_ca --domain contoso.com
mkdir "$T/tpl" "$T/new"
sed 's/^key .*/key = ec:P-256/' "$MINICA_TEMPLATES/smtp-transport.cnf" > "$T/tpl/smtp-ec.cnf"
run --json --pass-file "$PASS" --templates "$T/tpl" inventory "$FIX/gci-user-mail.txt" \
	--at 2025-03-01 --issue --template smtp-ec --out "$T/new"
assert_rc 0 "--issue"
assert_eq "$(printf '%s\n' "$out" | jq -c '[.issued[].names]')" '[["mail-hub1.contoso.com"]]' "--issue: the host's only"
assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[].user_certificate]')" '[true,false]' "--issue: JSON report"
assert_eq "$(ls "$T/new" | grep -c amanda)" 0 "--issue: no file for the user"
run --json list
assert_eq "$(printf '%s\n' "$out" | jq -c '[.[].names[]]')" '["mail-hub1.contoso.com"]' "the store holds the host's"
ok "--issue issues for the host's certificate only"

# Only the user's certificate: nothing to issue, exit 0, the store unchanged.
sed -n '1,15p' "$FIX/certutil-user-indented.txt" > "$T/amanda.txt"
before=$(store_digest)
run --pass-file "$PASS" inventory "$T/amanda.txt" --at 2025-03-01 --issue --out "$T/new"
assert_rc 0 "--issue, a user certificate alone"
assert_contains "$err" "nothing to replace" "said"
assert_not_contains "$out" "Replacing" "nothing replaced"
assert_eq "$(store_digest)" "$before" "the store unchanged"
ok "--issue with a user certificate alone"

# Names that are all mail addresses (no CN) say it too; a mail address beside host
# names is left out of the command.
cat > "$T/names.txt" <<EOF
DnsNameList  : {amanda.brady@contoso.com}
IsSelfSigned : True
Subject      : O=Contoso
NotAfter     : 2025-03-10 00:00:00
Thumbprint   : $AMANDA

DnsNameList  : {mail-hub1.contoso.com, postmaster@contoso.com}
IsSelfSigned : True
Subject      : CN=mail-hub1.contoso.com
NotAfter     : 2025-03-10 00:00:00
Thumbprint   : $HUB1
EOF
export MINICA_STORE="$T/no-store"
run inventory "$T/names.txt" --at 2025-03-01
assert_rc 0 "names"
assert_contains "$out" "its names are mail addresses, amanda.brady@contoso.com: no SMTP use" "from the names"
assert_contains "$out" "  replace with   minica issue --host mail-hub1.contoso.com
" "a mailbox beside a host is no host"
ok "mail addresses among the names"

finish

# inventory: a whole console session pasted from three servers (prompts, event-log
# entries, prose in three languages), with a stray blank line inside a certificate,
# {}, {a,} and cut lists, malformed blocks and unreadable dates: every problem is
# reported with its line number and the rest is still read.
FIX=$(cd "$(dirname "$0")/../fixtures/inventory" && pwd)
. "$(dirname "$0")/../lib.sh"
export MINICA_STORE="$T/no-store"
file=session.txt

run --json inventory "$FIX/$file" --at 2008-12-01
assert_rc 0 "$file"
F="minica: $FIX/$file"
expected="$F line 14: a blank line inside the certificate at lines 7-17: its parts were joined
$F line 53: a Thumbprint line without any other certificate property (event-log text?): skipped
$F line 66: Subject ', O=Corp' looks truncated (not a distinguished name such as 'CN=host, O=org')
$F line 67: Issuer is empty
$F line 68: NotAfter '31.02.2009 10:00:00': no such day in the calendar
$F line 74: certificate D0A0000000000000000000000000000000000001 is listed again (first at line 7)
$F line 86: NotAfter 'いつか': not a date minica can read (no date (expected numbers separated by '/', '.' or '-'))"
assert_eq "$err" "$expected" "one line per problem, with its line number"
notes=$(printf '%s\n' "$out" | jq -r '.notes[] | "\(.line) \(.text)"' | cut -c1-40)
assert_eq "$(printf '%s\n' "$notes" | cut -d' ' -f1 | tr '\n' ' ')" "14 53 66 67 68 74 86 " "notes in JSON"
ok "problems reported"

# Six certificates: everything else (prompts, the Get-EventLog object, the German event
# with its Thumbprint line, the prose) is not one.
cert() { printf '%s\n' "$out" | jq -r --argjson i "$1" ".certificates[\$i] | $2"; }
assert_eq "$(printf '%s\n' "$out" | jq -r '.certificates | length')" 6 "certificate count"
assert_eq "$(printf '%s\n' "$out" | jq -r '[.certificates[] | "\(.line)-\(.end_line)"] | join(" ")')" \
	"7-17 19-29 57-64 66-70 74-81 83-89" "blocks"

# 1: split by a blank line before Status/Subject/Thumbprint, joined again
assert_eq "$(cert 0 '"\(.thumbprint) \(.status) \(.subject) \(.not_after) \(.days_left) \(.verdict) \(.self_signed) \(.smtp)"')" \
	"D0A0000000000000000000000000000000000001 Valid CN=mail-hub1 2008-12-13T14:01:11 12 EXPIRING true true" "1"
# 2: a list cut after four names, wrapped in the middle of the fourth
assert_eq "$(cert 1 '.domains | join(",")')" \
	"mail.corp.example,autodiscover.corp.example,owa.corp.example,legacy.corp.example" "2: domains"
assert_eq "$(cert 1 '"\(.domains_cut) \(.replacement.incomplete) \(.not_after) \(.not_before) \(.days_left) \(.verdict) \(.needs_replacement)"')" \
	"true true 2010-06-30T23:59:59 2008-07-01T00:00:00 576 OK false" "2"
# 3: de-DE, {}: the replacement uses the subject's CN
assert_eq "$(cert 2 '"\(.domains | length) \(.not_after) \(.days_left) \(.verdict) \(.replacement.command) \(.replacement.hosts_from)"')" \
	"0 2008-03-05T08:30:00 -271 EXPIRED minica issue --host mail-edge1 subject-cn" "3"
# 4: truncated subject, empty issuer, 31 February: read, verdict UNKNOWN, no command
assert_eq "$(cert 3 '"\(.subject)|\(.issuer)|\(.self_signed)|\(.not_after)|\(.not_after_text)|\(.days_left)|\(.verdict)|\(.replacement)"')" \
	", O=Corp||null|null|31.02.2009 10:00:00|null|UNKNOWN|null" "4"
# 5: the first certificate again, on another server (ja-JP dates)
assert_eq "$(cert 4 '"\(.thumbprint) \(.duplicate_of_line) \(.not_after) \(.verdict)"')" \
	"D0A0000000000000000000000000000000000001 7 2008-12-13T14:01:11 EXPIRING" "5"
# 6: {a,} and an unreadable NotAfter: self-signed SMTP, so it still needs replacing
assert_eq "$(cert 5 '"\(.domains | join(",")) \(.not_after) \(.verdict) \(.needs_replacement) \(.replacement.command)"')" \
	"mail-hub2 null UNKNOWN true minica issue --host mail-hub2" "6"
assert_eq "$(printf '%s\n' "$out" | jq -c .summary)" \
	'{"certificates":6,"expired":1,"expiring":2,"ok":1,"unknown":2,"needs_replacement":3}' "summary"
ok "certificates"

# The human report says what was cut and where the names come from.
run inventory "$FIX/$file" --at 2008-12-01
assert_rc 0 "$file (human)"
assert_contains "$out" "  domains        mail.corp.example, autodiscover.corp.example, owa.corp.example, legacy.corp.example, ... (cut after four names)"
assert_contains "$out" "  replace with   minica issue --host mail.corp.example --host autodiscover.corp.example --host owa.corp.example --host legacy.corp.example
                 CertificateDomains was cut after four names by Format-List: add the others (run '\$FormatEnumerationLimit = -1' before 'Get-ExchangeCertificate | fl' to see them all)"
assert_contains "$out" "  replace with   minica issue --host mail-edge1
                 (CertificateDomains is empty: the subject's CN)"
assert_contains "$out" "  subject        , O=Corp
  issuer         (empty)
  self-signed    unknown"
assert_contains "$out" "  not after      unreadable (see above)
  replace with   (no host name: CertificateDomains is empty and the subject has no CN)"
assert_contains "$out" "  listed again   the same thumbprint as at line 7"
assert_contains "$out" "1 EXPIRED, 2 EXPIRING, 1 OK, 2 UNKNOWN; 3 serve SMTP and are self-signed, expired or expiring: 'minica inventory $FIX/$file --issue' replaces them"
ok "human report"

# The same session as Windows PowerShell saves it (UTF-16LE, BOM, CRLF) and as UTF-16BE:
# the same result, line for line.
run --json inventory "$FIX/$file" --at 2008-12-01
want=$(printf '%s\n' "$out" | jq -c '[.certificates, .notes]')
for enc in UTF-16LE UTF-16BE; do
	case $enc in UTF-16LE) bom='\377\376' ;; *) bom='\376\377' ;; esac
	{ printf "$bom"; sed 's/$/\r/' "$FIX/$file" | iconv -f UTF-8 -t $enc; } > "$T/session-$enc.txt"
	run --json inventory "$T/session-$enc.txt" --at 2008-12-01
	assert_rc 0 "$enc"
	assert_eq "$(printf '%s\n' "$out" | jq -r .encoding)" "$enc" "$enc: detected"
	assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates, .notes]')" "$want" "$enc: same result"
done
ok "UTF-16 LE and BE with BOM and CRLF"
finish

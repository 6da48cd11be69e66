# inventory: Get-ExchangeCertificate output in nine cultures and three encodings;
# every date, day count and verdict is asserted, with "now" pinned by --at.
FIX=$(cd "$(dirname "$0")/../fixtures/inventory" && pwd)
. "$(dirname "$0")/../lib.sh"

# No store: inventory needs none (and then says it cannot recognise minica's certificates).
export MINICA_STORE="$T/no-store"

# expect_cert INDEX THUMBPRINT NOT_AFTER NOT_BEFORE DAYS VERDICT (from the last --json run)
expect_cert() {
	got=$(printf '%s\n' "$out" | jq -r --argjson i "$1" \
		'.certificates[$i] | "\(.thumbprint) \(.not_after) \(.not_before) \(.days_left) \(.verdict)"')
	assert_eq "$got" "$2 $3 $4 $5 $6" "$file: certificate $1"
}

HUB1=C1A0000000000000000000000000000000000001
WEB=C1A0000000000000000000000000000000000002
HUB2=C1A0000000000000000000000000000000000003

# The same two certificates in every culture: a self-signed SMTP one that expires in 12
# days (EXPIRING, --warn defaults to 60) and an IIS one with 576 days left.
for c in en-US:UTF-16LE en-GB:UTF-8 de-DE:UTF-8 fr-FR:UTF-8 ja-JP:UTF-16LE zh-TW:UTF-8 \
	zh-CN:UTF-8 ko-KR:UTF-16LE iso:UTF-8; do
	file=${c%%:*}.txt
	run --json inventory "$FIX/$file" --at 2008-12-01
	assert_rc 0 "$file"
	assert_eq "$(printf '%s\n' "$out" | jq -r .encoding)" "${c#*:}" "$file: encoding"
	expect_cert 0 $HUB1 2008-12-13T14:01:11 2007-12-13T14:01:11 12 EXPIRING
	expect_cert 1 $WEB 2010-06-30T23:59:59 2008-07-01T00:00:00 576 OK
	assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[0,1] | .needs_replacement]')" \
		"[true,false]" "$file: needs_replacement"
	ok "$file"
done

# de-DE: dotted dates are always day first; the third certificate expired on 5 March.
file=de-DE.txt
run --json inventory "$FIX/$file" --at 2008-12-01
expect_cert 2 $HUB2 2008-03-05T08:30:00 2007-03-05T08:30:00 -271 EXPIRED
assert_eq "$err" "" "$file: nothing to report"
assert_eq "$(printf '%s\n' "$out" | jq -r '.certificates[0].line, .certificates[2].line' | tr '\n' ' ')" \
	"4 34 " "$file: block lines after the prose"
ok "de-DE third certificate"

# en-US: NotBefore 7/1/2008 alone could be either; NotAfter 6/30/2010 can only be M/d.
file=en-US.txt
run --json inventory "$FIX/$file" --at 2008-12-01
assert_rc 0 "$file"
expect_cert 1 $WEB 2010-06-30T23:59:59 2008-07-01T00:00:00 576 OK
assert_eq "$(printf '%s\n' "$out" | jq -c '.certificates[1].date_order')" \
	'{"order":"mdy","how":"other-date","not_after_other":null,"evidence_line":null}' "$file: order from the pair"
# 3/5/2008 and 3/5/2007: both readings are a whole year, but 12/13/2008 2:01:11 PM (line 13)
# in the same console output has the same shape and can only be M/d
expect_cert 2 $HUB2 2008-03-05T08:30:00 2007-03-05T08:30:00 -271 EXPIRED
assert_eq "$(printf '%s\n' "$out" | jq -c '.certificates[2].date_order')" \
	'{"order":"mdy","how":"console","not_after_other":null,"evidence_line":13}' "$file: order from the console output"
assert_eq "$err" "" "$file: nothing left undecided"
assert_eq "$(printf '%s\n' "$out" | jq -r '.certificates[0].line, .lines' | tr '\n' ' ')" "7 51 " \
	"$file: line numbers in UTF-16"
ok "en-US orders"

# fr-FR: 01/02/2009 is 1 February (dmy, 62 days: OK) or 2 January (mdy, 32 days: EXPIRING);
# 13/12/2008 14:01:11 (line 9), same shape, same console output, can only be d/M.
file=fr-FR.txt
run --json inventory "$FIX/$file" --at 2008-12-01
expect_cert 2 $HUB2 2009-02-01T10:00:00 2008-02-01T10:00:00 62 OK
assert_eq "$(printf '%s\n' "$out" | jq -c '.certificates[2].date_order | [.how, .evidence_line]')" \
	'["console",9]' "$file: decided from line 9"
assert_eq "$err" "" "$file: nothing left undecided"
# that certificate alone: nothing decides; the earlier reading, and said
sed -n '31,$p' "$FIX/$file" > "$T/fr-alone.txt"
run --json inventory "$T/fr-alone.txt" --at 2008-12-01
assert_contains "$err" "NotAfter '01/02/2009 10:00:00' can be read as d/M/yyyy or M/d/yyyy; the earlier date is used"
assert_eq "$(printf '%s\n' "$out" | jq -r '.certificates[] | select(.thumbprint == "'$HUB2'") | .date_order.how')" \
	"earlier" "$file without the evidence: undecided"
run --json inventory "$FIX/$file" --at 2008-12-01 --date-order dmy
expect_cert 2 $HUB2 2009-02-01T10:00:00 2008-02-01T10:00:00 62 OK
assert_eq "$(printf '%s\n' "$out" | jq -r '.certificates[2].date_order.how')" "option" "$file: how"
assert_eq "$err" "" "$file: --date-order dmy leaves nothing to report"
run --json inventory "$FIX/$file" --at 2008-12-01 --date-order mdy
expect_cert 2 $HUB2 2009-01-02T10:00:00 2008-01-02T10:00:00 32 EXPIRING
ok "fr-FR --date-order"

# --warn, and verdicts as of other days
file=iso.txt
run --json inventory "$FIX/$file" --at 2008-12-01 --warn 12
expect_cert 0 $HUB1 2008-12-13T14:01:11 2007-12-13T14:01:11 12 OK
run --json inventory "$FIX/$file" --at 2008-12-01 --warn 13
expect_cert 0 $HUB1 2008-12-13T14:01:11 2007-12-13T14:01:11 12 EXPIRING
run --json inventory "$FIX/$file" --at 2008-12-14
expect_cert 0 $HUB1 2008-12-13T14:01:11 2007-12-13T14:01:11 -1 EXPIRED
expect_cert 1 $WEB 2010-06-30T23:59:59 2008-07-01T00:00:00 563 OK
run --json inventory "$FIX/$file" --at 2010-05-15
expect_cert 1 $WEB 2010-06-30T23:59:59 2008-07-01T00:00:00 46 EXPIRING
# without --at: now (these certificates expired long ago)
run --json inventory "$FIX/$file"
assert_eq "$(printf '%s\n' "$out" | jq -r '[.certificates[].verdict] | join(" ")')" "EXPIRED EXPIRED" "now"
assert_eq "$(printf '%s\n' "$out" | jq -r '.warn_days, .summary.expired, .summary.needs_replacement' | tr '\n' ' ')" \
	"60 2 1 " "summary"
ok "--warn and --at"

# Standard input
run_in "$FIX/ko-KR.txt" --json inventory - --at 2008-12-01
assert_rc 0 "inventory -"
expect_cert 0 $HUB1 2008-12-13T14:01:11 2007-12-13T14:01:11 12 EXPIRING
ok "standard input"

# The human report
file=en-US.txt
run inventory "$FIX/$file" --at 2008-12-01
assert_rc 0 "$file (human)"
assert_contains "$out" "$FIX/$file: 3 certificates (UTF-16LE), verdicts as of 2008-12-01, EXPIRING under 60 days"
assert_contains "$out" "(no minica store at $T/no-store: certificates issued by minica are not recognised)"
assert_contains "$out" "$HUB1  EXPIRING  (lines 7-20)"
assert_contains "$out" "  self-signed    yes
  services       IMAP, POP, SMTP
  domains        mail-hub1, mail-hub1.corp.example
  not after      2008-12-13 14:01:11 (server time), 12 days left
  replace with   minica issue --host mail-hub1 --host mail-hub1.corp.example"
assert_contains "$out" "$HUB2  EXPIRED  (lines 35-48)"
assert_contains "$out" "  not after      2008-03-05 08:30:00 (server time), 271 days ago
  dates read as  M/d/yyyy (a date of the same shape in the same console output can only be M/d)
                 (line 13)"
assert_contains "$out" "  issuer         CN=Corp Enterprise CA, DC=corp, DC=example"
assert_contains "$out" "  dates read as  M/d/yyyy (the other date can only be M/d)"
assert_contains "$out" "1 EXPIRED, 1 EXPIRING, 1 OK, 0 UNKNOWN; 2 serve SMTP and are self-signed, expired or expiring"
ok "human report"

# Bad input: one line, the SPEC exit code
expect_error 65 "nothing.txt: no certificate found in 11 lines" inventory "$FIX/nothing.txt"
printf '' > "$T/empty.txt"
expect_error 65 "empty.txt: no certificate found in 0 lines" inventory "$T/empty.txt"
head -c 3000 /dev/urandom > "$T/random.bin"
run inventory "$T/random.bin"
assert_rc 65 "random bytes"
assert_match "$(printf '%s\n' "$err" | tail -n 1)" "^minica: .*random.bin: no certificate found"
expect_error 66 "missing.txt: No such file" inventory "$T/missing.txt"
expect_error 66 "is a directory" inventory "$T"
expect_error 64 "give the FILE" inventory
expect_error 64 "one FILE at a time" inventory "$FIX/iso.txt" "$FIX/iso.txt"
expect_error 64 "--at '2008-13-01': not a date" inventory "$FIX/iso.txt" --at 2008-13-01
expect_error 64 "--date-order 'ymd': dmy or mdy" inventory "$FIX/iso.txt" --date-order ymd
expect_error 64 "--warn '-1'" inventory "$FIX/iso.txt" --warn -1
expect_error 64 "need --issue" inventory "$FIX/iso.txt" --out "$T"
expect_error 64 "need --issue" inventory "$FIX/iso.txt" --role edge
expect_error 64 "--exchange '2003'" inventory "$FIX/iso.txt" --issue --exchange 2003
expect_error 64 "--role 'mailbox'" inventory "$FIX/iso.txt" --issue --role mailbox
finish

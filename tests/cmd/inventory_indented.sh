# inventory: a paste whose every line is indented (a web page's code block, a mail that
# quotes with spaces) reads as the same text unindented: the indent common to a block
# is no meaning. Two fixtures in the shape of real output (tests/fixtures/inventory/):
# 'certutil -store -user My' with one leading space on each line, and
# 'Get-ChildItem Cert:\CurrentUser\My | fl *' quoted with four spaces in a mail.
FIX=$(cd "$(dirname "$0")/../fixtures/inventory" && pwd)
. "$(dirname "$0")/../lib.sh"
export MINICA_STORE="$T/no-store"

AMANDA=4B9E2D7F0C1A8E3B5D6F7A8B9C0D1E2F3A4B5C6D
HUB1=9A8B7C6D5E4F30211203F4E5D6C7B8A9F0E1D2C3

# same_as_unindented FIXTURE SED: the report of FIXTURE is the report of the fixture with
# its indent taken off by SED (file name aside)
same_as_unindented() {
	run --json inventory "$FIX/$1" --at 2025-03-01
	assert_rc 0 "$1"
	indented=$(printf '%s\n' "$out" | jq -c 'del(.file)')
	indented_err=$err
	sed "$2" "$FIX/$1" > "$T/$1"
	run --json inventory "$T/$1" --at 2025-03-01
	assert_rc 0 "$1 unindented"
	assert_eq "$indented" "$(printf '%s\n' "$out" | jq -c 'del(.file)')" "$1: the same report as unindented"
	assert_eq "$indented_err" "$(printf '%s\n' "$err" | sed "s|$T/$1|$FIX/$1|g")" "$1: the same notes"
}

file=certutil-user-indented.txt
same_as_unindented $file 's/^ //'
run --json inventory "$FIX/$file" --at 2025-03-01
assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[] | [.thumbprint, .format, .line, .end_line, .not_after, .verdict, .subject]]')" \
	"[[\"$AMANDA\",\"certutil\",3,15,\"2025-03-14T09:12:00\",\"EXPIRING\",\"CN=amanda.brady@contoso.com\"],[\"$HUB1\",\"certutil\",16,30,\"2026-01-20T16:05:00\",\"OK\",\"CN=mail-hub1.contoso.com\"]]" \
	"$file: both certificates"
assert_eq "$err" "" "$file: nothing to report"
ok "$file"

file=gci-user-mail.txt
same_as_unindented $file 's/^    //'
run --json inventory "$FIX/$file" --at 2025-03-01
assert_eq "$(printf '%s\n' "$out" | jq -c '[.certificates[] | [.thumbprint, .line, .end_line, .domains, .serial_number, .services_known, .verdict]]')" \
	"[[\"$AMANDA\",8,40,[\"amanda.brady@contoso.com\"],\"1E0000A4F1C2B3D4E5F607180000000000A4\",false,\"EXPIRING\"],[\"$HUB1\",43,74,[\"mail-hub1.contoso.com\"],\"5F1E2D3C4B5A69788796A5B4C3D2E1F0\",false,\"OK\"]]" \
	"$file: both certificates, whole"
assert_eq "$err" "" "$file: nothing split, nothing skipped"
ok "$file"

# The human report of the mail: the prose around the quoted block changes nothing.
run inventory "$FIX/$file" --at 2025-03-01
assert_rc 0 "$file: report"
assert_contains "$out" "$HUB1  OK  (lines 43-74)
  subject        CN=mail-hub1.contoso.com"
ok "human report"

finish

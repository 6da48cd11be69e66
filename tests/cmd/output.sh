# Output conventions: each command's --json is one JSON document on stdout
# that validates against its schema, docs/schema/NAME.json (draft 2020-12,
# with python3-jsonschema); every command in --help is run, and one that
# prints JSON without a schema fails; every schema has an example beside it
# (NAME.example.json) that validates too; human tables align whatever the data (long and UTF-8 template
# names), and control characters never reach the terminal; -q silences notes.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"

# Template names that stretch the columns: long, UTF-8, with an escape sequence.
WEIRD_DIR="$T/tëmplätes-$(printf '\033')[31m-very-long-directory"
mkdir -p "$WEIRD_DIR" "$T/tpl" "$T/o" "$T/exp" "$T/json"
cp "$MINICA_TEMPLATES/tls-server.cnf" "$WEIRD_DIR/wïde.cnf"
cp "$MINICA_TEMPLATES/tls-client.cnf" "$T/tpl/a-rather-long-template-name-for-tests.cnf"

# J NAME ARGS...: minica --json ARGS, kept as $T/json/NAME (NAME is the
# schema's name, docs/schema/NAME.json, then "@variant" for another case).
J() {
	name=$1
	shift
	run --json "$@"
	printf '%s\n' "$out" > "$T/json/$name"
	printf '%s\n' "$*" >> "$T/ran"
}
J init init --name "Output CA" --key ec:P-256 --domain corp.example --permit-dns corp.example --no-passphrase
assert_rc 0 "init"
J issue issue --host mail-hub1 --key ec:P-256 --out "$T/o"
assert_rc 0 "issue"
serial=$(printf '%s' "$out" | jq -r .serial)
printf 'bulk-a\nbulk-b bulk-c\n' > "$T/hosts"
J issue@bulk issue --hosts-file "$T/hosts" --key ec:P-256 --out "$T/o" --no-pfx
assert_rc 0 "issue --hosts-file"
run issue --host web1 --template "$WEIRD_DIR/wïde.cnf" --key ec:P-256 --days 30 --out "$T/o"
assert_rc 0 "issue with a long UTF-8 template path"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/r1.key" \
	-subj /CN=req1.corp.example -out "$T/r1.csr" 2>/dev/null || fail "openssl req"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/r2.key" \
	-subj /CN=req2.corp.example -out "$T/r2.csr" 2>/dev/null || fail "openssl req"
J sign sign --csr "$T/r1.csr"
assert_rc 0 "sign"
mkdir "$T/signed"
J sign@several sign --csr "$T/r1.csr" --csr "$T/r2.csr" --format der --out "$T/signed"
assert_rc 0 "sign several"
csr_serial=$(printf '%s' "$out" | jq -r '.[0].serial')

J export export --serial "$serial" --pem "$T/exp" --pfx "$T/exp/mail-hub1.pfx"
J list list
J show show "$serial"
J show@host show --host mail-hub1.corp.example --pem
J ca\ show ca show
J templates templates
J templates\ show templates show smtp-transport
J check check
J check@dane check --dane --resolver 127.0.0.1:9 --dane-timeout 1
J remind remind
J renew@stage renew --stage --serial "$serial"
assert_rc 0 "renew --stage"
J renew renew --serial "$serial" --out "$T/o" --force
assert_rc 0 "renew"
J renew@expiring renew --expiring 36500 --out "$T/o" --force
assert_rc 66 "renew --expiring with a CSR-signed certificate"
J show@renewed show "$serial"
J revoke revoke "$csr_serial" --reason keyCompromise
assert_rc 0 "revoke"
bulk=$(jq -r '.[].serial' "$T/json/issue@bulk")
J revoke@several revoke $bulk
assert_rc 0 "revoke several"
J list@revoked list --status revoked
J show@revoked show "$csr_serial"
J crl crl
J crl@file crl --der --out "$T/crl.der"
J report report --html "$T/r.html" --ics "$T/r.ics"
J report@html report --html "$T/r2.html"
J ca\ extend ca extend --years 30
mkdir "$T/units"
J schedule schedule --systemd "$T/units"
J schedule@cron schedule --cron --mail postmaster@corp.example
J runbook runbook --host mail-hub1.corp.example --role edge --exchange 2010 --site Default-First-Site-Name
assert_rc 0 "runbook"
J dane dane --host mail-hub1.corp.example --mx mx1.corp.example
assert_rc 0 "dane"
J inventory inventory "$SRC/tests/fixtures/inventory/en-US.txt"
mkdir "$T/inv"
J inventory@issue inventory "$SRC/tests/fixtures/inventory/en-US.txt" --issue --out "$T/inv"
J acme\ account acme account add --names corp.example --comment hubs
assert_rc 0 "acme account add"
kid=$(printf '%s' "$out" | jq -r .kid)
J acme\ account@list acme account list
J acme\ account@disable acme account disable "$kid"
assert_rc 0 "acme account disable"
mkdir "$T/serve-units"
J serve serve --listen 127.0.0.1:8443 --systemd "$T/serve-units"
assert_rc 0 "serve --systemd"
J store\ verify store verify
J store\ backup store backup "$T/backup.mdb"
J store\ stats store stats
J audit audit
J check@warning check --leaf-warn 36500 --leaf-crit 0
assert_rc 1 "check WARNING"
J remind@warning remind --leaf-warn 36500 --leaf-crit 0
assert_rc 1 "remind WARNING"
J check@unknown --store "$T/nowhere" check
assert_rc 3 "check without a store"
J remind@unknown --store "$T/nowhere" remind
assert_rc 3 "remind without a store"
# Commands that print no JSON document (ca export writes the certificate itself).
run --json ca export
assert_rc 0 "ca export"
assert_contains "$out" "-----BEGIN CERTIFICATE-----" "ca export --json writes the certificate"
printf 'ca export\n' >> "$T/ran"
# ca move-key needs a token: its --json is validated by pkcs11.sh
run --json ca move-key
assert_rc 64 "ca move-key without --to"
printf 'ca move-key\n' >> "$T/ran"
NO_JSON="ca export ca move-key"

for f in "$T"/json/*; do
	[ "$(jq -s length "$f" 2>/dev/null)" = 1 ] || fail "$(basename "$f") --json is not exactly one JSON document: $(head -c 300 "$f")"
done
ok "every --json output is one JSON document ($(ls "$T/json" | wc -l) outputs)"

# Every command and subcommand that --help lists is run above; each one that
# prints JSON has a schema, and its output validates against it.
"$MINICA" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF {print $1}' | grep -v Commands: > "$T/commands"
for c in $(cat "$T/commands"); do
	subs=$("$MINICA" "$c" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF {print $1}' | grep -v Commands:)
	if [ -n "$subs" ]; then
		for s in $subs; do echo "$c $s"; done
	else
		echo "$c"
	fi
done > "$T/all"
[ "$(wc -l < "$T/all")" -ge 20 ] || fail "found only $(wc -l < "$T/all") commands in --help"
while IFS= read -r c; do
	grep -q "^$c\( \|\$\)" "$T/ran" || fail "command '$c' is not run by this test: add it (and docs/schema/$(echo "$c" | tr ' ' -).json if it prints JSON)"
	case " $NO_JSON " in
	*" $c "*) continue ;;
	esac
	[ -e "$T/json/$c" ] || fail "command '$c' prints no JSON here"
	[ -s "$SRC/docs/schema/$(echo "$c" | tr ' ' -).json" ] || fail "command '$c' has --json output but no docs/schema/$(echo "$c" | tr ' ' -).json"
done < "$T/all"
ok "every command in --help is run, and each that prints JSON has a schema"

set --
for f in "$T"/json/*; do
	name=$(basename "$f")
	set -- "$@" "$(printf '%s' "${name%@*}" | tr ' ' -)" "$f"
done
/usr/bin/python3 "$SRC/tests/cmd/validate_json.py" "$SRC/docs/schema" "$@" 2>"$T/schema.err" ||
	fail "--json output does not match docs/schema: $(cat "$T/schema.err")"
ok "--json output of $(ls "$T/json" | wc -l) runs validates against docs/schema"
/usr/bin/python3 "$SRC/tests/cmd/validate_json.py" "$SRC/docs/schema" --examples 2>"$T/schema.err" ||
	fail "docs/schema: $(cat "$T/schema.err")"
ok "every schema is valid and has an example that validates"

# The schemas can fail: a renamed field, a missing one, a wrong type.
jq '.names = .names | .hosts = .names | del(.names)' "$T/json/issue" > "$T/bad-renamed"
jq 'del(.thumbprint)' "$T/json/issue" > "$T/bad-missing"
jq '.[0].days_left = "1825"' "$T/json/list" > "$T/bad-type"
jq '.certificates[0].replacement.hosts_from = "guess"' "$T/json/inventory" > "$T/bad-nested"
for bad in issue:bad-renamed issue:bad-missing list:bad-type inventory:bad-nested; do
	if /usr/bin/python3 "$SRC/tests/cmd/validate_json.py" "$SRC/docs/schema" "${bad%%:*}" "$T/${bad#*:}" 2>/dev/null; then
		fail "docs/schema/${bad%%:*}.json accepts $(echo "${bad#*:}" | sed 's/bad-//') output"
	fi
done
ok "the schemas refuse a renamed field, a missing one, a wrong type and a bad value"

# Tables: every column starts where its header does, numbers end where
# theirs does; widths in characters; no control character on the terminal.
check_table() { # WHAT HEADER-NAMES...
	what=$1
	shift
	printf '%s\n' "$out" > "$T/table"
	/usr/bin/python3 - "$T/table" "$what" "$@" <<'EOF' || fail "$what: columns do not align:
$out"
import sys
lines = open(sys.argv[1], encoding='utf-8').read().rstrip('\n').split('\n')
what, cols = sys.argv[2], sys.argv[3:]
header = lines[0]
assert all(ord(c) >= 0x20 for line in lines for c in line), 'control character in output'
starts = [header.index(c) for c in cols]
for line in lines[1:]:
    assert len(line) >= starts[-1], line
    for c, s in zip(cols, starts):
        if c == 'DAYS':  # right-aligned: ends where the header ends
            end = s + len(c)
            assert line[end - 1] != ' ' and (end == len(line) or line[end] == ' '), (c, line)
        else:
            assert line[s] != ' ' and (s == 0 or line[s - 1] == ' '), (c, line)
EOF
}
run list
assert_rc 0 "list"
assert_contains "$out" "wïde.cnf" "UTF-8 template name shown"
assert_contains "$out" "tëmplätes-?[31m" "escape character shown as '?'"
check_table list SERIAL STATUS "NOT AFTER" DAYS TEMPLATE NAMES
ok "list columns align with a long UTF-8 template name"

run --templates "$T/tpl" templates
assert_rc 0 "templates"
assert_contains "$out" "a-rather-long-template-name-for-tests" "long template listed"
check_table templates TEMPLATE KEY DAYS PFX DESCRIPTION
ok "templates columns align with a long name"

# The alignment check must be able to fail.
out="SERIAL  NAMES
AB  x"
if (check_table list SERIAL NAMES) 2>/dev/null; then
	fail "check_table accepts a misaligned table"
fi
ok "the alignment check can fail"

# Notes are for people: -q keeps stderr empty; data stays on stdout.
run -q report --html "$T/q.html"
assert_rc 0 "report -q"
assert_eq "$err" "" "report -q is silent"
[ -s "$T/q.html" ] || fail "report -q wrote nothing"
run -q list
assert_contains "$out" "$serial" "list -q still lists"
ok "-q silences notes only"

finish

# Output conventions: each command's --json has exactly the fields and types
# of its example in README ("<!-- json: NAME -->" blocks), one JSON document
# on stdout; human tables align whatever the data (long and UTF-8 template
# names), and control characters never reach the terminal; -q silences notes.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"

# Template names that stretch the columns: long, UTF-8, with an escape sequence.
WEIRD_DIR="$T/tëmplätes-$(printf '\033')[31m-very-long-directory"
mkdir -p "$WEIRD_DIR" "$T/tpl" "$T/o" "$T/exp" "$T/json"
cp "$MINICA_TEMPLATES/tls-server.cnf" "$WEIRD_DIR/wïde.cnf"
cp "$MINICA_TEMPLATES/tls-client.cnf" "$T/tpl/a-rather-long-template-name-for-tests.cnf"

run --json init --name "Output CA" --key ec:P-256 --domain corp.example --permit-dns corp.example --no-passphrase
assert_rc 0 "init"
printf '%s\n' "$out" > "$T/json/init"
run --json issue --host mail-hub1 --key ec:P-256 --out "$T/o"
assert_rc 0 "issue"
printf '%s\n' "$out" > "$T/json/issue"
serial=$(printf '%s' "$out" | jq -r .serial)
run issue --host web1 --template "$WEIRD_DIR/wïde.cnf" --key ec:P-256 --days 30 --out "$T/o"
assert_rc 0 "issue with a long UTF-8 template path"

run --json export --serial "$serial" --pem "$T/exp" --pfx "$T/exp/mail-hub1.pfx"
printf '%s\n' "$out" > "$T/json/export"
run --json list
printf '%s\n' "$out" > "$T/json/list"
run --json show "$serial"
printf '%s\n' "$out" > "$T/json/show"
run --json ca show
printf '%s\n' "$out" > "$T/json/ca show"
run --json templates
printf '%s\n' "$out" > "$T/json/templates"
run --json templates show smtp-transport
printf '%s\n' "$out" > "$T/json/templates show"
run --json report --html "$T/r.html" --ics "$T/r.ics"
printf '%s\n' "$out" > "$T/json/report"
run --json check
printf '%s\n' "$out" > "$T/json/check"
run --json remind
printf '%s\n' "$out" > "$T/json/remind"
run --json renew --serial "$serial" --out "$T/o" --force
printf '%s\n' "$out" > "$T/json/renew"
run --json ca extend --years 30
printf '%s\n' "$out" > "$T/json/ca extend"
mkdir "$T/units"
run --json schedule --systemd "$T/units"
printf '%s\n' "$out" > "$T/json/schedule"
for f in "$T"/json/*; do
	[ "$(jq -s length "$f" 2>/dev/null)" = 1 ] || fail "$(basename "$f") --json is not exactly one JSON document: $(head -c 300 "$f")"
done
ok "every --json output is one JSON document"

/usr/bin/python3 - "$SRC/README.md" "$T/json" <<'EOF' || fail "--json output differs from README"
import json, os, re, sys
readme, outdir = sys.argv[1], sys.argv[2]
text = open(readme, encoding='utf-8').read()
documented = dict(re.findall(r'<!-- json: ([a-z ]+) -->\n```json\n(.*?)\n```', text, re.S))
ran = set(os.listdir(outdir))
problems = []
for name in sorted(set(documented) ^ ran):
    problems.append('%s: %s' % (name, 'documented in README but not run by this test' if name in documented else 'run here but has no <!-- json: %s --> example in README' % name))

def kind(v):
    return 'null' if v is None else 'bool' if isinstance(v, bool) else 'number' if isinstance(v, (int, float)) \
        else 'string' if isinstance(v, str) else 'array' if isinstance(v, list) else 'object'

def compare(where, doc, real):
    if doc is None or real is None:
        return  # nullable: README shows one case
    if kind(doc) != kind(real):
        problems.append('%s: README has %s, output has %s' % (where, kind(doc), kind(real)))
    elif isinstance(doc, dict):
        for k in sorted(set(doc) - set(real)):
            problems.append('%s: README field "%s" is not in the output' % (where, k))
        for k in sorted(set(real) - set(doc)):
            problems.append('%s: output field "%s" is not in README' % (where, k))
        for k in set(doc) & set(real):
            compare(where + '.' + k, doc[k], real[k])
    elif isinstance(doc, list) and doc and real:
        compare(where + '[0]', doc[0], real[0])

for name in sorted(set(documented) & ran):
    doc = json.loads(documented[name])
    real = json.load(open(os.path.join(outdir, name), encoding='utf-8'))
    compare(name, doc, real)
if problems:
    print('\n'.join(problems), file=sys.stderr)
    sys.exit(1)
EOF
ok "--json fields and types match README for $(ls "$T/json" | wc -l) commands"

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

# report: the HTML page loads in headless Chromium without a console message
# (its Content-Security-Policy would report any script or external file),
# shows every serial, escapes hostile names, and draws the timeline; the
# iCalendar file is read by python3-icalendar (events, dates, alarms,
# summaries, escaping) and follows RFC 5545's line rules.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
# A CA name and a template name that try to inject markup, with the
# characters iCalendar must escape and some UTF-8.
CA_NAME='<script>alert("ca")</script>; A, B \ Ünïcødé'
HOSTILE_DIR="$T/<img src=x onerror=alert(1)><"
HOSTILE_TPL="$HOSTILE_DIR/script>alert(2)<.cnf"
mkdir -p "$HOSTILE_DIR" "$T/out"
cp "$MINICA_TEMPLATES/tls-server.cnf" "$HOSTILE_TPL"

# Under faketime two years ago: the CA, and a certificate that has expired since.
# (ASan must not insist on coming first when libfaketime is preloaded.)
past() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		faketime "$(date -u -d '-730 days' '+%Y-%m-%d %H:%M:%S')" "$MINICA" "$@" 2>"$T/.stderr" </dev/null
}
past init --name "$CA_NAME" --key ec:P-256 --domain corp.example --no-passphrase >/dev/null ||
	fail "init under faketime: $(cat "$T/.stderr")"
past issue --host old-relay --days 30 --key ec:P-256 --no-pfx --out "$T/out" >/dev/null ||
	fail "issue under faketime: $(cat "$T/.stderr")"
for spec in "mail-hub1 1825" "mail-edge1 40" "smtp-out 10"; do
	set -- $spec
	run issue --host "$1" --days "$2" --key ec:P-256 --no-pfx --out "$T/out"
	assert_rc 0 "issue $1"
done
run issue --host web1 --template "$HOSTILE_TPL" --key ec:P-256 --out "$T/out"
assert_rc 0 "issue with a hostile template name"
run --json list
assert_rc 0 "list --json"
LIST=$out
serials=$(printf '%s' "$LIST" | jq -r '.[].serial')
assert_eq "$(printf '%s\n' "$serials" | wc -l)" "5" "five certificates"
assert_eq "$(printf '%s' "$LIST" | jq -r '[.[] | select(.status == "expired")] | length')" "1" "one expired"
ok "store with five certificates, one expired, hostile CA and template names"

# ---- HTML ----
run report --html "$T/report.html"
assert_rc 0 "report --html"
assert_contains "$err" "wrote $T/report.html" "report says what it wrote"
assert_file_mode "$T/report.html" 644
H=$(cat "$T/report.html")
# self-contained: no script, no external file, no link anywhere
for bad in '<script' '<link' '<img' '<iframe' '<object' '<embed' 'url(' '@import' 'https:'; do
	if grep -qiF -- "$bad" "$T/report.html"; then
		fail "report.html contains '$bad'"
	fi
done
$PY - "$T/report.html" <<'EOF' || fail "report.html refers to something outside itself"
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            assert name not in ('src', 'href', 'srcset', 'action', 'data', 'background') and not name.startswith('on'), (tag, name, value)
            if name == 'xmlns':
                assert value == 'http://www.w3.org/2000/svg', value
P().feed(open(sys.argv[1], encoding='utf-8').read())
EOF
assert_contains "$H" "Content-Security-Policy" "CSP"
assert_contains "$H" '&lt;script&gt;alert(&quot;ca&quot;)&lt;/script&gt;; A, B \ Ünïcødé' "CA name escaped"
assert_contains "$H" '&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;alert(2)&lt;.cnf' "template name escaped"
for s in $serials; do
	assert_contains "$H" "$s" "serial $s in the page"
done
ok "HTML is self-contained and escaped"

# Existing file: refused without --force, replaced with it.
expect_error 73 "report.html already exists \(use --force" report --html "$T/report.html"
run report --html "$T/report.html" --force
assert_rc 0 "report --html --force"

# In a real browser: no console message at all (a CSP violation, a script,
# a failed load would each log one), every serial in the DOM, a screenshot.
command -v chromium >/dev/null || fail "chromium is not installed (make deps-test)"
chrome() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-extensions --user-data-dir="$T/chrome" --enable-logging=stderr --v=0 "$@"
}
# The console check must be able to fail: a page with a script under the same
# policy makes Chromium log a CSP violation.
sed 's|</body>|<script>console.log(1)</script></body>|' "$T/report.html" > "$T/control.html"
chrome --dump-dom "file://$T/control.html" >/dev/null 2>"$T/control.log" || fail "chromium on the control page"
grep -q ':CONSOLE' "$T/control.log" || fail "chromium logs no console message for a blocked script: the check below would prove nothing"
chrome --screenshot="$T/report.png" --window-size=1280,2000 --dump-dom "file://$T/report.html" \
	>"$T/dom.html" 2>"$T/chrome.log" || fail "chromium failed: $(tail -n 3 "$T/chrome.log")"
if grep ':CONSOLE' "$T/chrome.log" >&2; then
	fail "the report logs console messages in Chromium"
fi
DOM=$(cat "$T/dom.html")
for s in $serials; do
	assert_contains "$DOM" "id=\"s$s\"" "serial $s row in the DOM"
done
assert_not_contains "$DOM" "<script" "no script element in the DOM"
assert_not_contains "$DOM" "<img" "no img element in the DOM"
assert_contains "$DOM" '&lt;script&gt;alert("ca")&lt;/script&gt;' "CA name is text in the DOM"
ok "Chromium loads the page without console messages"

# The screenshot: a real 1280x2000 PNG with something drawn on it.
[ -s "$T/report.png" ] || fail "no screenshot"
$PY - "$T/report.png" <<'EOF' || fail "screenshot is not a plausible PNG"
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
w, h = struct.unpack('>II', data[16:24])
assert (w, h) == (1280, 2000), (w, h)
assert len(data) > 30000, len(data)  # a blank page compresses to a few kB
EOF
ok "screenshot $(stat -c %s "$T/report.png") bytes"

# The timeline: one lane for the CA and one per valid or expired certificate,
# each with its warning and critical windows; today marked once.
$PY - "$T/dom.html" <<'EOF' || fail "timeline"
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rects = {}; self.lines = {}; self.in_svg = 0; self.titles = 0; self.in_title = False; self.texts = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'svg': self.in_svg += 1
        if not self.in_svg: return
        if tag == 'rect': self.rects[a['class']] = self.rects.get(a['class'], 0) + 1
        if tag == 'line': self.lines[a['class']] = self.lines.get(a['class'], 0) + 1
        if tag == 'title': self.in_title = True; self.titles += 1
    def handle_endtag(self, tag):
        if tag == 'svg': self.in_svg -= 1
        if tag == 'title': self.in_title = False
    def handle_data(self, d):
        if self.in_title: self.texts.append(d)
p = P(); p.feed(open(sys.argv[1], encoding='utf-8').read())
lanes = 1 + 5  # CA + every certificate (all are valid or expired)
assert p.titles == lanes, p.titles
assert p.rects.get('win') == lanes and p.rects.get('winc') == lanes, p.rects
assert p.rects.get('life ca') == 1 and p.rects.get('life expired') == 1 and p.rects.get('life') == 4, p.rects
assert p.lines.get('today') == 1 and p.lines.get('end') == lanes, p.lines
assert any('old-relay' in t and 'expires' in t for t in p.texts), p.texts
EOF
ok "timeline lanes, windows and today"

# ---- iCalendar ----
run report --ics "$T/minica.ics"
assert_rc 0 "report --ics"
cp "$T/minica.ics" "$T/first.ics"
run report --ics "$T/minica.ics" --force
cmp -s "$T/first.ics" "$T/minica.ics" || fail "the calendar changes between two runs on the same store"
ok "calendar is stable across runs"

# RFC 5545 line rules, checked on the bytes: CRLF only, at most 75 octets,
# folds never split a UTF-8 sequence.
$PY - "$T/minica.ics" <<'EOF' || fail "iCalendar line rules"
import sys
data = open(sys.argv[1], 'rb').read()
assert data.endswith(b'\r\n'), 'no final CRLF'
assert b'\n' not in data.replace(b'\r\n', b''), 'bare LF'
assert b'\r' not in data.replace(b'\r\n', b''), 'bare CR'
folded = 0
for line in data[:-2].split(b'\r\n'):
    assert len(line) <= 75, (len(line), line)
    line.decode('utf-8')  # raises if a fold split a character
    folded += line.startswith(b' ')
assert folded > 5, folded
# TEXT escaping on the bytes (RFC 5545 3.3.11), independent of any parser
lines = data.replace(b'\r\n ', b'').decode('utf-8').split('\r\n')
want = 'SUMMARY:CA certificate expires: <script>alert("ca")</script>\\; A\\, B \\\\ Ünïcødé'
assert want in lines, [l for l in lines if l.startswith('SUMMARY:CA')]
EOF
ok "CRLF, 75-octet folding, whole UTF-8 sequences"

$PY - "$T/minica.ics" "$CA_NAME" "$LIST" 60 <<'EOF' || fail "python3-icalendar reading"
import datetime, json, sys
import icalendar
path, ca_name, listing, warn = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
cal = icalendar.Calendar.from_ical(open(path, 'rb').read())
assert str(cal['VERSION']) == '2.0'
assert str(cal['X-WR-CALNAME']) == 'minica: ' + ca_name, cal['X-WR-CALNAME']
events = cal.walk('VEVENT')
assert len(events) == 1 + len(listing), len(events)
ca = [e for e in events if str(e['UID']).startswith('ca-')]
assert len(ca) == 1
ca = ca[0]
assert str(ca['SUMMARY']) == 'CA certificate expires: ' + ca_name, str(ca['SUMMARY'])
assert 'The minica CA ' + ca_name + ' expires on ' in str(ca['DESCRIPTION']), str(ca['DESCRIPTION'])
assert sorted(a['TRIGGER'].dt for a in ca.walk('VALARM')) == [datetime.timedelta(days=-365), datetime.timedelta(days=-90)]
by_uid = {str(e['UID']): e for e in events}
for cert in listing:
    e = by_uid[cert['serial'] + '@minica']
    want = datetime.datetime.strptime(cert['not_after'], '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    assert e['DTSTART'].dt == want, (e['DTSTART'].dt, want)
    assert 'DTEND' not in e and 'DURATION' not in e
    assert str(e['SUMMARY']) == 'Certificate expires: ' + cert['names'][0], str(e['SUMMARY'])
    desc = str(e['DESCRIPTION'])
    assert 'minica renew --serial ' + cert['serial'] in desc, desc
    assert ', '.join(cert['names']) in desc, desc
    alarms = e.walk('VALARM')
    assert len(alarms) == 1 and alarms[0]['TRIGGER'].dt == datetime.timedelta(days=-warn), alarms
    assert str(alarms[0]['ACTION']) == 'DISPLAY' and str(alarms[0]['DESCRIPTION'])
    assert e['DTSTAMP'].dt.tzinfo is not None
EOF
ok "python3-icalendar: events, dates, alarms, summaries, escaping"

# --warn and --ca-warn move the alarms; '-' writes to standard output.
run report --ics - --warn 30 --ca-warn 120
assert_rc 0 "report --ics -"
printf '%s' "$out" > "$T/stdout.ics"
assert_eq "$(grep -c '^TRIGGER:-P30D' "$T/stdout.ics")" "5" "five leaf alarms at 30 days"
assert_eq "$(grep -c '^TRIGGER:-P120D' "$T/stdout.ics")" "1" "CA alarm at 120 days"
assert_eq "$(grep -c '^TRIGGER:-P90D' "$T/stdout.ics")" "1" "CA alarm at 90 days"
ok "--warn, --ca-warn, stdout"

# --json says what was written.
run --json report --html "$T/r2.html" --ics "$T/r2.ics"
assert_rc 0 "report --json"
assert_eq "$(printf '%s' "$out" | jq -c '[.html, .ics, .certificates, .events]')" "[\"$T/r2.html\",\"$T/r2.ics\",5,6]" "report --json"
ok "--json"

# Bad invocations: one line, the SPEC exit code, nothing written.
expect_error 64 "give --html FILE, --ics FILE or both" report
expect_error 64 "--warn '0': must be between" report --ics "$T/x.ics" --warn 0
expect_error 64 "--ca-warn 'soon': not a whole number" report --ics "$T/x.ics" --ca-warn soon
expect_error 64 "only one of --html and --ics" report --html - --ics -
expect_error 64 "--html and --ics name the same file" report --html "$T/same" --ics "$T/same" --force
expect_error 64 "--json reports on standard output" --json report --ics -
expect_error 64 "unexpected argument" report --ics "$T/x.ics" extra
expect_error 73 "minica.ics already exists" report --html "$T/new.html" --ics "$T/minica.ics"
[ ! -e "$T/new.html" ] || fail "report wrote the HTML although the calendar could not be written"
expect_error 73 "cannot create .*r.html: No such file or directory" report --html "$T/no/such/dir/r.html"
MINICA_STORE="$T/empty" expect_error 66 "not initialised" report --ics "$T/x.ics"
[ ! -e "$T/x.ics" ] || fail "a failed report left a file"
ok "bad invocations"

finish

# README.md is the front door, and nothing it says goes unchecked:
# - it stays under 300 lines;
# - every relative link in README and in docs/*.md names a file that exists
#   (and a heading that exists, for a link with #anchor);
# - every command block marked "<!-- readme-test: NAME -->" runs: its minica
#   and mkdir lines, in order, each exiting 0 (init with an EC key for speed,
#   /etc and /srv moved into the test's directory), in a directory of its
#   own that holds certs.txt (inventory's example input); a block with an
#   init starts a store named after it, the others name the store they use
#   ("<!-- readme-test: NAME STORE -->");
# - the output shown under "<!-- readme-output: COMMAND -->" is what COMMAND
#   prints, line by line, once serials, thumbprints, dates and the working
#   directory (shown as /root) are set aside.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"
README="$SRC/README.md"

lines=$(wc -l < "$README")
[ "$lines" -lt 300 ] || fail "README.md has $lines lines (keep it under 300: move reference to man/minica.1 or docs/)"
ok "README.md has $lines lines"

/usr/bin/python3 - "$SRC" <<'EOF' || fail "README or docs link to something that does not exist"
import os, re, sys
src = sys.argv[1]
def slug(heading):
    h = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return h.replace(' ', '-')
def anchors(path):
    text = open(path, encoding='utf-8').read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    return {slug(m) for m in re.findall(r'^#+\s+(.*)$', text, re.M)}
pages = [os.path.join(src, 'README.md')] + sorted(
    os.path.join(src, 'docs', f) for f in os.listdir(os.path.join(src, 'docs')) if f.endswith('.md'))
problems, links = [], 0
for page in pages:
    text = re.sub(r'```.*?```', '', open(page, encoding='utf-8').read(), flags=re.S)
    for target in re.findall(r'\]\(([^)\s]+)\)', text):
        if re.match(r'[a-z]+:', target):
            continue  # http:, https:, mailto:
        links += 1
        path, _, anchor = target.partition('#')
        full = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        where = os.path.relpath(page, src)
        if not os.path.exists(full):
            problems.append('%s links to %s, which does not exist' % (where, target))
        elif anchor and full.endswith('.md') and anchor not in anchors(full):
            problems.append('%s links to %s, which has no heading #%s' % (where, path or where, anchor))
if problems:
    print('\n'.join(problems), file=sys.stderr)
    sys.exit(1)
EOF
ok "every link in README.md and docs/*.md points at a file (and heading) that exists"

# The marked command blocks, as shell scripts, one per block.
mkdir -p "$T/blocks"
/usr/bin/python3 - "$README" "$T/blocks" <<'EOF' || fail "cannot read README's command blocks"
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
blocks = re.findall(r'<!-- readme-test: ([\w-]+) ?([\w-]*) -->\n```\n(.*?)```', text, re.S)
assert len(blocks) >= 5, 'expected the marked blocks of README, found %d' % len(blocks)
for i, (name, store, body) in enumerate(blocks):
    cmds = [re.sub(r'\s+#.*', '', l) for l in body.splitlines() if re.match(r'(minica|mkdir) ', l)]
    assert cmds, name + ': no command in the block'
    if any(c.startswith('minica init') for c in cmds):
        store = name
    assert store, name + ': a block without init must name the store of an earlier block'
    with open('%s/%02d-%s.%s.sh' % (sys.argv[2], i, name, store), 'w') as f:
        f.write('\n'.join(cmds) + '\n')
EOF
export MINICA_PASS_FILE="$PASS"
cp "$SRC/tests/fixtures/inventory/en-US.txt" "$T/certs.txt"
for block in "$T"/blocks/*.sh; do
	name=$(basename "$block" .sh)
	export MINICA_STORE="$T/store-${name##*.}"
	name=${name%.*}
	if ! grep -q '^minica init' "$block"; then
		[ -d "$MINICA_STORE" ] || fail "README block $name: no earlier block made its store ${MINICA_STORE##*-}"
	fi
	mkdir -p "$T/run-$name"
	cp "$T/certs.txt" "$T/run-$name/"
	# minica is the binary under test; an init gets an EC key; /etc and /srv
	# are moved under $T/root.
	{
		printf 'minica() { "$MINICA" "$@"; }\n'
		sed -e "s|^minica init |minica init --key ec:P-256 |" \
			-e "s| /etc/| $T/root/etc/|g" -e "s| /srv/| $T/root/srv/|g" "$block" |
			sed 's/$/ || exit 1/'
	} > "$T/$name.run"
	mkdir -p "$T/root/etc/systemd/system" "$T/root/srv/certs"
	out=$(cd "$T/run-$name" && sh -x "$T/$name.run" 2>&1 </dev/null)
	rc=$?
	err=""
	assert_rc 0 "README block $name"
	ok "README block $name runs"
done

# The output shown in README is the output of the command above it.
out=""
grep -o '<!-- readme-output: .* -->' "$README" | sed 's/<!-- readme-output: //; s/ -->$//' > "$T/outputs"
[ -s "$T/outputs" ] || fail "README has no readme-output block"
while IFS= read -r cmd; do
	dir="$T/out-$(printf '%s' "$cmd" | tr -c 'a-z0-9' '-')"
	mkdir -p "$dir"
	export MINICA_STORE="$dir/store"
	(cd "$dir" && "$MINICA" init --name "Corp Mail CA" --org Corp --domain corp.example --key ec:P-256 >/dev/null) ||
		fail "init for '$cmd'"
	args=$(printf '%s' "$cmd" | sed 's/^minica //')
	# shellcheck disable=SC2086 # the README's command, split as a shell would
	real=$(cd "$dir" && "$MINICA" $args 2>/dev/null)
	printf '%s\n' "$real" > "$T/real"
	/usr/bin/python3 - "$README" "$cmd" "$T/real" "$dir" <<'EOF' || fail "README's output of '$cmd' is not what it prints"
import re, sys
readme, cmd, realfile, cwd = sys.argv[1:]
text = open(readme, encoding='utf-8').read()
shown = re.search(r'<!-- readme-output: ' + re.escape(cmd) + r' -->\n```\n(.*?)```', text, re.S).group(1)
real = open(realfile, encoding='utf-8').read().replace(cwd, '/root')
def norm(s):
    s = re.sub(r'\b[0-9A-F]{40}\b', 'THUMBPRINT', s)
    s = re.sub(r'\b[0-9A-F]{32}\b', 'SERIAL', s)
    s = re.sub(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC', 'DATE', s)
    return s.rstrip('\n').split('\n')
a, b = norm(shown), norm(real)
for i in range(max(len(a), len(b))):
    x = a[i] if i < len(a) else '(nothing)'
    y = b[i] if i < len(b) else '(nothing)'
    if x != y:
        print('line %d: README shows\n  %s\nminica prints\n  %s' % (i + 1, x, y), file=sys.stderr)
        sys.exit(1)
EOF
	ok "README shows what '$cmd' prints"
done < "$T/outputs"

finish

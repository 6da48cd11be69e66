# The paper cuts a mail admin met in everyday use (issue 19), one section
# each. Each section runs in a subshell, so that against an old binary every
# cut that is back shows up, not only the first; the file fails if any does.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"

export MINICA_PASS_FILE="$PASS"
run init --name "Cuts CA" --key ec:P-256 --domain corp.example
assert_rc 0 "init"
out=""
mkdir -p "$T/o"
FAILED=""
section() { # NAME: the checks that follow, up to 'end', run in a subshell
	SECTION=$1
}
end() {
	rc=$?
	[ "$rc" -eq 0 ] || FAILED="$FAILED $SECTION"
	[ "$rc" -eq 0 ] && TESTS_RUN=$((TESTS_RUN + 1))
}

section days
(
	# A 1825-day certificate shows 1825 days at once, not 1824.
	run issue --host days1 --key ec:P-256 --days 1825 --out "$T/o"
	assert_rc 0 "issue"
	assert_contains "$out" "(1825 days)" "issue says 1825 days"
	sleep 2
	run list --host days1
	assert_match "$out" " 1825  smtp-transport  days1" "list shows 1825 days 2 s later: $out"
	serial=$("$MINICA" --json list --host days1 | jq -r '.[0].serial')
	assert_eq "$("$MINICA" --json show "$serial" | jq .days_left)" 1825 "show --json days_left"
) ; end

section postfix-path
(
	# Postfix resolves relative paths against its own directory: print them absolutely.
	mkdir -p "$T/rel"
	run issue --host pf1 --key ec:P-256 --no-pfx --out rel
	assert_rc 0 "issue --out rel"
	assert_contains "$out" "smtpd_tls_chain_files = $T/rel/pf1.key, $T/rel/pf1.chain.pem" "absolute Postfix paths"
) ; end

section domain-warning
(
	# A typo in the domain is issued, with a warning naming the store's domain.
	run issue --host mail-hub5.corp.exmaple --key ec:P-256 --out "$T/o"
	assert_rc 0 "issue outside the domain"
	assert_match "$err" "^minica: warning: host name 'mail-hub5.corp.exmaple' is not under the store's domain corp.example" "warning"
	run issue --host mail-hub6.corp.example --host mail-hub6 --key ec:P-256 --out "$T/o"
	assert_rc 0 "issue inside the domain"
	assert_not_contains "$err" "warning" "no warning inside the domain"
	run issue --host 192.0.2.7 --key ec:P-256 --out "$T/o"
	assert_not_contains "$err" "warning" "no warning for an IP address"
	# under --permit-dns it is refused, as before
	nc="$T/nc-store"
	"$MINICA" --store "$nc" init --name "NC CA" --key ec:P-256 --domain corp.example --permit-dns corp.example >/dev/null 2>&1 ||
		fail "init --permit-dns"
	MINICA_STORE="$nc" expect_error 65 "outside the CA's permitted DNS names \(corp.example\)" \
		issue --host mail-hub5.corp.exmaple --key ec:P-256 --out "$T/o"
) ; end

section help-store
(
	run --help
	assert_contains "$out" "~/.local/share/minica" "--help names the ~/.local/share fallback"
) ; end

section options
(
	# No abbreviations: --hosts is not --hosts-file; unknown options point to --help.
	expect_error 64 "^minica: unknown option '--hosts' \(see 'minica issue --help'\)$" issue --hosts mail-hub3
	expect_error 64 "^minica: unknown option '--bogus' \(see 'minica list --help'\)$" list --bogus
	expect_error 64 "^minica: unknown option '-x' \(see 'minica list --help'\)$" list -x
	expect_error 64 "^minica: unknown option '--stor' \(see 'minica --help'\)$" --stor "$MINICA_STORE" list
	expect_error 64 "unknown option '--pfx-pass'" export --host days1 --pfx-pass x
	# spelled out, everything still works: = and separate values, short options, --
	run list --status=valid --host days1
	assert_rc 0 "list --status=valid"
	run -q list --status valid
	assert_rc 0 "-q list --status valid"
	# one name per --host
	expect_error 65 "host name 'a,b': one name per --host: repeat --host for each name" issue --host a,b
) ; end

section export-dir
(
	mkdir -p "$T/pfxdir"
	expect_error 64 "^minica: --pfx $T/pfxdir/ is a directory: --pfx takes the PFX file's name \(for example --pfx $T/pfxdir/days1.pfx\)" \
		export --host days1 --pfx "$T/pfxdir/"
	expect_error 64 "--pfx $T/pfxdir is a directory: --pfx takes the PFX file's name" \
		export --host days1 --pfx "$T/pfxdir" --force
) ; end

section host-not-serial
(
	expect_error 65 "serial 'relay-b': not a hexadecimal serial number of at most 32 digits; for a host name use --host relay-b$" show relay-b
	expect_error 65 "serial 'relay-b': .*; for a host name use --host relay-b$" revoke relay-b
	expect_error 65 "serial 'relay-b': .*; for a host name use --host relay-b$" export --serial relay-b --pem "$T/o"
	# a serial that is only too long gets no host hint
	long=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
	expect_error 65 "serial '$long': not a hexadecimal serial number of at most 32 digits$" show "$long"
) ; end

section revoke-host
(
	run issue --host relay-b --key ec:P-256 --out "$T/o"
	assert_rc 0 "issue relay-b"
	serial=$("$MINICA" --json list --host relay-b | jq -r '.[0].serial')
	run --json revoke --host relay-b --reason cessationOfOperation
	assert_rc 0 "revoke --host"
	assert_eq "$(printf '%s' "$out" | jq -r .serial)" "$serial" "revoke --host revoked relay-b's certificate"
	assert_eq "$("$MINICA" --json show "$serial" | jq -r .status)" revoked "relay-b is revoked"
	expect_error 66 "host relay-b has no valid certificate" revoke --host relay-b
	# two valid certificates (a rollover): refused, naming both
	run issue --host relay-c --key ec:P-256 --out "$T/o"
	run issue --host relay-c --key ec:P-256 --out "$T/o" --force
	expect_error 65 "host relay-c has 2 valid certificates \([0-9A-F]{32}, [0-9A-F]{32}\): give the serial" revoke --host relay-c
) ; end

section renew-rollover
(
	# Two overlapping certificates of one host (a rollover): renew --expiring
	# renews the newest once and reports the other, instead of failing on
	# "file exists" at the second.
	run issue --host roll1 --key ec:P-256 --days 20 --out "$T/o"
	old=$(printf '%s' "$out" | sed -n 's/^  serial *//p')
	run issue --host roll1 --key ec:P-256 --days 30 --out "$T/o" --force
	new=$(printf '%s' "$out" | sed -n 's/^  serial *//p')
	mkdir -p "$T/roll"
	run renew --expiring 40 --out "$T/roll"
	assert_rc 0 "renew --expiring during a rollover"
	assert_match "$out" "^renewed +roll1 +$new " "the newest is renewed"
	assert_match "$out" "^replaced +roll1 +$old +certificate $new has the same names" "the older is reported"
	assert_eq "$(printf '%s
' "$out" | grep -c '^renewed  ')" 1 "one renewal"
	run --json renew --expiring 40 --out "$T/roll"
	assert_rc 0 "nothing left to renew"
) ; end

section schedule-templates
(
	# The templates in use when scheduling reach the timer's remind, which
	# needs them to warn that the CA ends before a new certificate would.
	mkdir -p "$T/tpl"
	sed 's/^days *=.*/days = 3650/' "$MINICA_TEMPLATES/smtp-transport.cnf" > "$T/tpl/long.cnf"
	export MINICA_STORE="$T/short-store"
	"$MINICA" init --name "Short CA" --key ec:P-256 --years 5 --no-passphrase >/dev/null 2>&1 || fail "init"
	run --templates "$T/tpl" schedule --cron
	assert_rc 0 "schedule --cron"
	line=$(printf '%s
' "$out" | head -1)
	assert_contains "$line" " --templates $T/tpl remind" "the cron line names the template directory"
	# cron's environment: no MINICA_TEMPLATES, another directory
	cmd=$(printf '%s' "$line" | cut -d' ' -f6-)
	out=$(cd / && env -i PATH=/usr/bin:/bin HOME="$T" /bin/sh -c "$cmd" 2>&1)
	rc=$?
	assert_rc 1 "the scheduled remind warns"
	assert_contains "$out" "sooner than a new long certificate (3650 days)" "the CA-outlives warning reaches the timer"
	mkdir -p "$T/units"
	run --templates "$T/tpl" schedule --systemd "$T/units"
	assert_rc 0 "schedule --systemd"
	grep -q "^ExecStart=.* --templates $T/tpl remind" "$T/units/minica-remind.service" ||
		fail "the unit does not name the template directory: $(grep ExecStart "$T/units/minica-remind.service")"
) ; end

section no-templates
(
	# No template anywhere: check and remind say so instead of skipping the check.
	installed=$("$MINICA" templates --help | tr '\n' ' ' | sed -n 's/.*\$MINICA_TEMPLATES, then \([^ ]*\).*/\1/p' | sed 's/[.,]$//')
	if ls "$installed"/*.cnf >/dev/null 2>&1; then
		echo "SKIPPED: no-templates: templates are installed in $installed" >&2
		exit 0
	fi
	mkdir -p "$T/empty"
	MINICA_TEMPLATES="$T/empty" run check
	assert_rc 0 "check without templates"
	assert_contains "$err" "minica: warning: no templates found (searched $T/empty, $installed): cannot tell whether the CA outlives a new certificate" "check says no templates"
	MINICA_TEMPLATES="$T/empty" run remind
	assert_contains "$err" "no templates found" "remind says no templates"
) ; end

section report-html
(
	# Revoked rows show no days left; a count of zero is not drawn in red.
	export MINICA_STORE="$T/report-store"
	"$MINICA" init --name "Report CA" --key ec:P-256 --no-passphrase >/dev/null 2>&1 || fail "init"
	run --json issue --host gone1 --key ec:P-256 --out "$T/o" --force
	gone=$(printf '%s' "$out" | jq -r .serial)
	run issue --host kept1 --key ec:P-256 --out "$T/o" --force
	run revoke "$gone" --reason cessationOfOperation
	assert_rc 0 "revoke"
	run report --html "$T/report.html"
	assert_rc 0 "report"
	row=$(grep -o "<tr class=\"[a-z]*\" id=\"s$gone\">.*" "$T/report.html" | head -1)
	assert_match "$row" '<td class="num"></td></tr>$' "the revoked row shows no days left: $row"
	row=$(grep -o '<tr class="[a-z]*" id="s[0-9A-F]*">.*kept1.*' "$T/report.html" | head -1)
	assert_match "$row" '<td class="num">1825</td></tr>$' "a valid row shows its days: $row"
	# nothing expiring, nothing expired: those cards are muted, not warn/crit/expired
	for what in "expiring within 60 days" "expiring within 14 days" "expired"; do
		card=$(grep -o "<div class=\"card [a-z]*\"><b>[0-9]*</b><span>$what</span>" "$T/report.html")
		assert_eq "$card" "<div class=\"card inactive\"><b>0</b><span>$what</span>" "zero count '$what'"
	done
	card=$(grep -o '<div class="card [a-z]*"><b>[0-9]*</b><span>valid</span>' "$T/report.html")
	assert_eq "$card" '<div class="card ok"><b>1</b><span>valid</span>' "one valid certificate"
) ; end

section bulk-terminal
(
	# On a terminal (script(1) gives minica a pty), the progress line is wiped
	# before result rows, never glued to one, and rows come in file order.
	export MINICA_STORE="$T/bulk-store"
	"$MINICA" init --name "Bulk CA" --key ec:P-256 --no-passphrase >/dev/null 2>&1 || fail "init"
	i=1
	while [ $i -le 40 ]; do echo "bulk$i"; i=$((i + 1)); done > "$T/bulk-hosts"
	mkdir -p "$T/bulk"
	timeout 120 script -qec "'$MINICA' issue --hosts-file '$T/bulk-hosts' --key ec:P-256 --no-pfx --out '$T/bulk'" \
		/dev/null > "$T/pty" 2>&1 || fail "issue --hosts-file on a pty: $(tail -c 300 "$T/pty")"
	if grep -aq 'minica: issued [0-9]* of [0-9]* ([^)]*)   [0-9A-F]\{32\}' "$T/pty"; then
		fail "a result row is glued to the progress line: $(grep -a 'minica: issued' "$T/pty" | head -1 | cat -v)"
	fi
	order=$(tr -d '\r' < "$T/pty" | grep -ao 'bulk[0-9]*\.crt$' | tr '\n' ' ')
	assert_eq "$order" "$(sed 's/$/.crt/' "$T/bulk-hosts" | tr '\n' ' ')" "rows in file order"
	run --json issue --hosts-file "$T/bulk-hosts" --key ec:P-256 --no-pfx --out "$T/bulk" --force
	assert_rc 0 "issue --hosts-file --json"
	assert_eq "$(printf '%s' "$out" | jq -r '.[].names[0]' | tr '\n' ' ')" "$(tr '\n' ' ' < "$T/bulk-hosts")" "JSON in file order"
) ; end

section inventory-issue
(
	# inventory --issue decides the role per certificate (an Edge gets the
	# EdgeSync steps), and the replacement it shows names exactly what it issues.
	# a block of 'Get-ExchangeCertificate | fl': NAME SERVICES THUMBPRINT
	block() {
		printf '\nAccessRules        : {System.Security.AccessControl.CryptoKeyAccessRule}\n'
		printf 'CertificateDomains : {%s}\nHasPrivateKey      : True\nIsSelfSigned       : True\n' "$1"
		printf 'Issuer             : CN=%s\nNotAfter           : 12/13/2008 2:01:11 PM\n' "$1"
		printf 'NotBefore          : 12/13/2007 2:01:11 PM\nServices           : %s\n' "$2"
		printf 'Status             : Valid\nSubject            : CN=%s\nThumbprint         : %s\n' "$1" "$3"
	}
	{
		block mail-edge1 SMTP E0A0000000000000000000000000000000000001
		block mail-hub7 "IMAP, POP, IIS, SMTP" E0A0000000000000000000000000000000000002
	} > "$T/edge.txt"
	run inventory "$T/edge.txt"
	assert_contains "$out" "replace with   minica issue --host mail-edge1 --host mail-edge1.corp.example" "preview names the qualified name too"
	mkdir -p "$T/inv"
	run --json inventory "$T/edge.txt" --issue --out "$T/inv"
	assert_rc 0 "inventory --issue"
	assert_eq "$(printf '%s' "$out" | jq -r '[.runbooks[].role] | join(" ")')" "edge hub" "roles per certificate"
	assert_eq "$(printf '%s' "$out" | jq -c '[.certificates[].replacement.hosts]')" \
		"$(printf '%s' "$out" | jq -c '[.issued[].names]')" "the preview's names are the issued names"
	assert_contains "$(printf '%s' "$out" | jq -r '.runbooks[0].steps[].commands[]')" "New-EdgeSubscription" "EdgeSync steps for the Edge"
	assert_not_contains "$(printf '%s' "$out" | jq -r '.runbooks[1].steps[].commands[]')" "New-EdgeSubscription" "no EdgeSync steps for the Hub"
	run inventory "$T/edge.txt" --issue --out "$T/inv" --force
	assert_contains "$out" "(line 2, EXPIRED): Edge Transport server (its Services are SMTP only" "the role and why"
	run --json inventory "$T/edge.txt" --issue --out "$T/inv" --force --role hub
	assert_eq "$(printf '%s' "$out" | jq -r '[.runbooks[].role] | join(" ")')" "hub hub" "--role decides for all"
) ; end

[ -z "$FAILED" ] || fail "paper cuts back:$FAILED"
finish

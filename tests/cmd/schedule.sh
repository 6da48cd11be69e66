# schedule: the systemd service + timer (absolute paths, quoting, Persistent,
# checked by systemd-analyze verify when it is there) and the crontab line,
# which is run through /bin/sh to prove it works as printed.
. "$(dirname "$0")/../lib.sh"
# The template directory in use (tests/run.sh sets $MINICA_TEMPLATES) reaches
# the scheduled remind as --templates, absolute.
tpl=$(cd "$MINICA_TEMPLATES" && pwd -P)

exe=$(realpath "$MINICA")
# A store whose path needs quoting, reached through a relative path.
export MINICA_STORE="my store"
expect_error 66 "not initialised" schedule --systemd "$T"
run init --name "Schedule CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init"
store=$(realpath "$T/my store")

# Usage errors change nothing.
mkdir "$T/units"
expect_error 64 "give either --systemd DIR or --cron" schedule
expect_error 64 "give either --systemd DIR or --cron" schedule --systemd "$T/units" --cron
expect_error 64 "--on-calendar 'daily; rm -rf /': not a calendar event" schedule --systemd "$T/units" --on-calendar 'daily; rm -rf /'
expect_error 64 "--on-calendar '.*\\\\x0A.*': not a calendar event" schedule --systemd "$T/units" --on-calendar "$(printf 'daily\nExecStart=/bin/sh')"
expect_error 64 "--mail 'x': give a plain address" schedule --systemd "$T/units" --mail x
expect_error 64 "--from and --sendmail need --mail" schedule --cron --from a@b.example
expect_error 64 "--cron takes --on-calendar hourly, daily, weekly or monthly" schedule --cron --on-calendar 'Mon *-*-* 06:00'
expect_error 64 "--force is for --systemd" schedule --cron --force
expect_error 73 "output directory $T/nonesuch: No such file" schedule --systemd "$T/nonesuch"
[ -z "$(ls "$T/units")" ] || fail "a failed schedule wrote files"
if command -v systemd-analyze >/dev/null; then
	expect_error 64 "--on-calendar 'bogus': systemd does not accept it" schedule --systemd "$T/units" --on-calendar bogus
fi
ok "bad options"

run schedule --systemd "$T/units" --mail postmaster@corp.example --mail hostmaster@corp.example --sendmail "/usr/sbin/sendmail -t -oi" --leaf-warn 45
assert_rc 0 "schedule --systemd"
service="$T/units/minica-remind.service"
timer="$T/units/minica-remind.timer"
assert_file_mode "$service" 644
assert_file_mode "$timer" 644
exec_line=$(grep '^ExecStart=' "$service")
assert_eq "$exec_line" "ExecStart=$exe --store \"$store\" --templates $tpl remind --mail postmaster@corp.example --mail hostmaster@corp.example --sendmail \"/usr/sbin/sendmail -t -oi\" --leaf-warn=45" "ExecStart"
assert_eq "$(grep -c '^Type=oneshot$' "$service")" "1" "Type=oneshot"
assert_eq "$(grep '^User=' "$service")" "User=$(id -un)" "User= is the store's owner"
assert_eq "$(grep '^SuccessExitStatus=' "$service")" "SuccessExitStatus=1 2" "WARNING and CRITICAL are not failures"
assert_eq "$(grep '^OnCalendar=' "$timer")" "OnCalendar=daily" "OnCalendar"
assert_eq "$(grep '^Persistent=' "$timer")" "Persistent=true" "Persistent"
assert_eq "$(grep '^WantedBy=' "$timer")" "WantedBy=timers.target" "WantedBy"
assert_contains "$out" "systemctl enable --now minica-remind.timer" "how to enable it"
case "$exe" in /*) ;; *) fail "the binary's path is not absolute" ;; esac
ok "the service and the timer"

if command -v systemd-analyze >/dev/null && systemd-analyze --version >/dev/null 2>&1; then
	v=$(systemd-analyze verify "$service" "$timer" 2>&1)
	[ $? -eq 0 ] || fail "systemd-analyze verify: $v"
	assert_eq "$v" "" "systemd-analyze verify says nothing"
	# Control: verify does catch a unit whose program does not exist.
	sed "s|^ExecStart=$exe|ExecStart=$T/nonesuch|" "$service" > "$T/minica-remind.service"
	cp "$timer" "$T/minica-remind.timer"
	systemd-analyze verify "$T/minica-remind.service" "$T/minica-remind.timer" >/dev/null 2>&1 &&
		fail "systemd-analyze verify accepted a missing program"
	ok "systemd-analyze verify accepts the pair"
else
	echo "schedule.sh: systemd-analyze is not available here: the unit files were checked by content only"
fi

# Existing files are kept without --force; with it both are replaced.
units_before=$(cat "$service" "$timer" | sha256sum)
expect_error 73 "minica-remind.service already exists \(use --force" schedule --systemd "$T/units"
assert_eq "$(cat "$service" "$timer" | sha256sum)" "$units_before" "files unchanged"
run schedule --systemd "$T/units" --force --on-calendar 'Mon *-*-* 06:00:00'
assert_rc 0 "schedule --force --on-calendar"
assert_eq "$(grep '^OnCalendar=' "$timer")" "OnCalendar=Mon *-*-* 06:00:00" "OnCalendar"
assert_eq "$(grep '^ExecStart=' "$service")" "ExecStart=$exe --store \"$store\" --templates $tpl remind" "ExecStart without mail"
run --json schedule --systemd "$T/units" --force
assert_eq "$(printf '%s' "$out" | jq -r '"\(.on_calendar) \(.timer)"')" "daily $T/units/minica-remind.timer" "JSON"
ok "--force and --on-calendar"

# The crontab line: five time fields and a command that /bin/sh runs as printed.
run schedule --cron --mail postmaster@corp.example
assert_rc 0 "schedule --cron --mail"
assert_eq "$(printf '%s\n' "$out" | wc -l)" "1" "one line"
assert_eq "$out" "17 6 * * * $exe --store '$store' --templates $tpl -q remind --mail postmaster@corp.example" "cron line with --mail"
run schedule --cron --on-calendar weekly
assert_eq "$out" "17 6 * * 1 $exe --store '$store' --templates $tpl remind" "weekly cron line"
cmd=$(printf '%s\n' "$out" | cut -d' ' -f6-)
(cd / && env -i PATH=/usr/bin:/bin sh -c "$cmd" > "$T/cron.out" 2>&1)
assert_eq "$?" "0" "the cron command runs from / with cron's environment (nothing due)"
assert_eq "$(cat "$T/cron.out")" "" "nothing due, nothing printed (cron mails nothing)"
run issue --host mail-hub1 --key ec:P-256 --days 20 --no-pfx --out "$T"
assert_rc 0 "issue a 20-day certificate"
(cd / && env -i PATH=/usr/bin:/bin sh -c "$cmd" > "$T/cron.out" 2>&1)
assert_eq "$?" "1" "the cron command reports a WARNING"
assert_contains "$(cat "$T/cron.out")" "renew --host mail-hub1" "what cron would mail"
run --json schedule --cron
assert_eq "$(printf '%s' "$out" | jq -r .cron)" "17 6 * * * $exe --store '$store' --templates $tpl remind" "JSON"
ok "the crontab line"

finish

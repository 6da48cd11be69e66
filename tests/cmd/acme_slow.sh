# minica serve against slow and many clients (tests/acme_flood.py), scaled
# down from the bench's hostile row: a request dripped one byte at a time is
# closed at --request-timeout; a body over 64 KiB is refused before it is
# read, so clients pushing large bodies cost little memory; connections over
# --max-connections-per-address and --max-connections are closed at once
# while other clients are served; the log stays short; the unit that
# 'serve --systemd' writes allows enough descriptors.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"
FLOOD="$TESTDIR/acme_flood.py"

make_ca --domain corp.example --permit-dns corp.example --permit-ip 127.0.0.0/8

# flood ARGS...: the load against the server started last (its front, which
# holds the connections, is the process measured); sets $res
flood() {
	res=$(timeout 120 /usr/bin/python3 "$FLOOD" 127.0.0.1 "$ACME_PORT" "$T/ca.pem" --pid "$FRONT_PID" \
		"$@" 2>"$T/flood.err") || fail "acme_flood: $(tail -3 "$T/flood.err")"
}
# p99 LIST: the 99th percentile of a sorted JSON array of numbers
p99() { printf '%s' "$res" | jq "$1 | .[((length * 99 / 100) | floor)] // 99999"; }

# 1. Slow clients: one byte every second, closed at the 3 s deadline (they
# are never silent for the 10 s idle timeout).
start_serve --request-timeout 3
flood --slow 40 --sources 4 --drip 1 --seconds 12 --dir 10
n_open=$(printf '%s' "$res" | jq '[.slow_closed_after[] | select(. == null)] | length')
assert_eq "$n_open" "0" "slow clients still open after 12 s"
late=$(printf '%s' "$res" | jq '[.slow_closed_after[] | select(. > 6)] | length')
assert_eq "$late" "0" "slow clients closed after more than 6 s: $(printf '%s' "$res" | jq -c .slow_closed_after)"
assert_eq "$(printf '%s' "$res" | jq '.dir_errors | length')" "0" "directory errors: $(printf '%s' "$res" | jq -c .dir_errors)"
ok "40 slow clients closed at the deadline ($(printf '%s' "$res" | jq -c '.slow_closed_after | max') s at most), directory p99 $(p99 .dir_ms) ms"
stop_pid "$SERVE_PID"

# 2. Large bodies: 413 from the Content-Length alone; the server stays small
# (before: evhttp buffered up to 1 MiB of each body).
start_serve
base_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$FRONT_PID/status")
flood --big 120 --sources 4 --big-bytes 1000000 --seconds 8 --dir 5
grow=$(( $(printf '%s' "$res" | jq .rss_kb_peak) - base_kb ))
bad=$(printf '%s' "$res" | jq '[.big_statuses[] | select(. != 413 and . != "closed")] | length')
assert_eq "$bad" "0" "large bodies answered $(printf '%s' "$res" | jq -c '.big_statuses | unique')"
[ "$grow" -lt $(by_build 24000 48000) ] || fail "120 clients pushing 1 MB bodies grew the server by $grow KiB"
ok "120 clients pushing large bodies: refused, the server grew by $grow KiB"
stop_pid "$SERVE_PID"

# 3. Caps: 30 connections from 127.0.0.9 with 10 allowed per address; then
# 40 slow clients with 30 allowed in total. The directory still answers
# from 127.0.0.1, and the log says so in a line or two, not one per client.
start_serve --max-connections-per-address 10 --max-connections 30 --request-timeout 20
flood --burst 30 --burst-from 127.0.0.9 --seconds 4 --dir 5
assert_eq "$(printf '%s' "$res" | jq .burst_closed)" "20" "connections closed over the per-address cap"
assert_eq "$(printf '%s' "$res" | jq '.dir_errors | length')" "0" "directory beside the burst: $(printf '%s' "$res" | jq -c .dir_errors)"
flood --slow 40 --sources 10 --drip 1 --seconds 4 --dir 0
peak=$(printf '%s' "$res" | jq .slow_open_peak)
[ "$peak" -le 30 ] && [ "$peak" -ge 25 ] || fail "$peak slow connections open at once with --max-connections 30"
lines=$(grep -c 'closed' "$T/serve.log")
[ "$lines" -le 4 ] || fail "$lines log lines about closed connections: $(head -5 "$T/serve.log")"
assert_contains "$(cat "$T/serve.log")" "--max-connections-per-address 10" "the log names the option"
ok "caps: 20 of 30 closed from one address, at most $peak open of 40 slow clients, $lines log lines"
stop_pid "$SERVE_PID"

# 4. Few descriptors (a soft and hard limit of 100): --max-connections is
# lowered to fit, with a word; 150 connections do not make accept() spin
# (before: 100% CPU and a "Too many open files" line per attempt), and the
# directory answers once they are gone.
ACME_PORT=$(free_port)
(ulimit -n 100 && exec "$MINICA" --pass-file "$PASS" serve --listen "127.0.0.1:$ACME_PORT" \
	--server-name acme.corp.example --request-timeout 20) >"$T/serve.log" 2>&1 &
SERVE_PID=$!
PIDS="$PIDS $SERVE_PID"
wait_port "$ACME_PORT" 60
FRONT_PID=$(front_of "$SERVE_PID")
cpu() { awk '{ print $14 + $15 }' "/proc/$FRONT_PID/stat"; }
cpu0=$(cpu)
flood --slow 150 --sources 10 --drip 1 --seconds 4 --dir 0
ticks=$(( $(cpu) - cpu0 ))
[ "$ticks" -lt 100 ] || fail "the server used $ticks clock ticks of CPU in 4 s with 150 connections"
curl -sf -o /dev/null --cacert "$T/ca.pem" "https://127.0.0.1:$ACME_PORT/acme/directory" ||
	fail "no directory after the connections closed"
assert_contains "$(cat "$T/serve.log")" "--max-connections 4096 lowered to 36" "the lowered cap is said"
lines=$(wc -l <"$T/serve.log")
[ "$lines" -le 8 ] || fail "$lines log lines: $(sort "$T/serve.log" | uniq -c | sort -rn | head -3)"
ok "100 descriptors: cap lowered to 36, $ticks CPU ticks under 150 connections, $lines log lines"
stop_pid "$SERVE_PID"

# 5. The unit allows the connections and a margin.
mkdir "$T/unit"
run --pass-file "$PASS" serve --listen 127.0.0.1:8443 --max-connections 5000 --systemd "$T/unit"
assert_rc 0 "serve --systemd"
assert_contains "$(cat "$T/unit/minica-serve.service")" "LimitNOFILE=6024" "LimitNOFILE="
run --pass-file "$PASS" serve --listen 127.0.0.1:8443 --validation-timeout 120 --systemd "$T/unit" --force
assert_rc 0 "serve --systemd --validation-timeout 120"
assert_contains "$(cat "$T/unit/minica-serve.service")" "TimeoutStopSec=140" "TimeoutStopSec= beyond the validation deadline"
ok "the unit's LimitNOFILE= fits --max-connections, TimeoutStopSec= the validation deadline"

# 6. Every limit is an option with its default in --help.
run serve --help
for o in request-timeout max-connections max-connections-per-address; do
	assert_contains "$out" "--$o" "--help names --$o"
done
run serve --listen 127.0.0.1:1 --request-timeout 0
assert_rc 64 "--request-timeout 0"
ok "limits are options"
finish

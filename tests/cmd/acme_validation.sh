# minica serve's validations are bounded: an http-01 answer dripped one byte
# a second (never silent) fails at --validation-timeout; one account may have
# only --max-validations-per-account in progress (rateLimited, Retry-After),
# and --max-pending-authz pending authorizations;
# SIGTERM waits for validations at most --validation-timeout and says so, and
# a second SIGTERM or SIGINT ends the server at once.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"
PROBE="$TESTDIR/acme_probe.py"

make_ca --domain corp.example --permit-dns corp.example --permit-ip 127.0.0.0/8
run --pass-file "$PASS" --json acme account add --names corp.example
assert_rc 0 "account add"
KID=$(printf '%s' "$out" | jq -r .kid)
KEY=$(printf '%s' "$out" | jq -r .hmac_key)
start_dns
HTTP_PORT=$(free_port)
/usr/bin/python3 "$TESTDIR/acme_drip.py" "$HTTP_PORT" 1 &
PIDS="$PIDS $!"
wait_port "$HTTP_PORT"
mkdir "$T/probe"

probe() {
	answer=$(timeout 90 /usr/bin/python3 "$PROBE" "$DIR_URL" "$T/ca.pem" "$T/probe" "$@" 2>"$T/probe.err") ||
		fail "acme_probe $1: $(tail -3 "$T/probe.err")"
	status=$(printf '%s' "$answer" | jq -r .status)
	type=$(printf '%s' "$answer" | jq -r .type)
}
# serve_here ARGS: on the port of the first one, so that the account's URL holds
serve_here() {
	ACME_PORT=${ACME_PORT:-$(free_port)}
	"$MINICA" --pass-file "$PASS" serve --listen "127.0.0.1:$ACME_PORT" --server-name acme.corp.example \
		--http01-port "$HTTP_PORT" --resolver "127.0.0.1:$DNS_PORT" --validation-timeout 6 \
		--max-validations-per-account 2 --max-pending-authz 8 "$@" >"$T/serve.log" 2>&1 &
	SERVE_PID=$!
	PIDS="$PIDS $SERVE_PID"
	wait_port "$ACME_PORT" 60
	DIR_URL="https://127.0.0.1:$ACME_PORT/acme/directory"
}
# gone_within SECONDS: the server has exited within that many seconds
gone_within() {
	i=0
	while kill -0 "$SERVE_PID" 2>/dev/null && [ $i -lt $(($1 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	! kill -0 "$SERVE_PID" 2>/dev/null
}

serve_here
probe register "$KID" "$KEY"
assert_eq "$status" "201" "registration"

# 1. A dripped answer: invalid at the deadline, not when the server tires.
probe challenge-dead mail-hub1.corp.example
assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "invalid" "the dripped challenge"
secs=$(printf '%s' "$answer" | jq -r .body.seconds)
awk "BEGIN { exit !($secs < 10) }" || fail "the dripped challenge took $secs s (timeout 6 s)"
assert_contains "$(printf '%s' "$answer" | jq -r .body.error.detail)" "within 6 s" "its error"
ok "an http-01 answer dripped a byte a second: invalid after ${secs}s"

# 2. Two validations of the account in progress; the third is refused.
sleep 1 # the dripped one is over
probe trigger mail-hub2.corp.example mail-hub3.corp.example mail-hub4.corp.example
assert_eq "$status" "429" "third validation: status"
assert_eq "$type" "urn:ietf:params:acme:error:rateLimited" "third validation: type"
assert_eq "$(printf '%s' "$answer" | jq -r .body.retry_after)" "5" "third validation: Retry-After"
assert_contains "$(printf '%s' "$answer" | jq -r .detail)" "--max-validations-per-account 2" "the detail names the option"
ok "a third validation of one account in progress: rateLimited, Retry-After 5"

# 3. SIGTERM with those two in progress: said, and waited for 6 s at most.
kill -TERM "$SERVE_PID"
gone_within 10 || fail "serve still running 10 s after SIGTERM (validation timeout 6 s)"
assert_contains "$(cat "$T/serve.log")" "waiting for 2 validations (6 s at most)" "SIGTERM says what it waits for"
ok "SIGTERM waits for the validations in progress, 6 s at most"

# 4. A second signal ends it at once.
serve_here --validation-timeout 30
probe trigger mail-hub6.corp.example
assert_eq "$status" "200" "a validation before the signals: $(printf "%s" "$answer" | jq -c .body)"
kill -TERM "$SERVE_PID"
sleep 0.3
kill -INT "$SERVE_PID"
gone_within 2 || fail "serve still running 2 s after a second signal"
assert_contains "$(cat "$T/serve.log")" "second SIGINT: stopping now" "the second signal is said"
ok "a second signal stops at once"

# 5. Pending authorizations of the account: at most 8, counted again from the
# store after a restart; the order beyond is refused (rateLimited,
# Retry-After) and stores nothing.
serve_here
i=0
status=201
while [ "$status" = 201 ] && [ $i -lt 12 ]; do
	before=$(store_digest)
	probe pending "many$i.corp.example"
	i=$((i + 1))
done
assert_eq "$status" "429" "order $i beyond --max-pending-authz 8"
assert_eq "$type" "urn:ietf:params:acme:error:rateLimited" "its type"
[ $i -le 9 ] || fail "$i orders before the refusal (at most 8 pending)"
[ -n "$(printf '%s' "$answer" | jq -r '.retry_after // empty')" ] || fail "no Retry-After"
assert_eq "$(store_digest)" "$before" "the refused order changed the store"
ok "pending authorizations capped: order $i refused ($(printf '%s' "$answer" | jq -r .detail))"

stop_pid "$SERVE_PID"
run store verify
assert_rc 0 "store verify"
finish

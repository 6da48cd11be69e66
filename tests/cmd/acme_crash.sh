# minica serve killed (SIGKILL) in the middle of a burst of finalize
# requests: after a restart 'store verify' is clean and no order is half
# done: each is valid with its certificate stored (and downloadable), or
# still ready and finalized now; the store holds exactly one certificate per
# order.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"
LOAD="$TESTDIR/acme_load.py"
N=60

make_ca --domain corp.example
start_dns
HTTP_PORT=$(free_port)
start_serve --eab optional --http01-port "$HTTP_PORT" --resolver "127.0.0.1:$DNS_PORT"
mkdir "$T/load"
load() {
	timeout 300 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load" "$@"
}
load prepare "$N" "$HTTP_PORT" >"$T/prepare.out" 2>&1 || fail "prepare: $(tail -3 "$T/prepare.out")"
assert_eq "$(jq -r .ready "$T/prepare.out")" "$N" "orders made ready"

# The burst; the server is killed once the first certificates are stored.
load burst 4 >"$T/burst.out" 2>&1 &
burst=$!
i=0
while [ "$("$MINICA" --json list 2>/dev/null | jq length)" -lt 5 ] && [ $i -lt 300 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
wait "$burst"
before=$("$MINICA" --json list | jq length)
[ "$before" -ge 5 ] && [ "$before" -lt "$N" ] || fail "the kill came at $before of $N certificates: not in the middle"
ok "killed after $before of $N certificates"

run store verify
assert_rc 0 "store verify after SIGKILL"
assert_contains "$out" "problems        0" "store verify"
ok "store verify is clean"

# Restart on the same port (the orders' URLs name it) and look at every order.
"$MINICA" --pass-file "$PASS" serve --listen "127.0.0.1:$ACME_PORT" --server-name acme.corp.example \
	--eab optional --http01-port "$HTTP_PORT" --resolver "127.0.0.1:$DNS_PORT" >"$T/serve2.log" 2>&1 &
PIDS="$PIDS $!"
wait_port "$ACME_PORT" 60
load check >"$T/check.out" 2>&1 || fail "check: $(tail -3 "$T/check.out")"
valid=$(jq -r .valid "$T/check.out")
again=$(jq -r .finalized_now "$T/check.out")
assert_eq "$(jq -r .bad "$T/check.out")" "0" "orders neither valid nor ready"
assert_eq "$((valid + again))" "$N" "every order ends valid"
[ "$valid" -ge "$before" ] || fail "$before certificates were stored but only $valid orders are valid"
run --json list
assert_eq "$(printf '%s' "$out" | jq length)" "$N" "one certificate per order, no more"
for s in $(jq -r '.serials[]' "$T/check.out"); do
	printf '%s' "$out" | jq -e --arg s "$s" 'map(.serial) | index($s)' >/dev/null ||
		fail "order certificate $s is not in the store"
done
ok "after restart: $valid orders valid with their certificates, $again finalized again, none half done"
run store verify
assert_rc 0 "store verify at the end"
finish

# minica serve, as an admin meets it following the docs (issue 23, item 4):
# a name that does not resolve is a dns problem that says so; a missing
# template is refused at start and no file path reaches a client; a
# mistyped directory URL points at the directory; one server per store and
# per --pid-file, the pid file removed at exit; a port in use is exit 75;
# refusal reasons name the underscore and the IP identifier; --resolver is
# parsed strictly; --systemd says when the sandbox hides the store.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"
PROBE="$TESTDIR/acme_probe.py"

make_ca --domain corp.example

# serve_refused CODE PATTERN ARGS...: expect_error for a server that must not
# start; bounded, so that a regression that serves fails instead of hanging.
serve_refused() {
	code=$1
	pattern=$2
	shift 2
	before=$(store_digest)
	out=$(timeout 20 "$MINICA" "$@" 2>"$T/.stderr" </dev/null)
	rc=$?
	err=$(cat "$T/.stderr")
	[ "$rc" -eq "$code" ] || fail "minica $*: expected exit code $code, got $rc"
	[ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] || fail "minica $*: expected one line on stderr"
	printf '%s\n' "$err" | grep -Eq -- "$pattern" || fail "minica $*: stderr does not match /$pattern/"
	[ "$(store_digest)" = "$before" ] || fail "minica $*: the store changed"
	ok "$* -> $code"
}

# ---- at the command line, before anything runs ----
PORT=$(free_port)
expect_error 64 "--resolver '127.0.0.1:41053x': give an IPv4 ADDRESS\[:PORT\]" \
	serve --listen "127.0.0.1:$PORT" --resolver 127.0.0.1:41053x
expect_error 64 "--resolver '127.0.0.1:': give an IPv4" serve --listen "127.0.0.1:$PORT" --resolver 127.0.0.1:
serve_refused 66 "nosuch" --pass-file "$PASS" serve --listen "127.0.0.1:$PORT" --template nosuch

# acme account add on a name outside the store's domain (no name constraints): said.
run --pass-file "$PASS" acme account add --names corp.exmaple
assert_rc 0 "account add corp.exmaple"
assert_contains "$err" "--names corp.exmaple is not under the store's domain corp.example" "the typo said"
run --pass-file "$PASS" acme account add --names mail.corp.example
assert_not_contains "$err" "not under the store's domain" "a name under the domain: nothing said"
ok "acme account add warns on a suffix outside the store's domain"

# --systemd: a store under /tmp is hidden by PrivateTmp=yes: said, with the setting.
mkdir "$T/unit"
run --pass-file "$PASS" serve --listen "127.0.0.1:$PORT" --systemd "$T/unit"
assert_rc 0 "serve --systemd"
case "$T" in
/tmp/*)
	assert_contains "$err" "the store $T/store lies under /tmp, which the unit's PrivateTmp=yes hides" "store under /tmp"
	assert_contains "$err" "set PrivateTmp=no in the unit" "the setting to change"
	ok "--systemd warns about a store under /tmp" ;;
esac

# ---- the server ----
# A DNS server: names whose first label is nxhost do not exist (NXDOMAIN),
# every other name has the address 127.0.0.1 (and no IPv6 address).
NX_PORT=$(free_port)
/usr/bin/python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 17:
        continue
    end = q.index(b"\0", 12) + 5
    qtype = struct.unpack(">H", q[end - 4:end - 2])[0]
    if q[13:13 + q[12]].lower() == b"nxhost":  # evdns randomizes the case (0x20)
        s.sendto(q[:2] + b"\x81\x83" + q[4:6] + b"\0\0\0\0\0\0" + q[12:end], peer)
    elif qtype == 1:
        s.sendto(q[:2] + b"\x81\x80\0\x01\0\x01\0\0\0\0" + q[12:end] +
                 b"\xc0\x0c\0\x01\0\x01\0\0\0\x3c\0\x04\x7f\0\0\x01", peer)
    else:
        s.sendto(q[:2] + b"\x81\x80\0\x01\0\0\0\0\0\0" + q[12:end], peer)
' "$NX_PORT" &
PIDS="$PIDS $!"
mkdir "$T/templates"
cp "$MINICA_TEMPLATES"/*.cnf "$T/templates/"
HTTP_PORT=$(free_port)
MINICA_TEMPLATES="$T/templates" start_serve --eab optional --resolver "127.0.0.1:$NX_PORT" \
	--http01-port "$HTTP_PORT" --validation-timeout 3 --pid-file "$T/serve.pid"
assert_eq "$(cat "$T/serve.pid")" "$SERVE_PID" "the pid file"

# One server per store: a second is refused, naming the first's pid; so is a
# second on another store with the same --pid-file; a port in use is 75.
PORT2=$(free_port)
serve_refused 75 "serve.lock: held by process $SERVE_PID \(another 'minica serve' runs on this store" \
	--pass-file "$PASS" serve --listen "127.0.0.1:$PORT2"
main_store=$MINICA_STORE
MINICA_STORE="$T/store2"
run init --name "Second CA" --key ec:P-256 --no-passphrase
assert_rc 0 "a second store"
serve_refused 75 "serve.pid: held by process $SERVE_PID \(another 'minica serve' wrote it" \
	serve --listen "127.0.0.1:$PORT2" --pid-file "$T/serve.pid"
# (not expect_error: the first start of a store creates its ACME table)
out=$(timeout 20 "$MINICA" serve --listen "127.0.0.1:$ACME_PORT" 2>"$T/.stderr")
rc=$?
err=$(cat "$T/.stderr")
assert_rc 75 "serve on a port in use"
assert_match "$err" "^minica: --listen 127.0.0.1:$ACME_PORT: cannot listen there: .*in use" "its message"
MINICA_STORE=$main_store
kill -0 "$SERVE_PID" || fail "the first server died"
ok "a second serve on the store, on the pid file or on the port: refused (75)"

# A mistyped directory URL: 404 and where the directory is; a POST resource
# fetched with GET is still 405.
code=$(curl -s -o "$T/typo.json" -w '%{http_code}' --cacert "$T/ca.pem" "https://127.0.0.1:$ACME_PORT/acme/directroy")
assert_eq "$code" "404" "GET /acme/directroy"
assert_contains "$(jq -r .detail "$T/typo.json")" "https://127.0.0.1:$ACME_PORT/acme/directory" "where the directory is"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" "https://127.0.0.1:$ACME_PORT/acme/new-order")
assert_eq "$code" "405" "GET /acme/new-order"
ok "a mistyped URL: 404 naming the directory"

mkdir "$T/probe"
probe() {
	answer=$(timeout 90 /usr/bin/python3 "$PROBE" "$DIR_URL" "$T/ca.pem" "$T/probe" "$@" 2>"$T/probe.err") ||
		fail "acme_probe $1: $(tail -3 "$T/probe.err")"
	status=$(printf '%s' "$answer" | jq -r .status)
	type=$(printf '%s' "$answer" | jq -r .type)
	detail=$(printf '%s' "$answer" | jq -r .detail)
}
probe register - -
assert_eq "$status" "201" "an account"

# Refusal reasons.
probe order '[{"type": "dns", "value": "bad_name.corp.example"}]'
assert_eq "$type" "urn:ietf:params:acme:error:rejectedIdentifier" "an underscore: type"
assert_contains "$detail" "'_' is not allowed in a host name" "an underscore: its own reason"
probe order '[{"type": "ip", "value": "127.0.0.1"}]'
assert_eq "$type" "urn:ietf:params:acme:error:unsupportedIdentifier" "an IP identifier"
probe order '[{"type": "dns", "value": "mailhub"}]'
assert_contains "$detail" "not a fully qualified host name" "a short name"
ok "refusal reasons: the underscore, the IP identifier, the short name"

# A name that does not resolve: dns, and it says so.
probe challenge-dead nxhost.corp.example
assert_eq "$(printf '%s' "$answer" | jq -r .body.error.type)" "urn:ietf:params:acme:error:dns" "a name that does not resolve: type"
assert_contains "$(printf '%s' "$answer" | jq -r .body.error.detail)" "nxhost.corp.example does not resolve" "a name that does not resolve: detail"
ok "a name that does not resolve: $(printf '%s' "$answer" | jq -r .body.error.detail)"

# The template gone after start (SIGHUP reads it again): finalize fails, and
# the client is not told where the server keeps its files.
rm "$T/templates/smtp-transport.cnf"
kill -HUP "$SERVE_PID"
sleep 0.5
probe ready "$HTTP_PORT" mail-hub1.corp.example
assert_eq "$(printf '%s' "$answer" | jq -r .body.status)" "ready" "an order made ready"
probe finalize finalize mail-hub1.corp.example
assert_eq "$type" "urn:ietf:params:acme:error:serverInternal" "finalize without its template"
assert_not_contains "$detail" "$T" "no server path in the problem"
assert_not_contains "$detail" ".cnf" "no template file in the problem"
assert_contains "$(cat "$T/serve.log")" "smtp-transport" "the server's log says why"
ok "finalize without its template: '$detail'"

run store verify
assert_rc 0 "store verify"
stop_pid "$SERVE_PID"
[ ! -e "$T/serve.pid" ] || fail "the pid file is left behind"
ok "the pid file removed at exit"
finish

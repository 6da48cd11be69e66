# serve --systemd: the service unit for 'minica serve' (absolute paths, the
# passphrase as LoadCredential=, SIGHUP reload, a sandbox that
# systemd-analyze rates under 2.0), and serve reading the passphrase from
# systemd's $CREDENTIALS_DIRECTORY/minica-pass as the unit will make it;
# serve under a CA that may certify no IP address (issue 18).
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"

make_ca --domain corp.example
exe=$(realpath "$MINICA")
store=$(realpath "$MINICA_STORE")
mkdir "$T/units"
expect_error 64 "--force is for --systemd" serve --listen 127.0.0.1:8443 --force
expect_error 64 "give --listen" serve --systemd "$T/units"
expect_error 64 "--systemd: give --pass-file FILE" serve --listen 127.0.0.1:8443 --systemd "$T/units"
expect_error 73 "$T/nonesuch" --pass-file "$PASS" serve --listen 127.0.0.1:8443 --systemd "$T/nonesuch"
[ -z "$(ls "$T/units")" ] || fail "a refused --systemd wrote a file"

run --pass-file "$PASS" serve --listen 0.0.0.0:8443 --server-name "acme.corp.example" --eab optional --systemd "$T/units"
assert_rc 0 "serve --systemd"
unit="$T/units/minica-serve.service"
assert_file_mode "$unit" 644
assert_eq "$(grep '^ExecStart=' "$unit")" "ExecStart=$exe --store $store serve --listen=0.0.0.0:8443 --server-name=acme.corp.example --eab=optional" "ExecStart"
assert_eq "$(grep '^LoadCredential=' "$unit")" "LoadCredential=minica-pass:$(realpath "$PASS")" "the passphrase is a credential"
assert_eq "$(grep '^ReadWritePaths=' "$unit")" "ReadWritePaths=$store" "only the store is writable"
assert_eq "$(grep '^ExecReload=' "$unit")" 'ExecReload=/bin/kill -HUP $MAINPID' "reload is SIGHUP"
assert_eq "$(grep '^User=' "$unit")" "User=$(id -un)" "User= is the store's owner"
assert_not_contains "$(cat "$unit")" "correct horse" "no passphrase in the unit"
expect_error 73 "exists" --pass-file "$PASS" serve --listen 127.0.0.1:8443 --systemd "$T/units"
ok "the unit"

if command -v systemd-analyze >/dev/null && systemd-analyze --version >/dev/null 2>&1; then
	v=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $v"
	assert_eq "$v" "" "systemd-analyze verify says nothing"
	exposure() {
		systemd-analyze security --offline=true "$1" 2>/dev/null |
			sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
	}
	e=$(exposure "$unit")
	awk "BEGIN { exit !($e < 2.0) }" || fail "exposure $e is not under 2.0"
	run --pass-file "$PASS" serve --listen 0.0.0.0:443 --server-name acme.corp.example --systemd "$T/units" --force
	assert_rc 0 "serve --systemd on port 443"
	assert_eq "$(grep '^AmbientCapabilities=' "$unit")" "AmbientCapabilities=CAP_NET_BIND_SERVICE" "port 443 needs a capability"
	e443=$(exposure "$unit")
	awk "BEGIN { exit !($e443 < 2.0) }" || fail "exposure $e443 (port 443) is not under 2.0"
	# Control: the rating does see a unit without the sandbox.
	sed '/^NoNewPrivileges=/,/^LimitCORE=/d' "$unit" > "$T/minica-serve.service"
	eb=$(exposure "$T/minica-serve.service")
	awk "BEGIN { exit !($eb > 5.0) }" || fail "an unsandboxed unit rates $eb"
	ok "systemd-analyze: verify silent, exposure $e (port 443: $e443; without the sandbox $eb)"
else
	echo "acme_unit.sh: systemd-analyze is not available here: the unit was checked by content only"
fi

# The passphrase as systemd hands it over: $CREDENTIALS_DIRECTORY/minica-pass.
mkdir "$T/cred"
cp "$PASS" "$T/cred/minica-pass"
port=$(free_port)
CREDENTIALS_DIRECTORY="$T/cred" "$MINICA" serve --listen "127.0.0.1:$port" --server-name acme.corp.example \
	>"$T/serve.log" 2>&1 </dev/null &
pid=$!
PIDS="$PIDS $pid"
wait_port "$port" 60
curl -sf --cacert "$T/ca.pem" "https://127.0.0.1:$port/acme/directory" | jq -e .newNonce >/dev/null ||
	fail "the server started from the credential does not answer"
kill -HUP "$pid"
sleep 0.3
kill -0 "$pid" || fail "SIGHUP stopped the server"
curl -sf --cacert "$T/ca.pem" "https://127.0.0.1:$port/acme/directory" >/dev/null || fail "no answer after SIGHUP"
kill -TERM "$pid"
wait "$pid"
assert_eq "$?" "0" "SIGTERM: exit 0"
assert_contains "$(cat "$T/serve.log")" "SIGHUP" "SIGHUP was noticed"
ok "serve reads \$CREDENTIALS_DIRECTORY/minica-pass; SIGHUP reloads, SIGTERM exits 0"
# A CA whose name constraints exclude every IP address (--permit-dns without
# --permit-ip): serve still starts, leaves its listen address out of its own
# certificate with a warning, and clients reach it by its --server-name.
S2="$T/dns-only"
run --store "$S2" --pass-file "$PASS" init --name "DNS-only CA" --key ec:P-256 --permit-dns corp.example
assert_rc 0 "init --permit-dns without --permit-ip"
"$MINICA" --store "$S2" ca export > "$T/dns-only.pem" || fail "ca export"
port=$(free_port)
"$MINICA" --store "$S2" --pass-file "$PASS" serve --listen "127.0.0.1:$port" \
	--server-name acme.corp.example --server-name acme.other.example >"$T/serve2.log" 2>&1 &
pid2=$!
PIDS="$PIDS $pid2"
wait_port "$port" 60
assert_contains "$(cat "$T/serve2.log")" "listen address 127.0.0.1 is outside the CA's name constraints" "the left-out address is said"
assert_contains "$(cat "$T/serve2.log")" "--server-name acme.other.example is outside the CA's name constraints" "the left-out server name is said"
sans=$(openssl s_client -connect "127.0.0.1:$port" -servername acme.corp.example </dev/null 2>/dev/null |
	openssl x509 -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ')
assert_eq "$sans" "DNS:acme.corp.example" "only names the CA may certify (not localhost, not the address)"
curl -sf --cacert "$T/dns-only.pem" --resolve "acme.corp.example:$port:127.0.0.1" \
	"https://acme.corp.example:$port/acme/directory" | jq -e .newNonce >/dev/null ||
	fail "the server does not answer by its --server-name"
stop_pid "$pid2"
ok "serve under a CA that may certify no IP address"
finish

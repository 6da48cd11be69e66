# Shared by the ACME tests (tests/cmd/acme_*.sh), sourced after tests/lib.sh:
# free ports, pebble-challtestsrv as the DNS server, 'minica serve' started
# and stopped by PID, every wait bounded.

# free_port: a TCP port on 127.0.0.1 that nobody listens on right now.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
	/usr/bin/python3 - "$1" "${2:-10}" <<'PY' || fail "nothing listens on 127.0.0.1:$1"
import socket, sys, time
port, limit = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < limit:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

PIDS=""
stop_pid() {
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
stop_all() {
	for p in $PIDS; do stop_pid "$p"; done
	PIDS=""
}
trap 'stop_all; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
# killed (a timeout): still stop the servers, through the EXIT trap
trap 'exit 143' TERM INT HUP

# start_dns: pebble-challtestsrv answering A queries with 127.0.0.1 (no AAAA),
# TXT records set through its management API. Sets DNS_PORT, MGMT_PORT.
start_dns() {
	DNS_PORT=$(free_port)
	MGMT_PORT=$(free_port)
	pebble-challtestsrv -dns01 "127.0.0.1:$DNS_PORT" -management "127.0.0.1:$MGMT_PORT" \
		-http01 "" -https01 "" -tlsalpn01 "" -defaultIPv6 "" >"$T/challtestsrv.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$MGMT_PORT" 30
}

# front_of PID: serve's front process, the child of the signer PID.
front_of() { pgrep -P "$1" -x minica-front | head -1; }

# start_serve ARGS...: minica serve on a free port; sets ACME_PORT, DIR_URL,
# SERVE_PID (the signer) and FRONT_PID (the front, which holds the connections).
start_serve() {
	ACME_PORT=$(free_port)
	"$MINICA" --pass-file "$PASS" serve --listen "127.0.0.1:$ACME_PORT" \
		--server-name acme.corp.example "$@" >"$T/serve.log" 2>&1 &
	SERVE_PID=$!
	PIDS="$PIDS $SERVE_PID"
	wait_port "$ACME_PORT" 60
	FRONT_PID=$(front_of "$SERVE_PID")
	DIR_URL="https://127.0.0.1:$ACME_PORT/acme/directory"
}

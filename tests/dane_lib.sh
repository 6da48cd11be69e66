# Shared by the DANE tests (tests/cmd/dane_*.sh), sourced after tests/lib.sh and
# tests/acme_lib.sh: a DNSSEC-signed zone served by nsd on loopback, an unbound
# that validates with that zone's key as its only trust anchor, and a small
# SMTP server with STARTTLS. Every process is started here and stopped by PID
# (acme_lib.sh's PIDS); every wait is bounded.
#
# dns_start ZONE-BODY-FILE [PLAIN-BODY-FILE]: corp.example signed (ldns-signzone),
#   plain.example unsigned; sets NSD_PORT, UNBOUND_PORT, RESOLVER (ADDR:PORT).
# dns_zone ZONE-BODY-FILE: re-sign corp.example with new records and restart both
#   servers (a restart empties unbound's cache: no waiting for TTLs in a test).

DNS_DIR="$T/dns"

dns_write_zones() {
	{
		printf '$ORIGIN corp.example.\n$TTL 60\n'
		printf '@ IN SOA ns.corp.example. hostmaster.corp.example. %s 3600 600 86400 60\n' "$(date +%s)"
		printf '@ IN NS ns.corp.example.\nns IN A 127.0.0.1\n'
		cat "$1"
	} > "$DNS_DIR/corp.example.zone"
	ldns-signzone -f "$DNS_DIR/corp.example.zone.signed" "$DNS_DIR/corp.example.zone" \
		"$DNS_DIR/$DNS_ZSK" "$DNS_DIR/$DNS_KSK" || fail "ldns-signzone"
	{
		printf '$ORIGIN plain.example.\n$TTL 60\n'
		printf '@ IN SOA ns.plain.example. hostmaster.plain.example. 1 3600 600 86400 60\n'
		printf '@ IN NS ns.corp.example.\n'
		[ -n "${DNS_PLAIN:-}" ] && cat "$DNS_PLAIN"
	} > "$DNS_DIR/plain.example.zone"
}

dns_servers() {
	nsd -c "$DNS_DIR/nsd.conf" -d >"$DNS_DIR/nsd.out" 2>&1 &
	NSD_PID=$!
	PIDS="$PIDS $NSD_PID"
	unbound -c "$DNS_DIR/unbound.conf" -d >"$DNS_DIR/unbound.out" 2>&1 &
	UNBOUND_PID=$!
	PIDS="$PIDS $UNBOUND_PID"
	# ready: unbound answers a validated query for the zone's apex
	i=0
	until drill -D -p "$UNBOUND_PORT" @127.0.0.1 corp.example SOA 2>/dev/null |
		grep -q 'flags: qr rd ra ad'; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "nsd and unbound did not come up: $(cat "$DNS_DIR"/*.out "$DNS_DIR"/*.log 2>/dev/null | tail -5)"
		sleep 0.1
	done
}

dns_start() {
	mkdir -p "$DNS_DIR"
	DNS_PLAIN=${2:-}
	NSD_PORT=$(free_port)
	UNBOUND_PORT=${DANE_UNBOUND_PORT:-$(free_port)}
	RESOLVER="127.0.0.1:$UNBOUND_PORT"
	( cd "$DNS_DIR" && ldns-keygen -a ECDSAP256SHA256 -k corp.example > ksk.name &&
		ldns-keygen -a ECDSAP256SHA256 corp.example > zsk.name ) || fail "ldns-keygen"
	DNS_KSK=$(cat "$DNS_DIR/ksk.name")
	DNS_ZSK=$(cat "$DNS_DIR/zsk.name")
	dns_write_zones "$1"
	cat > "$DNS_DIR/nsd.conf" <<CONF
server:
	ip-address: 127.0.0.1@$NSD_PORT
	port: $NSD_PORT
	username: ""
	chroot: ""
	zonesdir: "$DNS_DIR"
	database: ""
	pidfile: "$DNS_DIR/nsd.pid"
	xfrdfile: "$DNS_DIR/xfrd.state"
	xfrdir: "$DNS_DIR"
	zonelistfile: "$DNS_DIR/zone.list"
	logfile: "$DNS_DIR/nsd.log"
	server-count: 1
remote-control:
	control-enable: no
zone:
	name: corp.example
	zonefile: corp.example.zone.signed
zone:
	name: plain.example
	zonefile: plain.example.zone
CONF
	# the zone's KSK is the only trust anchor; stub zones send every query to nsd
	cat > "$DNS_DIR/unbound.conf" <<CONF
server:
	interface: 127.0.0.1
	port: $UNBOUND_PORT
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$DNS_DIR"
	pidfile: "$DNS_DIR/unbound.pid"
	use-syslog: no
	logfile: "$DNS_DIR/unbound.log"
	val-log-level: 2
	do-not-query-localhost: no
	do-ip6: no
	qname-minimisation: no
	module-config: "validator iterator"
	trust-anchor-file: "$DNS_DIR/$DNS_KSK.key"
remote-control:
	control-enable: no
stub-zone:
	name: corp.example
	stub-addr: 127.0.0.1@$NSD_PORT
stub-zone:
	name: plain.example
	stub-addr: 127.0.0.1@$NSD_PORT
CONF
	dns_servers
}

dns_zone() {
	stop_pid "$UNBOUND_PID"
	stop_pid "$NSD_PID"
	PIDS=$(printf '%s\n' $PIDS | grep -vx -e "$UNBOUND_PID" -e "$NSD_PID" | tr '\n' ' ')
	dns_write_zones "$1"
	dns_servers
}

# smtp_start CHAIN KEY [--no-starttls]: an SMTP server on a free port with STARTTLS
# serving CHAIN (leaf first) and KEY; sets SMTP_PORT, SMTP_PID.
smtp_start() {
	SMTP_PORT=$(free_port)
	/usr/bin/python3 - "$SMTP_PORT" "$1" "$2" "${3:-}" >"$T/smtp.log" 2>&1 <<'PY' &
import socket, ssl, sys
port, chain, key, plain = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "--no-starttls"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(chain, key)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
srv.settimeout(300)  # the test is long over by then
def lines(f):
    for raw in f:
        yield raw.decode("latin-1").strip().upper()
while True:
    conn, _ = srv.accept()
    conn.settimeout(20)
    try:
        conn.sendall(b"220 test ESMTP\r\n")
        f = conn.makefile("rb")
        for cmd in lines(f):
            if cmd.startswith("EHLO"):
                conn.sendall(b"250-test\r\n" + (b"" if plain else b"250-STARTTLS\r\n") + b"250 8BITMIME\r\n")
            elif cmd == "STARTTLS" and not plain:
                conn.sendall(b"220 go ahead\r\n")
                tls = ctx.wrap_socket(conn, server_side=True)
                tf = tls.makefile("rb")
                for c in lines(tf):
                    if c == "QUIT":
                        tls.sendall(b"221 bye\r\n")
                        break
                    tls.sendall(b"250 ok\r\n")
                break
            elif cmd == "QUIT":
                conn.sendall(b"221 bye\r\n")
                break
            else:
                conn.sendall(b"502 no\r\n")
    except Exception as e:
        print("session:", e, flush=True)
    finally:
        conn.close()
PY
	SMTP_PID=$!
	PIDS="$PIDS $SMTP_PID"
	wait_port "$SMTP_PORT" 10
}

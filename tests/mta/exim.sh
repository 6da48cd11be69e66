# Exim for tests/cmd/mta.sh (sourced): Debian's exim4-daemon-light, TLS by
# GnuTLS, from a configuration in $T/exim (exim -C), on 127.0.0.1 and a port
# of its own. It never reads or touches the system's mail configuration and
# needs no running system MTA. Deliveries go to the maildir $T/mail; a header
# records whether Exim verified the client's certificate.
EXIM=/usr/sbin/exim4

mta_check() {
	command -v swaks >/dev/null || fail "swaks is missing (make deps-test installs it)"
	# -d -bV: the version, and the GnuTLS that Exim runs with.
	MTA_VERSION=$("$EXIM" -d -bV 2>&1 | sed -n '0,/^Exim version/s/^Exim version \([^ ]*\).*/Exim \1/p; /GnuTLS: Compile/{n;s/^ *Runtime: /GnuTLS /p;}' | paste -sd' ')
	# As root, exim keeps root for -C; deliveries then run as nobody (exim
	# never delivers as root), which needs to reach the maildir.
	if [ "$(id -u)" -eq 0 ]; then
		delivery_user=nobody
		chown nobody "$T/mail"
		chmod 0711 "$T"
	else
		delivery_user=$(id -un)
	fi
	mkdir -p "$T/exim/spool" "$T/exim/log"
}

# What Exim answers to an accepted message, and how it records TLS.
MTA_ACCEPTED='250 OK id='

mta_assert_tls() {
	assert_match "$1" "with esmtps +\(TLS1\.[23]\)" "$2: received over TLS"
}
mta_assert_client_verified() {
	assert_contains "$1" "X-Interop-TLS: verified=1 peer=<CN=$2>" "Exim verified minica's client certificate"
}
mta_assert_client_not_verified() {
	assert_contains "$1" "X-Interop-TLS: verified=0" "Exim did not verify the other CA's client certificate"
}

mta_log() {
	echo "--- exim output:" >&2
	cat "$T/exim/out" "$T/exim/log/mainlog" "$T/exim/log/paniclog" 2>/dev/null | tail -30 >&2
}

mta_stop() {
	[ -n "$mta_pid" ] || return 0
	# exim -bdf was started with setsid: its group is the daemon and the
	# reception and delivery processes it forked.
	kill -TERM "-$mta_pid" 2>/dev/null
	wait_gone "$mta_pid" 50
	kill -KILL "-$mta_pid" 2>/dev/null
	wait "$mta_pid" 2>/dev/null
	mta_pid=""
}

# mta_start PORT: 0 when Exim listens on 127.0.0.1:PORT, 1 (stopped) if not.
mta_start() {
	listen_port=$1
	rm -f "$T/exim/log/"*
	cat > "$T/exim/exim.conf" <<EOF
exim_user = $(id -un)
exim_group = $(id -gn)
keep_environment =
primary_hostname = mail-hub1.corp.example
qualify_domain = corp.example
local_interfaces = 127.0.0.1
daemon_smtp_ports = $listen_port
spool_directory = $T/exim/spool
log_file_path = $T/exim/log/%slog
pid_file_path = $T/exim/exim.pid
host_lookup =
rfc1413_hosts =
smtp_enforce_sync = false
domainlist local_domains = corp.example

tls_advertise_hosts = *
tls_certificate = $T/tls/mail-hub1.corp.example.chain.pem
tls_privatekey = $T/tls/mail-hub1.corp.example.key
tls_verify_certificates = $T/ca.pem
tls_try_verify_hosts = *

acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data

begin acl
acl_rcpt:
  deny    message = STARTTLS first
          !encrypted = *
  accept  domains = +local_domains
  deny    message = relay not permitted

acl_data:
  warn    add_header = X-Interop-TLS: verified=\$tls_in_certificate_verified peer=<\$tls_in_peerdn>
  accept

begin routers
local:
  driver = accept
  domains = +local_domains
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = $T/mail
  maildir_format
  user = $delivery_user
EOF
	chmod 0600 "$T/exim/exim.conf"
	setsid "$EXIM" -C "$T/exim/exim.conf" -bdf >"$T/exim/out" 2>&1 </dev/null &
	mta_pid=$!
	# Ready when it says it listens; gone when the port was taken. 10 s at most.
	i=0
	while [ $i -lt 100 ]; do
		if cat "$T/exim/out" "$T/exim/log/mainlog" 2>/dev/null |
			grep -q "listening for SMTP on \[127.0.0.1\]:$listen_port"; then
			return 0
		fi
		alive "$mta_pid" || break
		sleep 0.1
		i=$((i + 1))
	done
	mta_stop
	return 1
}

# A real MTA over STARTTLS: Debian's Exim (exim4-daemon-light, TLS by
# GnuTLS) serves a certificate that minica issued with the default
# smtp-transport template (RSA-2048 under minica's RSA-4096 CA). Real clients
# (OpenSSL's s_client, swaks over Net::SSLeay) verify the chain and the host
# name against minica's CA and deliver messages into a maildir; a client that
# trusts another CA is refused. Exim also verifies the client certificate that
# minica issued (the template's clientAuth: MTAs are TLS clients too).
#
# Exim runs from a configuration in $T (exim -C), on 127.0.0.1 and a port of
# its own; it never reads or touches the system's mail configuration and does
# not need a system MTA. It is stopped by its process group on exit.
. "$(dirname "$0")/../lib.sh"

EXIM=/usr/sbin/exim4
if [ ! -x "$EXIM" ]; then
	# tests/install-deps.sh does not replace a machine's own MTA with Exim.
	mta=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null |
		awk '/^ii .*mail-transport-agent/ { print $2; exit }')
	[ -n "$mta" ] || fail "$EXIM is missing (make deps-test installs exim4-daemon-light)"
	echo "$(basename "$0"): skipped: this machine's MTA ($mta) is not Exim (a clean Debian, as in CI, runs it)"
	exit 0
fi
command -v swaks >/dev/null || fail "swaks is missing (make deps-test installs it)"

exim_pid=""
# alive PID: running, not a zombie waiting to be reaped.
alive() {
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ]
}
stop_exim() {
	[ -n "$exim_pid" ] || return 0
	# exim -bdf was started with setsid: its group is the daemon and the
	# reception and delivery processes it forked.
	kill -TERM "-$exim_pid" 2>/dev/null
	i=0
	while alive "$exim_pid" && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "-$exim_pid" 2>/dev/null
	wait "$exim_pid" 2>/dev/null
	exim_pid=""
}
trap 'stop_exim; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

show_exim_log() {
	echo "--- exim output:" >&2
	cat "$T/exim/out" "$T/exim/log/mainlog" "$T/exim/log/paniclog" 2>/dev/null | tail -30 >&2
}

# The CA (default RSA-4096) and the server's certificate (default template).
run --pass-file "$PASS" init --name "Interop Mail CA" --org "Test Org" --domain corp.example
assert_rc 0 "init"
"$MINICA" ca export > "$T/ca.pem" || fail "ca export"
mkdir "$T/tls"
run --pass-file "$PASS" issue --host mail-hub1.corp.example --out "$T/tls"
assert_rc 0 "issue the server certificate"
assert_contains "$out" "key         RSA 2048" "smtp-transport gives an RSA-2048 key"
run --pass-file "$PASS" issue --host client.corp.example --no-pfx --out "$T/tls"
assert_rc 0 "issue a client certificate"

# Another CA, and a client certificate from it.
run --store "$T/other" init --name "Other CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init the other CA"
"$MINICA" --store "$T/other" ca export > "$T/other-ca.pem" || fail "other ca export"
run --store "$T/other" issue --host client.corp.example --no-pfx --out "$T/other"
assert_rc 0 "issue from the other CA"
ok "certificates"

# Exim's configuration. As root, exim keeps root for -C; deliveries then run
# as nobody (exim never delivers as root), which needs to reach the maildir.
mkdir -p "$T/exim/spool" "$T/exim/log" "$T/mail"
if [ "$(id -u)" -eq 0 ]; then
	delivery_user=nobody
	chown nobody "$T/mail"
	chmod 0711 "$T"
else
	delivery_user=$(id -un)
fi

start_exim() {
	port=$1
	rm -f "$T/exim/log/"*
	cat > "$T/exim/exim.conf" <<EOF
exim_user = $(id -un)
exim_group = $(id -gn)
keep_environment =
primary_hostname = mail-hub1.corp.example
qualify_domain = corp.example
local_interfaces = 127.0.0.1
daemon_smtp_ports = $port
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
	exim_pid=$!
	# Ready when it says it listens; gone when the port was taken. 10 s at most.
	i=0
	while [ $i -lt 100 ]; do
		if cat "$T/exim/out" "$T/exim/log/mainlog" 2>/dev/null |
			grep -q "listening for SMTP on \[127.0.0.1\]:$port"; then
			return 0
		fi
		alive "$exim_pid" || break
		sleep 0.1
		i=$((i + 1))
	done
	stop_exim
	return 1
}

port=""
for _ in 1 2 3 4 5; do
	p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
	if start_exim "$p"; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { show_exim_log; fail "exim did not start on 127.0.0.1 (5 ports tried)"; }
ok "exim listens on 127.0.0.1:$port"

maildir_count() {
	ls "$T/mail/new" 2>/dev/null | wc -l
}

# wait_for_mail N: up to 10 s for the N-th delivered message.
wait_for_mail() {
	i=0
	while [ "$(maildir_count)" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(maildir_count)" -ge "$1" ] || { show_exim_log; fail "message $1 was not delivered to the maildir"; }
}

# mail_with SUBJECT: the delivered message with that subject.
mail_with() {
	f=$(grep -l "^Subject: $1\$" "$T/mail/new/"* 2>/dev/null | head -1)
	[ -n "$f" ] || fail "no delivered message with subject '$1'"
	cat "$f"
}

smtp_session() {
	printf 'EHLO client.corp.example\r\nMAIL FROM:<probe@client.corp.example>\r\n'
	printf 'RCPT TO:<postmaster@corp.example>\r\nDATA\r\n'
	printf 'Subject: %s\r\n\r\nSent over STARTTLS to a certificate from minica.\r\n.\r\nQUIT\r\n' "$1"
}

# 1. OpenSSL's s_client: chain AND host name verified against minica's CA.
smtp_session "via openssl s_client" |
	timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$port" \
		-servername mail-hub1.corp.example -verify_hostname mail-hub1.corp.example \
		-CAfile "$T/ca.pem" -verify_return_error -brief -ign_eof >"$T/s1.out" 2>&1
s_rc=$?
s_out=$(cat "$T/s1.out")
[ $s_rc -eq 0 ] || { echo "$s_out" >&2; show_exim_log; fail "s_client with minica's CA: exit $s_rc"; }
assert_contains "$s_out" "Verification: OK" "s_client verified the chain"
assert_contains "$s_out" "Verified peername: mail-hub1.corp.example" "s_client verified the host name"
assert_contains "$s_out" "Peer certificate: CN = mail-hub1.corp.example" "exim serves minica's certificate"
assert_match "$s_out" '^250 OK id=' "exim accepted the message"
wait_for_mail 1
msg=$(mail_with "via openssl s_client")
assert_match "$msg" "with esmtps +\(TLS1\.[23]\)" "received over TLS"
ok "s_client: STARTTLS, chain and host name verified, message delivered"

# 2. swaks (Net::SSLeay), verifying the chain, and presenting minica's client
# certificate, which exim (GnuTLS) verifies against minica's CA.
timeout 30 swaks --server 127.0.0.1 --port "$port" --helo client.corp.example \
	--from probe@client.corp.example --to postmaster@corp.example \
	--tls --tls-verify --tls-ca-path "$T/ca.pem" \
	--tls-cert "$T/tls/client.corp.example.crt" --tls-key "$T/tls/client.corp.example.key" \
	--header "Subject: via swaks" --body "Mutual TLS with certificates from minica." >"$T/sw1.out" 2>&1
sw_rc=$?
sw_out=$(cat "$T/sw1.out")
[ $sw_rc -eq 0 ] || { echo "$sw_out" >&2; show_exim_log; fail "swaks with minica's CA: exit $sw_rc"; }
assert_match "$sw_out" '<~ +250 OK id=' "swaks: message accepted inside TLS"
wait_for_mail 2
msg=$(mail_with "via swaks")
assert_contains "$msg" "X-Interop-TLS: verified=1 peer=<CN=client.corp.example>" "exim verified minica's client certificate"
ok "swaks: chain verified, client certificate verified by exim, message delivered"

# 3. A client that trusts another CA is refused, by both clients.
smtp_session "must not arrive" |
	timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$port" \
		-servername mail-hub1.corp.example -verify_hostname mail-hub1.corp.example \
		-CAfile "$T/other-ca.pem" -verify_return_error -brief -ign_eof >"$T/s2.out" 2>&1 &&
	fail "s_client trusting another CA completed the session"
assert_contains "$(cat "$T/s2.out")" "certificate verify failed" "s_client with another CA"
timeout 30 swaks --server 127.0.0.1 --port "$port" --helo client.corp.example \
	--from probe@client.corp.example --to postmaster@corp.example \
	--tls --tls-verify --tls-ca-path "$T/other-ca.pem" \
	--header "Subject: must not arrive" >"$T/sw2.out" 2>&1 &&
	fail "swaks trusting another CA delivered a message"
assert_contains "$(cat "$T/sw2.out")" "certificate verify failed" "swaks with another CA"
ok "clients trusting another CA are refused"

# 4. The right CA but another host name is refused.
printf 'QUIT\r\n' |
	timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$port" \
		-verify_hostname mail-hub2.corp.example \
		-CAfile "$T/ca.pem" -verify_return_error -brief -ign_eof >"$T/s3.out" 2>&1 &&
	fail "s_client accepted the certificate for another host name"
assert_contains "$(cat "$T/s3.out")" "hostname mismatch" "s_client with another host name"
ok "another host name is refused"

# 5. Exim does not verify a client certificate from another CA.
timeout 30 swaks --server 127.0.0.1 --port "$port" --helo client.corp.example \
	--from probe@client.corp.example --to postmaster@corp.example \
	--tls --tls-verify --tls-ca-path "$T/ca.pem" \
	--tls-cert "$T/other/client.corp.example.crt" --tls-key "$T/other/client.corp.example.key" \
	--header "Subject: foreign client" >"$T/sw3.out" 2>&1 ||
	{ cat "$T/sw3.out" >&2; fail "swaks with a foreign client certificate: exit $?"; }
wait_for_mail 3
msg=$(mail_with "foreign client")
assert_contains "$msg" "X-Interop-TLS: verified=0" "exim did not verify the other CA's client certificate"
assert_eq "$(grep -l 'must not arrive' "$T/mail/new/"* 2>/dev/null | wc -l)" "0" "refused sessions delivered nothing"
ok "exim does not trust another CA's client certificate"

pid=$exim_pid
stop_exim
alive "$pid" && fail "exim still runs after stop"
ok "exim stopped"
finish

# Postfix for tests/cmd/mta.sh (sourced): a private instance of the system's
# Postfix. Its own main.cf and master.cf in $T/postfix/conf (postfix -c), its
# own queue and data directories and log file under $T/postfix, one smtpd on
# 127.0.0.1 and a port of its own, deliveries by virtual(8) to the maildir
# $T/mail as nobody. The system's /etc/postfix, queue and running Postfix (if
# any) are neither read for the instance's settings nor touched. Postfix's
# master runs as root, as the suite does in CI; the test stops it by its PID
# (the pid file in its own queue directory).
PF=$T/postfix

mta_check() {
	[ "$(id -u)" -eq 0 ] ||
		fail "this machine's MTA is Postfix, whose master runs as root: run tests/cmd/mta.sh as root (as make check does in CI)"
	for tool in postfix postconf swaks; do
		command -v "$tool" >/dev/null || fail "$tool is missing"
	done
	MTA_VERSION="Postfix $(postconf -dh mail_version)"
	chown nobody "$T/mail"
	chmod 0711 "$T"
	mkdir -p "$PF/conf" "$PF/queue" "$PF/data"
	chmod 0755 "$PF"
	# The queue's subdirectories are made by 'postfix start'; the data
	# directory (master.lock, caches) is the mail owner's.
	chown postfix "$PF/data"
}

# What Postfix answers to an accepted message, and how it records TLS
# (smtpd_tls_received_header: the client certificate and its verification).
MTA_ACCEPTED='250 2\.0\.0 Ok: queued as '

mta_assert_tls() {
	assert_match "$1" "with ESMTPS id " "$2: received over TLS"
	assert_match "$1" "\(using TLSv1\.[23] with cipher " "$2: TLS in the Received header"
}
mta_assert_client_verified() {
	assert_contains "$1" "(Client CN \"$2\", Issuer \"$CA_NAME\" (verified OK))" \
		"Postfix verified minica's client certificate"
}
mta_assert_client_not_verified() {
	assert_contains "$1" "(not verified)" "Postfix did not verify the other CA's client certificate"
	assert_not_contains "$1" "verified OK" "Postfix did not verify the other CA's client certificate"
}

mta_log() {
	echo "--- postfix output:" >&2
	cat "$PF/start.out" "$PF/maillog" 2>/dev/null | tail -30 >&2
}

mta_stop() {
	[ -n "$mta_pid" ] || return 0
	# master(8) is a session leader: its group is the master and the
	# processes it started. TERM to the master stops them all.
	kill -TERM "$mta_pid" 2>/dev/null
	wait_gone "$mta_pid" 50
	kill -KILL "-$mta_pid" 2>/dev/null
	mta_pid=""
}

# mta_start PORT: 0 when Postfix listens on 127.0.0.1:PORT, 1 (stopped) if not.
mta_start() {
	listen_port=$1
	rm -f "$PF/maillog"
	cat > "$PF/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
meta_directory = $(postconf -dh meta_directory)
command_directory = $(postconf -dh command_directory)
daemon_directory = $(postconf -dh daemon_directory)
shlib_directory = $(postconf -dh shlib_directory)
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PF/maillog
maillog_file_prefixes = $PF

myhostname = mail-hub1.corp.example
mydomain = corp.example
myorigin = corp.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
biff = no
smtpd_banner = \$myhostname ESMTP
smtpd_peername_lookup = no
smtpd_relay_restrictions = reject_unauth_destination

virtual_mailbox_domains = corp.example
virtual_mailbox_base = $T
virtual_mailbox_maps = inline:{ postmaster@corp.example=mail/ }
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)

smtpd_tls_chain_files = $T/tls/mail-hub1.corp.example.key, $T/tls/mail-hub1.corp.example.chain.pem
smtpd_tls_security_level = encrypt
smtpd_tls_CAfile = $T/ca.pem
smtpd_tls_ask_ccert = yes
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
EOF
	postfix_master_cf "$PF/conf/master.cf" "$listen_port"
	# postfix start: creates the queue directories, checks the instance and
	# returns when the master has bound its port, or failed to.
	if ! timeout 30 postfix -c "$PF/conf" start >"$PF/start.out" 2>&1; then
		mta_pid=$(tr -d ' ' < "$PF/queue/pid/master.pid" 2>/dev/null)
		mta_stop
		return 1
	fi
	mta_pid=$(tr -d ' ' < "$PF/queue/pid/master.pid" 2>/dev/null)
	[ -n "$mta_pid" ] && alive "$mta_pid" && return 0
	mta_stop
	return 1
}

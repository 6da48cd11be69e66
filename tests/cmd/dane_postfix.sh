# DANE end to end with Postfix on both sides (RFC 7672), on loopback in a network
# and mount namespace of its own (unshare -n -m): nsd serves corp.example signed
# with ldns-signzone, unbound validates it with the zone's key as its only trust
# anchor and listens on the namespace's 127.0.0.1:53, which a bind-mounted
# /etc/resolv.conf names. The receiver Postfix serves minica's chain file; the
# sender Postfix relays to [mail-hub1.corp.example]:PORT with
# smtp_tls_security_level = dane. Asserted on the sender's log line "Verified TLS
# connection established" (without validation Postfix still delivers, "Untrusted"):
# delivered and Verified; after 'renew' without a staged key the delivery is
# deferred, and 'check --dane' had said WARNING before; after a staged renewal
# (its record published first) delivered again and Verified. Also
# 'openssl s_client -starttls smtp -dane_tlsa_rrdata' against every record that
# 'minica dane' prints.
if [ -z "${DANE_NAMESPACE:-}" ]; then
	command -v unshare >/dev/null || { echo "FAIL: unshare (util-linux) is missing" >&2; exit 1; }
	[ "$(id -u)" -eq 0 ] || { echo "FAIL: dane_postfix.sh needs root (a network namespace, Postfix's master)" >&2; exit 1; }
	DANE_NAMESPACE=1 exec unshare -n -m --propagation private sh "$0" "$@"
fi
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"
. "$TESTDIR/dane_lib.sh"
. "$TESTDIR/mta/postfix_master.sh"

[ -x /usr/sbin/postfix ] || fail "Postfix is missing (make deps-test installs it where no other MTA is)"
ip link set lo up || fail "ip link set lo up in the test's network namespace"
printf 'nameserver 127.0.0.1\noptions trust-ad timeout:2 attempts:2\n' > "$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf || fail "bind-mount resolv.conf in the test's mount namespace"

chmod 0711 "$T"
mkdir -m 0777 "$T/mail"
chown nobody "$T/mail"
PF_PIDS=""
pf_stop_all() { for p in $PF_PIDS; do kill -TERM "$p" 2>/dev/null; wait_gone "$p" 50; kill -KILL "-$p" 2>/dev/null; done; }
trap 'pf_stop_all; stop_all; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# pf_start NAME PORT MAIN-CF-EXTRA: a private Postfix in $T/NAME listening on 127.0.0.1:PORT.
pf_start() {
	d=$T/$1
	mkdir -p "$d/conf" "$d/queue" "$d/data"
	chmod 0755 "$d"
	chown postfix "$d/data"
	cat > "$d/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
meta_directory = $(postconf -dh meta_directory)
command_directory = $(postconf -dh command_directory)
daemon_directory = $(postconf -dh daemon_directory)
shlib_directory = $(postconf -dh shlib_directory)
mail_owner = postfix
setgid_group = postdrop
maillog_file = $d/maillog
maillog_file_prefixes = $d
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
biff = no
smtpd_peername_lookup = no
smtp_connection_cache_on_demand = no
smtp_tls_session_cache_database =
smtpd_tls_session_cache_database =
$3
CF
	postfix_master_cf "$d/conf/master.cf" "$2"
	timeout 30 postfix -c "$d/conf" start >"$d/start.out" 2>&1 ||
		fail "postfix $1 did not start: $(cat "$d/start.out" "$d/maillog" 2>/dev/null | tail -5)"
	p=$(tr -d ' ' < "$d/queue/pid/master.pid")
	PF_PIDS="$PF_PIDS $p"
	wait_port "$2" 20
}

# wait_log FILE PATTERN [SECONDS]: until a line of FILE matches (grep -E).
wait_log() {
	i=0
	while ! grep -Eq -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt $((${3:-30} * 10)) ] || return 1
		sleep 0.1
	done
}

delivered() { find "$T/mail/new" -type f 2>/dev/null | wc -l; }

# send SUBJECT: a message through the sender, to the receiver's domain
send() {
	swaks --silent 2 --server "127.0.0.1:$S_PORT" --from admin@sender.example \
		--to postmaster@corp.example --h-Subject "$1" --body "DANE test $1" >"$T/swaks.out" 2>&1 ||
		fail "swaks to the sender Postfix: $(tail -3 "$T/swaks.out")"
}

make_ca --domain corp.example
run --pass-file "$PASS" issue --host mail-hub1 --key ec:P-256 --no-pfx --out "$T"
assert_rc 0 "issue mail-hub1"
R_PORT=$(free_port)
S_PORT=$(free_port)

# The records for the receiver's port, 3 1 1 only: the pin that a renewal breaks.
run dane --host mail-hub1 --port "$R_PORT"
assert_rc 0 "dane --port"
rr() { printf '%s\n' "$out" | grep -v '^;' | grep " $1 " | sed "s/^_$R_PORT._tcp.mail-hub1.corp.example. /_$R_PORT._tcp.mail-hub1 /"; }
rr '3 1 1' > "$T/ee1.rr"
printf 'mail-hub1 IN A 127.0.0.1\n' > "$T/a.rr"
cat "$T/a.rr" "$T/ee1.rr" > "$T/zone1"
DANE_UNBOUND_PORT=53
dns_start "$T/zone1"

pf_start receiver "$R_PORT" "myhostname = mail-hub1.corp.example
mydestination =
smtpd_relay_restrictions = reject_unauth_destination
virtual_mailbox_domains = corp.example
virtual_mailbox_base = $T
virtual_mailbox_maps = inline:{ postmaster@corp.example=mail/ }
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
smtpd_tls_chain_files = $T/mail-hub1.key, $T/mail-hub1.chain.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1"
pf_start sender "$S_PORT" "myhostname = mta.sender.example
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [mail-hub1.corp.example]:$R_PORT
smtp_host_lookup = dns
smtp_dns_support_level = dnssec
smtp_tls_security_level = dane
smtp_tls_loglevel = 1
# an smtp process caches TLSA records for their TTL: a fresh one per delivery sees each
# zone change at once (a real sender sees it within the TTL)
max_use = 1"
SLOG=$T/sender/maillog

# 1. delivered and Verified
send one
wait_log "$SLOG" "status=sent" 30 || fail "first message not sent: $(tail -5 "$SLOG")"
assert_match "$(cat "$SLOG")" "Verified TLS connection established to mail-hub1\.corp\.example\[127\.0\.0\.1\]:$R_PORT" \
	"the sender verified the receiver by DANE"
assert_not_contains "$(cat "$SLOG")" "Untrusted TLS connection"
# "sent" is the receiver's 250; its local delivery into the maildir follows
i=0
while [ "$(delivered)" -lt 1 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(delivered)" 1 "one message delivered"
ok "delivered over a DANE-verified connection"

# s_client with OpenSSL's DANE against every record dane prints (current key, CA)
run dane --host mail-hub1 --port "$R_PORT"
for rec in "$(rr '3 1 1' | awk '{ print $4, $5, $6, $7 }')" "$(rr '2 1 1' | awk '{ print $4, $5, $6, $7 }')"; do
	v=$(echo QUIT | timeout 10 openssl s_client -starttls smtp -connect "127.0.0.1:$R_PORT" \
		-verify_return_error -dane_tlsa_domain mail-hub1.corp.example -dane_tlsa_rrdata "$rec" 2>&1)
	assert_contains "$v" "Verification: OK" "s_client -starttls smtp -dane_tlsa_rrdata '$rec'"
done
ok "s_client -starttls smtp verifies every record dane prints"

D="check --dane --resolver 127.0.0.1:53 --dane-timeout 5"
run $D
assert_rc 1 "before an unstaged renewal: WARNING"
assert_contains "$out" "the next renewal makes a new key that no published record matches"
ok "check --dane warned before the renewal"

# 2. renew without a staged key, installed: deferred, and check --dane says CRITICAL
run --pass-file "$PASS" renew --host mail-hub1 --no-pfx --force --out "$T"
assert_rc 0 "renew without staging"
assert_contains "$err" "marked for DANE and has no staged key"
timeout 30 postfix -c "$T/receiver/conf" reload >/dev/null 2>&1 || fail "postfix reload"
sleep 1
send two
wait_log "$SLOG" "status=deferred" 40 || fail "second message not deferred: $(tail -5 "$SLOG")"
assert_match "$(grep 'status=deferred' "$SLOG")" "Server certificate not verified" "deferred for DANE"
assert_eq "$(delivered)" 1 "nothing more delivered"
run $D
assert_rc 2 "after the unstaged renewal: CRITICAL"
assert_contains "$out" "the served certificate matches no published TLSA record"
ok "an unstaged renewal defers mail, as check --dane said"

# 3. recover: stage the next key, publish the current and the staged 3 1 1, then the
#    staged renewal: the deferred message and a new one are delivered, Verified
run --pass-file "$PASS" renew --stage --host mail-hub1
assert_rc 0 "renew --stage"
run dane --host mail-hub1 --port "$R_PORT"
rr '3 1 1' > "$T/ee2.rr"
[ "$(wc -l < "$T/ee2.rr")" -eq 2 ] || fail "dane prints the current and the staged 3 1 1"
cat "$T/a.rr" "$T/ee2.rr" > "$T/zone2"
dns_zone "$T/zone2"
run $D
assert_rc 0 "the staged key's record published: OK"
assert_contains "$out" "the staged next key matches a published record (its 3 1 1)"
run --pass-file "$PASS" renew --host mail-hub1 --no-pfx --force --out "$T"
assert_rc 0 "renew with the staged key"
assert_contains "$err" "using the staged key"
timeout 30 postfix -c "$T/receiver/conf" reload >/dev/null 2>&1 || fail "postfix reload"
sleep 1
lines=$(wc -l < "$SLOG")
postqueue -c "$T/sender/conf" -f
send three
i=0
while [ "$(delivered)" -lt 3 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(delivered)" 3 "the deferred message and a new one delivered after the staged renewal"
after=$(tail -n +"$((lines + 1))" "$SLOG")
assert_match "$after" "Verified TLS connection established to mail-hub1\.corp\.example\[127\.0\.0\.1\]:$R_PORT" \
	"Verified after the staged renewal"
assert_not_contains "$after" "Untrusted TLS connection"
ok "a staged renewal keeps mail verified"
TESTED_WITH="Postfix $(postconf -dh mail_version), $(nsd -v 2>&1 | head -1), unbound $(unbound -V 2>/dev/null | awk '/^Version/ { print $2 }')"
finish

# Plain build only: other TLS stacks use the certificates that other files issue under ASan too.
# A real MTA over STARTTLS, the one this machine has: Postfix (installed by
# make deps-test where no other MTA is, unconfigured) or Exim, as a private
# instance (tests/mta/exim.sh, tests/mta/postfix.sh: configuration, spool and
# logs in $T, 127.0.0.1 and a port of its own, stopped by PID; the system's
# mail configuration is neither read nor changed). The MTA serves a
# certificate that minica issued with the default smtp-transport template
# (RSA-2048 under minica's RSA-4096 CA). Real clients (OpenSSL's s_client,
# swaks over Net::SSLeay) verify the chain and the host name against minica's
# CA and deliver messages into a maildir; a client that trusts another CA and
# a client that expects another name are refused. The MTA also verifies the
# client certificate that minica issued (the template's clientAuth: MTAs are
# TLS clients too) and does not verify one from another CA.
MTA_DIR=$(cd "$(dirname "$0")/../mta" && pwd)
. "$(dirname "$0")/../lib.sh"

if [ -x /usr/sbin/exim4 ]; then
	MTA=exim
elif [ -x /usr/sbin/postfix ]; then
	MTA=postfix
else
	# tests/install-deps.sh installs Postfix unless another MTA is installed,
	# which it does not replace.
	other=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null |
		awk '/^ii .*mail-transport-agent/ { print $2; exit }')
	[ -n "$other" ] &&
		fail "this machine's MTA ($other) is neither Exim nor Postfix, the two this test runs"
	fail "no MTA: make deps-test installs postfix"
fi

mta_pid=""
. "$MTA_DIR/postfix_master.sh"
. "$MTA_DIR/$MTA.sh"
trap 'mta_stop; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
mkdir "$T/mail"
mta_check
TESTED_WITH="$MTA_VERSION; clients $(openssl version | cut -d' ' -f1-2), swaks $(swaks --version | sed -n '1s/^swaks version //p')"
CA_NAME="Interop Mail CA"

# The CA (default RSA-4096) and the server's certificate (default template).
run --pass-file "$PASS" init --name "$CA_NAME" --org "Test Org" --domain corp.example
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

port=""
for _ in 1 2 3 4 5; do
	p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
	if mta_start "$p"; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { mta_log; fail "$MTA did not start on 127.0.0.1 (5 ports tried)"; }
ok "$MTA listens on 127.0.0.1:$port"

maildir_count() {
	ls "$T/mail/new" 2>/dev/null | wc -l
}

# wait_for_mail N: up to 30 s for the N-th delivered message (Postfix starts
# a process per stage, slow on a loaded machine).
wait_for_mail() {
	i=0
	while [ "$(maildir_count)" -lt "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(maildir_count)" -ge "$1" ] || { mta_log; fail "message $1 was not delivered to the maildir"; }
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
[ $s_rc -eq 0 ] || { echo "$s_out" >&2; mta_log; fail "s_client with minica's CA: exit $s_rc"; }
assert_contains "$s_out" "Verification: OK" "s_client verified the chain"
assert_contains "$s_out" "Verified peername: mail-hub1.corp.example" "s_client verified the host name"
assert_contains "$s_out" "Peer certificate: CN = mail-hub1.corp.example" "$MTA serves minica's certificate"
assert_match "$s_out" "^$MTA_ACCEPTED" "$MTA accepted the message"
wait_for_mail 1
msg=$(mail_with "via openssl s_client")
mta_assert_tls "$msg" "s_client"
ok "s_client: STARTTLS, chain and host name verified, message delivered"

# 2. swaks (Net::SSLeay), verifying the chain, and presenting minica's client
# certificate, which the MTA verifies against minica's CA.
timeout 30 swaks --server 127.0.0.1 --port "$port" --helo client.corp.example \
	--from probe@client.corp.example --to postmaster@corp.example \
	--tls --tls-verify --tls-ca-path "$T/ca.pem" \
	--tls-cert "$T/tls/client.corp.example.crt" --tls-key "$T/tls/client.corp.example.key" \
	--header "Subject: via swaks" --body "Mutual TLS with certificates from minica." >"$T/sw1.out" 2>&1
sw_rc=$?
sw_out=$(cat "$T/sw1.out")
[ $sw_rc -eq 0 ] || { echo "$sw_out" >&2; mta_log; fail "swaks with minica's CA: exit $sw_rc"; }
assert_match "$sw_out" "<~ +$MTA_ACCEPTED" "swaks: message accepted inside TLS"
wait_for_mail 2
msg=$(mail_with "via swaks")
mta_assert_tls "$msg" "swaks"
mta_assert_client_verified "$msg" client.corp.example
ok "swaks: chain verified, client certificate verified by $MTA, message delivered"

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

# 5. The MTA does not verify a client certificate from another CA.
timeout 30 swaks --server 127.0.0.1 --port "$port" --helo client.corp.example \
	--from probe@client.corp.example --to postmaster@corp.example \
	--tls --tls-verify --tls-ca-path "$T/ca.pem" \
	--tls-cert "$T/other/client.corp.example.crt" --tls-key "$T/other/client.corp.example.key" \
	--header "Subject: foreign client" >"$T/sw3.out" 2>&1 ||
	{ cat "$T/sw3.out" >&2; fail "swaks with a foreign client certificate: exit $?"; }
wait_for_mail 3
msg=$(mail_with "foreign client")
mta_assert_client_not_verified "$msg"
assert_eq "$(grep -l 'must not arrive' "$T/mail/new/"* 2>/dev/null | wc -l)" "0" "refused sessions delivered nothing"
ok "$MTA does not trust another CA's client certificate"

pid=$mta_pid
mta_stop
alive "$pid" && fail "$MTA still runs after stop"
ok "$MTA stopped"
finish

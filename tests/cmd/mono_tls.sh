# Plain build only: other TLS stacks use the certificates that other files issue under ASan too.
# A TLS handshake by a .NET stack with the key from minica's PFX: Mono's
# SslStream (tests/interop/MonoTls.cs, compiled here with mcs) serves on
# 127.0.0.1 with the certificate and key that X509Certificate2 loaded from the
# legacy PFX of an RSA leaf (smtp-transport's default) and of an EC leaf.
# OpenSSL's s_client verifies the chain and the host name against minica's
# CA and reads a line sent inside TLS; a client that trusts another CA and a
# client that expects another host name are refused. Mono sends the CA
# certificate from the PFX with the leaf, as Exchange does.
#
# Mono 6.8's API cannot use an EC private key (tests/cmd/mono_pfx.sh); its
# TLS stack, BoringSSL inside Mono, does.
INTEROP=$(cd "$(dirname "$0")/../interop" && pwd)
. "$(dirname "$0")/../lib.sh"
. "$INTEROP/mono.sh"
mono_compile MonoTls
TESTED_WITH="$TESTED_WITH, $(openssl version | cut -d' ' -f1-2)"

server_pid=""
stop_server() {
	[ -n "$server_pid" ] || return 0
	kill -TERM "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=""
}
trap 'stop_server; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

# The CA (EC P-256: here only OpenSSL verifies), another CA, two leaves.
make_ca --domain corp.example --no-passphrase
run --store "$T/other" init --name "Other CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init the other CA"
"$MINICA" --store "$T/other" ca export > "$T/other-ca.pem" || fail "other ca export"
mkdir "$T/rsa" "$T/ec"
run issue --host mail-hub1 --out "$T/rsa"
assert_rc 0 "issue RSA"
assert_contains "$out" "key         RSA 2048" "smtp-transport gives an RSA-2048 key"
run issue --host mail-ec1 --key ec:P-256 --out "$T/ec"
assert_rc 0 "issue EC"
ok "certificates"

# start_server PFX-PREFIX: MonoTls.exe for 3 connections; sets $port.
start_server() {
	rm -f "$T/port"
	mono "$T/MonoTls.exe" "$1.pfx" "$1.pfx-password" "$T/port" 3 >"$T/server.out" 2>&1 &
	server_pid=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 600 ]; do
		alive "$server_pid" || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$T/port" ] || { cat "$T/server.out" >&2; stop_server; fail "the Mono server did not start within 60 s"; }
	port=$(cat "$T/port")
}

# s_client NAME CA HOST: a TLS session with the Mono server; output in $T/NAME.out.
# Mono 6.8's SslStream closes the connection without a TLS close_notify
# (ShutdownAsync does not send one either), which s_client would count as
# an error after the data arrived.
s_client() {
	timeout 60 openssl s_client -connect "127.0.0.1:$port" -servername "$3" -verify_hostname "$3" \
		-CAfile "$2" -verify_return_error -brief -ign_eof -ignore_unexpected_eof </dev/null >"$T/$1.out" 2>&1
}

for leaf in rsa ec; do
	case $leaf in
	rsa) prefix="$T/rsa/mail-hub1" host=mail-hub1 suite=ECDHE-RSA sigtype=RSA ;;
	*) prefix="$T/ec/mail-ec1" host=mail-ec1 suite=ECDHE-ECDSA sigtype=ECDSA ;;
	esac
	start_server "$prefix"
	assert_contains "$(cat "$T/server.out")" "CN=$host key=True" "$leaf: Mono loaded the PFX with its key"

	s_client "$leaf-good" "$T/ca.pem" "$host.corp.example" ||
		{ cat "$T/$leaf-good.out" "$T/server.out" >&2; fail "$leaf: s_client with minica's CA: exit $?"; }
	o=$(cat "$T/$leaf-good.out")
	assert_contains "$o" "Protocol version: TLSv1.2" "$leaf: TLS 1.2"
	assert_contains "$o" "Ciphersuite: $suite-" "$leaf: the key exchange is signed with the $sigtype key"
	assert_contains "$o" "Signature type: $sigtype" "$leaf: signature type"
	assert_contains "$o" "Peer certificate: CN = $host" "$leaf: Mono serves minica's leaf"
	assert_contains "$o" "Verification: OK" "$leaf: s_client verified the chain"
	assert_contains "$o" "Verified peername: $host.corp.example" "$leaf: s_client verified the host name"
	assert_contains "$o" "220 hello from Mono SslStream" "$leaf: data inside TLS"
	ok "$leaf: Mono's SslStream serves the PFX's key; s_client verifies chain and name"

	s_client "$leaf-other" "$T/other-ca.pem" "$host.corp.example" &&
		fail "$leaf: s_client trusting another CA completed the handshake"
	o=$(cat "$T/$leaf-other.out")
	assert_contains "$o" "certificate verify failed" "$leaf: another CA is refused"
	# The CA's certificate came from the PFX, sent by Mono with the leaf.
	assert_contains "$o" "depth=1 O = Test Org, CN = Test Mail CA" "$leaf: Mono sends the CA with the leaf"
	assert_not_contains "$o" "220 hello" "$leaf: no data after a refused handshake"

	s_client "$leaf-name" "$T/ca.pem" "mail-hub2.corp.example" &&
		fail "$leaf: s_client expecting another host name completed the handshake"
	o=$(cat "$T/$leaf-name.out")
	assert_contains "$o" "hostname mismatch" "$leaf: another host name is refused"
	assert_not_contains "$o" "220 hello" "$leaf: no data after a refused host name"

	# The server saw one handshake succeed and two fail, then exited by itself.
	wait_gone "$server_pid" 300 ||
		{ cat "$T/server.out" >&2; fail "$leaf: the Mono server did not exit within 30 s of its 3 connections"; }
	wait "$server_pid"
	s_rc=$?
	server_pid=""
	so=$(cat "$T/server.out")
	[ $s_rc -eq 0 ] || { echo "$so" >&2; fail "$leaf: the Mono server exited with $s_rc"; }
	assert_contains "$so" "handshake 0 ok Tls12" "$leaf: Mono completed the first handshake"
	assert_match "$so" "^handshake 1 failed: .*(UNKNOWN_CA|BAD_CERTIFICATE)" "$leaf: Mono saw the alert of the client trusting another CA"
	assert_match "$so" "^handshake 2 failed: " "$leaf: Mono saw the refused host name"
	ok "$leaf: refused by clients trusting another CA or expecting another name"
done

finish

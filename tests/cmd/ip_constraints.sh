# IP addresses under name constraints (issue 18, item 1): a CA created with
# --permit-dns constrains IP addresses too (--permit-ip ranges, or every
# address excluded), issue and sign refuse an address outside them before the
# CA key is unlocked, 'ca extend' keeps the constraints, and a CA made before
# (DNS constraints only) is reported by 'ca show' and 'check'.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

NOPASS="$T/no-such-pass-file" # issuance must fail before it would read it

# ca_key STORE OUT: the unencrypted CA key of a --no-passphrase store, as PEM,
# to forge what minica refuses to sign and show what a verifier does with it.
ca_key() {
	mdb_dump -s meta "$1" | awk 'k { print; exit } $1 == "63612e6b6579" { k = 1 }' |
		tr -d ' \n' | /usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' |
		openssl pkey -inform DER -out "$2" || fail "read the CA key of $1"
}

# forge STORE CA-PEM NAME SAN: a leaf for SAN signed with the store's CA key by openssl
forge() {
	ca_key "$1" "$T/$3.cakey"
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout /dev/null \
		-subj "/CN=mail.corp.example" -out "$T/$3.csr" 2>/dev/null || fail "forge $3: request"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$4" > "$T/$3.ext"
	openssl x509 -req -in "$T/$3.csr" -CA "$2" -CAkey "$T/$3.cakey" -CAcreateserial \
		-days 30 -extfile "$T/$3.ext" -out "$T/$3.crt" 2>/dev/null || fail "forge $3: sign"
}

# ---- --permit-dns alone: every IP address excluded ----
# nc_ca NAME INIT-ARGS...: a --no-passphrase CA in $T/NAME, its certificate in
# $T/NAME.pem, its nameConstraints as openssl prints them in $nc
nc_ca() {
	name=$1
	shift
	run --store "$T/$name" init --name "CA $name" --key ec:P-256 --no-passphrase "$@"
	assert_rc 0 "init $*"
	"$MINICA" --store "$T/$name" ca export > "$T/$name.pem" || fail "ca export $name"
	nc=$(openssl x509 -in "$T/$name.pem" -noout -ext nameConstraints)
}

S1="$T/s1"
nc_ca s1 --permit-dns corp.example --domain corp.example
assert_contains "$nc" "critical" "nameConstraints critical"
assert_contains "$nc" "DNS:corp.example" "DNS subtree"
assert_contains "$nc" "Excluded:" "excluded subtrees"
assert_contains "$nc" "IP:0.0.0.0/0.0.0.0" "IPv4 excluded"
assert_contains "$nc" "IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0" "IPv6 excluded"
ok "--permit-dns excludes every IP address"

expect_error 65 "IP address 8.8.8.8: the CA's name constraints permit no IPv4 address" \
	--store "$S1" --pass-file "$NOPASS" issue --host mail.corp.example --host 8.8.8.8 --out "$T" --no-pfx
expect_error 65 "IP address 2001:db8::1: the CA's name constraints permit no IPv6 address" \
	--store "$S1" --pass-file "$NOPASS" issue --host mail.corp.example --host 2001:DB8::1 --out "$T" --no-pfx
# sign: the address comes from the request's SAN
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout /dev/null \
	-subj "/CN=mail.corp.example" -addext "subjectAltName=DNS:mail.corp.example,IP:8.8.8.8" \
	-out "$T/ip.csr" 2>/dev/null || fail "request with an IP SAN"
expect_error 65 "IP address 8.8.8.8: the CA's name constraints permit no IPv4 address" \
	--store "$S1" --pass-file "$NOPASS" sign --csr "$T/ip.csr" --out "$T/ip.crt"

# what a verifier does with a leaf signed by this CA's key for 8.8.8.8 anyway
forge "$S1" "$T/s1.pem" s1leaf "DNS:mail.corp.example,IP:8.8.8.8"
vout=$(openssl verify -CAfile "$T/s1.pem" -verify_ip 8.8.8.8 "$T/s1leaf.crt" 2>&1) &&
	fail "openssl verify accepted 8.8.8.8 under --permit-dns: $vout"
assert_contains "$vout" "excluded subtree violation" "openssl refuses the IP address"
forge "$S1" "$T/s1.pem" s1dns "DNS:mail.corp.example"
openssl verify -CAfile "$T/s1.pem" -verify_hostname mail.corp.example "$T/s1dns.crt" >/dev/null 2>&1 ||
	fail "a DNS-only leaf under --permit-dns must verify"
ok "openssl verify -verify_ip refuses a leaf with an IP address"

# ---- --permit-ip: the ranges given, IPv4 and IPv6 ----
S2="$T/s2"
nc_ca s2 --permit-dns corp.example --permit-ip 192.168.0.0/16 --permit-ip 2001:db8::/32 --permit-ip 10.1.2.3
assert_contains "$nc" "IP:192.168.0.0/255.255.0.0" "IPv4 range"
assert_contains "$nc" "IP:2001:DB8:0:0:0:0:0:0/FFFF:FFFF:0:0:0:0:0:0" "IPv6 range"
assert_contains "$nc" "IP:10.1.2.3/255.255.255.255" "a single address"
assert_not_contains "$nc" "Excluded" "no exclusion when ranges are permitted"
run --store "$S2" issue --host mail.corp.example --host 192.168.7.9 --host 2001:db8:5::1 --host 10.1.2.3 --out "$T" --no-pfx
assert_rc 0 "issue inside --permit-ip"
for ip in 192.168.7.9 2001:db8:5::1 10.1.2.3; do
	openssl verify -CAfile "$T/s2.pem" -verify_ip "$ip" "$T/mail.corp.example.crt" >/dev/null 2>&1 ||
		fail "openssl verify -verify_ip $ip refused a leaf inside --permit-ip"
done
ok "addresses inside --permit-ip are issued and verify"
expect_error 65 "IP address 192.169.0.1: it is outside the CA's permitted IP ranges \(192.168.0.0/16, 2001:db8::/32, 10.1.2.3/32\)" \
	--store "$S2" issue --host mail.corp.example --host 192.169.0.1 --out "$T" --no-pfx --force
expect_error 65 "IP address 2001:db9::1: it is outside" \
	--store "$S2" issue --host mail.corp.example --host 2001:db9::1 --out "$T" --no-pfx --force
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout /dev/null \
	-subj "/CN=mail.corp.example" -addext "subjectAltName=DNS:mail.corp.example,IP:10.1.2.4" \
	-out "$T/ip2.csr" 2>/dev/null || fail "request with an IP SAN"
expect_error 65 "IP address 10.1.2.4: it is outside the CA's permitted IP ranges" \
	--store "$S2" sign --csr "$T/ip2.csr" --out "$T/ip2.crt"
forge "$S2" "$T/s2.pem" s2leaf "DNS:mail.corp.example,IP:192.169.0.1"
vout=$(openssl verify -CAfile "$T/s2.pem" -verify_ip 192.169.0.1 "$T/s2leaf.crt" 2>&1) &&
	fail "openssl verify accepted an address outside --permit-ip"
assert_contains "$vout" "permitted subtree violation" "openssl refuses an address outside --permit-ip"
ok "addresses outside --permit-ip are refused by minica and by openssl"

# ---- bad ranges: usage errors, nothing created ----
expect_error 64 "--permit-ip '192.168.1.0/16': the address has bits set beyond the prefix length" \
	--store "$T/s3" init --name X --permit-dns corp.example --permit-ip 192.168.1.0/16
expect_error 64 "--permit-ip '10.0.0.0/33': the prefix length of an IPv4 range is 0 to 32" \
	--store "$T/s3" init --name X --permit-ip 10.0.0.0/33
expect_error 64 "--permit-ip 'corp.example': not an IPv4 or IPv6 range" \
	--store "$T/s3" init --name X --permit-ip corp.example
[ ! -e "$T/s3" ] || fail "a refused init created $T/s3"

# ---- ca extend keeps the constraints ----
run --store "$S2" ca extend --years 30
assert_rc 0 "ca extend"
"$MINICA" --store "$S2" ca export > "$T/s2x.pem" || fail "ca export after extend"
assert_eq "$(openssl x509 -in "$T/s2x.pem" -noout -ext nameConstraints)" \
	"$(openssl x509 -in "$T/s2.pem" -noout -ext nameConstraints)" "nameConstraints after ca extend"
vout=$(openssl verify -CAfile "$T/s2x.pem" -verify_ip 192.169.0.1 "$T/s2leaf.crt" 2>&1) &&
	fail "the extended CA accepted an address outside --permit-ip"
ok "ca extend keeps the IP constraints"

# ---- ca show says what the CA constrains ----
run --store "$S2" ca show
assert_rc 0 "ca show"
assert_contains "$out" "ip ranges    192.168.0.0/16, 2001:db8::/32, 10.1.2.3/32" "ca show lists the IP ranges"
run --store "$S1" ca show
assert_contains "$out" "ip ranges    (none: every IP address is excluded)" "ca show, --permit-dns alone"

# ---- a CA made before this change: DNS constraints, nothing about IP ----
S4="$T/s4"
run --store "$S4" init --name "Old CA" --key ec:P-256 --domain corp.example --no-passphrase
assert_rc 0 "init"
# Replace its certificate with one that has DNS constraints only, as minica wrote them.
ca_key "$S4" "$T/s4.key"
cat > "$T/old.cnf" <<'EOF'
[req]
distinguished_name = dn
x509_extensions = v3
prompt = no
[dn]
CN = Old CA
[v3]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical,permitted;DNS:corp.example
EOF
openssl req -new -x509 -key "$T/s4.key" -config "$T/old.cnf" -days 3650 -outform DER \
	-out "$T/old.der" 2>/dev/null || fail "old CA certificate"
old_hex=$(od -An -v -tx1 "$T/old.der" | tr -d ' \n')
mdb_dump -s ca "$S4" > "$T/ca.dump"
# the ca table holds version -> DER; put the old-style certificate in place of version 1
awk -v v="$old_hex" 'BEGIN{h=0} /^HEADER=END/{print; h=1; next} h==1&&/^ /{n++; if (n%2==0) { print " " v; next } } {print}' \
	"$T/ca.dump" > "$T/ca.new"
mdb_load -s ca -f "$T/ca.new" "$S4" || fail "replace the CA certificate"
openssl x509 -inform DER -in "$T/old.der" -noout -ext nameConstraints | grep -q Excluded &&
	fail "the old-style CA must not have excluded subtrees"
run --store "$S4" ca show
assert_rc 0 "ca show of an old CA"
assert_contains "$out" "ip ranges    UNCONSTRAINED" "ca show says IP addresses are unconstrained"
assert_contains "$out" "create a new CA" "ca show says how to fix it"
run --store "$S4" check
assert_contains "$out" "IP addresses are not constrained by this CA certificate" "check says so"
assert_contains "$out" "minica --store NEW init --permit-dns SUFFIX" "check says how to fix it"
expect_error 65 "IP address 8.8.8.8: the CA is restricted to DNS names and its certificate does not constrain IP addresses" \
	--store "$S4" issue --host mail.corp.example --host 8.8.8.8 --out "$T" --no-pfx --force
run --store "$S1" check
assert_not_contains "$out" "IP addresses are not constrained" "a new CA is not reported"
ok "a CA without IP constraints is reported, and minica refuses IP addresses under it"

# ---- the fix without a new CA: re-sign with IP constraints, same key and subject ----
mkdir -p "$T/s4out"
run --store "$S4" issue --host mail.corp.example --out "$T/s4out" --no-pfx
assert_rc 0 "a leaf before the re-signing"
expect_error 65 "--no-ip: only a CA with DNS name constraints and none for IP addresses gets IP constraints added" \
	--store "$S2" ca extend --years 40 --no-ip
expect_error 64 "give it or --permit-ip, not both" --store "$S4" ca extend --years 40 --no-ip --permit-ip 10.0.0.0/8
expect_error 64 "--permit-ip '10.0.0.1/8': the address has bits set" --store "$S4" ca extend --years 40 --permit-ip 10.0.0.1/8
run --store "$S4" ca extend --years 40 --no-ip
assert_rc 0 "ca extend --no-ip"
"$MINICA" --store "$S4" ca export > "$T/s4x.pem" || fail "ca export"
nc=$(openssl x509 -in "$T/s4x.pem" -noout -ext nameConstraints)
assert_contains "$nc" "DNS:corp.example" "DNS subtree kept"
assert_contains "$nc" "IP:0.0.0.0/0.0.0.0" "IPv4 excluded after ca extend --no-ip"
assert_eq "$(openssl x509 -in "$T/s4x.pem" -noout -subject -pubkey)" \
	"$(openssl x509 -inform DER -in "$T/old.der" -noout -subject -pubkey)" "same subject and key"
openssl verify -CAfile "$T/s4x.pem" "$T/s4out/mail.corp.example.crt" >/dev/null ||
	fail "a leaf issued before does not verify against the re-signed CA"
forge "$S4" "$T/s4x.pem" s4leaf "DNS:mail.corp.example,IP:8.8.8.8"
vout=$(openssl verify -CAfile "$T/s4x.pem" -verify_ip 8.8.8.8 "$T/s4leaf.crt" 2>&1) &&
	fail "the re-signed CA accepted 8.8.8.8"
assert_contains "$vout" "excluded subtree violation" "openssl refuses the IP address after the re-signing"
run --store "$S4" ca show
assert_contains "$out" "ip ranges    (none: every IP address is excluded)" "ca show after the re-signing"
run --store "$S4" check
assert_not_contains "$out" "IP addresses are not constrained" "check after the re-signing"
ok "ca extend --no-ip adds IP constraints to an old CA"

finish

# issue --hosts-file: every line checked before anything is issued, then one
# certificate per line, built on all cores and committed in batches.
. "$(dirname "$0")/../lib.sh"

make_ca --domain corp.example
cat > "$T/hosts" <<'EOF2'
# Exchange transport servers
mail-hub1
mail-hub2   smtp.corp.example     # two names
mail-edge1, mail-edge1.dmz.corp.example
  
192.0.2.30 mx30.corp.example
EOF2
mkdir "$T/out"
run --pass-file "$PASS" issue --hosts-file "$T/hosts" --key ec:P-256 --out "$T/out"
assert_rc 0 "issue --hosts-file"
assert_eq "$(printf '%s\n' "$out" | grep -c .)" "4" "one line per certificate"
assert_contains "$err" "4 certificates issued" "summary"
for base in mail-hub1 mail-hub2 mail-edge1 192.0.2.30; do
	for f in crt key chain.pem pfx pfx-password; do
		[ -s "$T/out/$base.$f" ] || fail "$base.$f missing"
	done
	v=$(openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca.pem" "$T/out/$base.crt")
	assert_eq "$v" "$T/out/$base.crt: OK" "$base verifies"
	a=$(openssl pkey -in "$T/out/$base.key" -pubout | sha256sum)
	b=$(openssl x509 -in "$T/out/$base.crt" -noout -pubkey | sha256sum)
	assert_eq "$a" "$b" "$base key matches"
done
san=$(openssl x509 -in "$T/out/mail-hub2.crt" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')
assert_eq "$san" "DNS:mail-hub2, DNS:mail-hub2.corp.example, DNS:smtp.corp.example" "names of a line"
san=$(openssl x509 -in "$T/out/192.0.2.30.crt" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')
assert_eq "$san" "IP Address:192.0.2.30, DNS:mx30.corp.example" "IP first"
run --json list
assert_eq "$(printf '%s' "$out" | jq length)" "4" "4 records"
ok "hosts file issued"

# Each printed serial is the serial of the file written for it.
run --pass-file "$PASS" --json issue --hosts-file "$T/hosts" --key ec:P-256 --no-pfx --out "$T/out" --force
assert_rc 0 "--json --force"
assert_eq "$(printf '%s' "$out" | jq length)" "4" "JSON array of 4"
for i in 0 1 2 3; do
	s=$(printf '%s' "$out" | jq -r ".[$i].serial")
	f=$(printf '%s' "$out" | jq -r ".[$i].files.crt")
	o=$(openssl x509 -in "$f" -noout -serial | cut -d= -f2)
	case "$s" in *"$o") ;; *) fail "$f has serial $o, JSON says $s" ;; esac
done
ok "JSON results match the files"

# A bad line anywhere: nothing is issued, the line number is named.
printf 'mail-a\nmail-b\nmail_c\nmail-d\n' > "$T/bad"
mkdir "$T/out2"
expect_error 65 "hosts file $T/bad line 3: host name 'mail_c': '_' is not allowed" \
	--pass-file "$PASS" issue --hosts-file "$T/bad" --key ec:P-256 --out "$T/out2"
[ -z "$(ls "$T/out2")" ] || fail "files were written although line 3 is bad"
printf 'mail-a\nmail-b\nMAIL-A\n' > "$T/dup"
expect_error 65 "lines 1 and 3: both would write mail-a" --pass-file "$PASS" issue --hosts-file "$T/dup" --key ec:P-256 --out "$T/out2"
touch "$T/out2/mail-b.crt"
expect_error 73 "line 2: $T/out2/mail-b.crt already exists" --pass-file "$PASS" issue --hosts-file "$T/dup" --key ec:P-256 --out "$T/out2"
printf '# only comments\n\n' > "$T/empty"
expect_error 65 "no host names in it" --pass-file "$PASS" issue --hosts-file "$T/empty"
expect_error 66 "hosts file $T/nothere: No such file" --pass-file "$PASS" issue --hosts-file "$T/nothere"
expect_error 64 "cannot be combined" --pass-file "$PASS" issue --hosts-file "$T/hosts" --host x
ok "bad hosts files"

# --no-files: many certificates, store only; all exportable afterwards.
seq 1 300 | sed 's/^/node/' > "$T/many"
run --pass-file "$PASS" issue --hosts-file "$T/many" --key ec:P-256 --no-files
assert_rc 0 "300 certificates, store only"
assert_eq "$(printf '%s\n' "$out" | grep -c .)" "300" "300 result lines"
run --json list --host node123
assert_eq "$(printf '%s' "$out" | jq length)" "1" "node123 in the store"
serial=$(printf '%s' "$out" | jq -r '.[0].serial')
mkdir "$T/exp"
run --pass-file "$PASS" export --serial "$serial" --pem "$T/exp"
assert_rc 0 "export a store-only certificate"
openssl verify -CAfile "$T/ca.pem" "$T/exp/node123.crt" >/dev/null || fail "exported node123 does not verify"
run --json list
assert_eq "$(printf '%s' "$out" | jq '[.[].serial] | unique | length')" "308" "308 distinct serials"
ok "store-only bulk"
finish

# The CA key on a PKCS#11 token (SoftHSM2 in a private directory): init
# makes it there or uses one that is there; every signing path works with
# it and every chain verifies; wrong PIN, missing token, wrong module, no
# such object, unusable key type: one line, the SPEC code, nothing changed;
# serve signs with it (lego, EAB); ca move-key puts a file key there and removes the software copy only
# after a backup that holds it; store verify, check and store backup know.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/token_lib.sh"
. "$SRC/tests/acme_lib.sh"

token_setup
token_init minica 1234
token_init other 1234
umask 077
echo 1234 > "$T/pin"
echo 9999 > "$T/badpin"
URI="pkcs11:token=minica;object=ca?module-path=$MOD"
unset MINICA_PIN_FILE CREDENTIALS_DIRECTORY
verify() { # verify CA LEAF...: openssl's verdict on each
	ca=$1
	shift
	for f in "$@"; do
		v=$(openssl verify -x509_strict -CAfile "$ca" "$f" 2>&1)
		assert_eq "$v" "$f: OK" "openssl verify $f"
	done
}

# ---- init: refusals before anything is made ----
expect_error 64 "--key-uri and --no-passphrase" init --name T --key-uri "$URI" --no-passphrase
expect_error 64 "remove pin-value" --pin-file "$T/pin" init --name T --key-uri "pkcs11:token=minica;object=ca;pin-value=1234"
expect_error 64 "there is no terminal to ask on: give --pin-file" init --name T --key-uri "$URI"
expect_error 77 "wrong PIN for token" --pin-file "$T/badpin" init --name T --key-uri "$URI"
expect_error 66 "no such token in module" --pin-file "$T/pin" init --name T --key-uri "pkcs11:token=nothere;object=ca?module-path=$MOD"
expect_error 66 "no token of p11-kit's registered modules matches" --pin-file "$T/pin" init --name T --key-uri "pkcs11:token=nothere;object=ca"
expect_error 66 "PKCS#11 module /nonexistent/p11.so: not found" --pin-file "$T/pin" init --name T --key-uri "pkcs11:token=minica;object=ca?module-path=/nonexistent/p11.so"
chmod 644 "$T/pin"
expect_error 77 "PIN file .*readable by other users" --pin-file "$T/pin" init --name T --key-uri "$URI"
chmod 600 "$T/pin"
[ ! -e "$MINICA_STORE" ] || fail "a refused init left a store"
GNUTLS_PIN=1234 p11tool --provider "$MOD" --login --generate-privkey rsa --bits 2048 --label small \
	"pkcs11:token=minica" >/dev/null 2>&1 || fail "p11tool --generate-privkey"
expect_error 65 "its key is 2048 bits: a CA key is RSA 3072/4096 or EC P-256/P-384" \
	--pin-file "$T/pin" init --name T --key-uri "pkcs11:token=minica;object=small?module-path=$MOD"

# ---- init on the token (made there, EC P-256; the PIN from $MINICA_PIN_FILE) ----
MINICA_PIN_FILE="$T/pin" run init --name "Token CA" --key ec:P-256 --domain corp.example --key-uri "$URI"
assert_rc 0 "init --key-uri"
assert_contains "$out" "EC P-256 on the token pkcs11:token=minica;object=ca" "init report"
assert_contains "$out" "'store backup' does not hold it" "init says the backup does not hold it"
"$MINICA" ca export > "$T/ca.pem" || fail "ca export"
flags=$(GNUTLS_PIN=1234 p11tool --provider "$MOD" --login --list-privkeys "pkcs11:token=minica;object=ca" 2>/dev/null)
assert_contains "$flags" "CKA_NEVER_EXTRACTABLE" "the key never left the token"
assert_contains "$flags" "CKA_SENSITIVE" "the key is sensitive"
mdb_dump -p -s meta "$MINICA_STORE" > "$T/meta.txt" || fail "mdb_dump"
grep -qx ' ca.key' "$T/meta.txt" && fail "the store holds a CA key"
grep -q 'ca.key.uri' "$T/meta.txt" || fail "the store has no key URI"
run ca show
assert_contains "$out" "on the token pkcs11:token=minica;object=ca" "ca show"
run report --html "$T/r.html"
assert_rc 0 "report"
grep -q "EC P-256, on a PKCS#11 token" "$T/r.html" || fail "report: the key is not said to be on a token"
ok "init on the token"

# an existing key: a second store on the same key (the URI without module-path: p11-kit's modules)
run --store "$T/store2" --pin-file "$T/pin" init --name "Second" --key-uri "pkcs11:token=minica;object=ca"
assert_rc 0 "init --key-uri on the existing key"
pub1=$(openssl x509 -in "$T/ca.pem" -noout -pubkey)
pub2=$("$MINICA" --store "$T/store2" ca export | openssl x509 -noout -pubkey)
assert_eq "$pub2" "$pub1" "the same key"
mkdir "$T/s2out"
run --store "$T/store2" --pin-file "$T/pin" issue --host via-p11-kit --out "$T/s2out" --no-pfx
assert_rc 0 "issue through p11-kit's registered module"
"$MINICA" --store "$T/store2" ca export > "$T/ca-second.pem" || fail "ca export store2"
verify "$T/ca-second.pem" "$T/s2out/via-p11-kit.crt"
ok "init with an existing key"

# ---- a token that keeps no usable secret key (YubiKey PIV; SoftHSM2 with HMAC switched off) ----
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.mechanisms = CKM_RSA_PKCS_KEY_PAIR_GEN,CKM_RSA_PKCS,CKM_SHA256_RSA_PKCS,CKM_EC_KEY_PAIR_GEN,CKM_ECDSA\n' \
	"$T" > "$T/nohmac.conf"
SOFTHSM2_CONF="$T/nohmac.conf" MINICA_STORE="$T/nohmac-ec" expect_error 65 "cannot keep a generic secret \(HMAC\) key.*an EC key cannot stand in" \
	--pin-file "$T/pin" init --name T --key ec:P-256 --key-uri "pkcs11:token=other;object=nohmac-ec?module-path=$MOD"
[ ! -e "$T/nohmac-ec" ] || fail "a refused init left a store"
n=$(GNUTLS_PIN=1234 p11tool --provider "$MOD" --login --list-privkeys "pkcs11:token=other;object=nohmac-ec" 2>/dev/null | grep -c 'Label:')
assert_eq "$n" 0 "the refused init removed the key it had made"
R="$T/nohmac-rsa"
SOFTHSM2_CONF="$T/nohmac.conf" run --store "$R" --pin-file "$T/pin" init --name "RSA on a PIV-like token" --key rsa:3072 \
	--key-uri "pkcs11:token=other;object=nohmac-rsa?module-path=$MOD"
assert_rc 0 "init with an RSA key on a token without HMAC"
assert_contains "$err" "sealed under an RSA signature of the CA key" "init says how it seals"
mkdir "$T/nh1" "$T/nh2"
SOFTHSM2_CONF="$T/nohmac.conf" run --store "$R" --pin-file "$T/pin" issue --host nh --out "$T/nh1"
assert_rc 0 "issue, kept key sealed under the RSA signature"
"$MINICA" --store "$R" ca export > "$T/nh-ca.pem"
verify "$T/nh-ca.pem" "$T/nh1/nh.crt"
SOFTHSM2_CONF="$T/nohmac.conf" run --store "$R" --pin-file "$T/pin" export --host nh --pem "$T/nh2"
assert_rc 0 "export the kept key"
cmp -s "$T/nh1/nh.key" "$T/nh2/nh.key" || fail "the kept key differs (RSA-signature sealing)"
ok "a token without HMAC: RSA keys seal with a signature, EC keys are refused"

# ---- every signing path ----
mkdir "$T/o1" "$T/bulk" "$T/o2"
run --pin-file "$T/pin" issue --host mail-hub1 --out "$T/o1"
assert_rc 0 "issue"
serial1=$(printf '%s\n' "$out" | awk '$1 == "serial" {print $2}')
verify "$T/ca.pem" "$T/o1/mail-hub1.crt"
printf 'h%d\n' 1 2 3 4 5 6 7 8 > "$T/hosts"
run --pin-file "$T/pin" issue --hosts-file "$T/hosts" --out "$T/bulk" --no-pfx
assert_rc 0 "bulk issue"
for i in 1 2 3 4 5 6 7 8; do verify "$T/ca.pem" "$T/bulk/h$i.crt"; done
ok "issue and bulk issue"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/csr.key" \
	-subj /CN=mail-edge1 -out "$T/edge.csr" 2>/dev/null || fail "openssl req"
run --pin-file "$T/pin" sign --csr "$T/edge.csr" --out "$T/edge.crt"
assert_rc 0 "sign"
verify "$T/ca.pem" "$T/edge.crt"
run --pin-file "$T/pin" renew --host mail-hub1 --out "$T/o2"
assert_rc 0 "renew"
verify "$T/ca.pem" "$T/o2/mail-hub1.crt"
run --pin-file "$T/pin" revoke "$serial1" --reason superseded
assert_rc 0 "revoke"
run --pin-file "$T/pin" crl --out "$T/crl.pem"
assert_rc 0 "crl"
v=$(openssl crl -in "$T/crl.pem" -noout -CAfile "$T/ca.pem" 2>&1)
assert_contains "$v" "verify OK" "the CRL's signature"
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl.pem" "$T/o1/mail-hub1.crt" 2>&1)
assert_contains "$v" "certificate revoked" "the revoked leaf is on the CRL"
ok "sign, renew, revoke, crl"
# kept leaf keys open with the token: the same key as issue wrote
mkdir "$T/re"
run --pin-file "$T/pin" export --host mail-hub1 --pem "$T/re"
assert_rc 0 "export a kept key"
cmp -s "$T/re/mail-hub1.key" "$T/o2/mail-hub1.key" || fail "the kept leaf key differs"
run --pin-file "$T/pin" --json acme account add --names corp.example
assert_rc 0 "acme account add (the EAB key sealed with the token's secret)"
KID=$(printf '%s' "$out" | jq -r .kid)
HMAC=$(printf '%s' "$out" | jq -r .hmac_key)
ok "kept leaf keys and EAB keys"
run --pin-file "$T/pin" ca extend --years 25
assert_rc 0 "ca extend"
"$MINICA" ca export > "$T/ca2.pem" || fail "ca export"
verify "$T/ca2.pem" "$T/o1/mail-hub1.crt" "$T/o2/mail-hub1.crt" "$T/bulk/h8.crt" "$T/edge.crt"
assert_eq "$(openssl x509 -in "$T/ca2.pem" -noout -pubkey)" "$pub1" "extend keeps the key"
ok "ca extend"

# ---- serve: the signer holds the token session; lego with EAB and http-01 ----
HTTP_PORT=$(free_port)
mkdir -p "$T/www/.well-known/acme-challenge"
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$HTTP_PORT" >"$T/www.log" 2>&1 &
PIDS="$PIDS $!"
wait_port "$HTTP_PORT"
start_dns
start_serve --pin-file "$T/pin" --http01-port "$HTTP_PORT" --resolver "127.0.0.1:$DNS_PORT"
LEGO_CA_CERTIFICATES="$T/ca2.pem" timeout 120 /usr/bin/lego --server "$DIR_URL" \
	--email hostmaster@corp.example --accept-tos --path "$T/lego" --eab --kid "$KID" --hmac "$HMAC" \
	--domains mail-hub7.corp.example --http --http.webroot "$T/www" run >"$T/lego.out" 2>&1 ||
	fail "lego with a token-held CA key: $(tail -5 "$T/lego.out") $(tail -5 "$T/serve.log")"
verify "$T/ca2.pem" "$T/lego/certificates/mail-hub7.corp.example.crt"
stop_all
ok "serve with the key on the token (lego, EAB opened with the token's secret)"

# ---- errors at signing time: one line, the code, the store unchanged ----
# the object gone from the token (deleted by its own tool): 66, naming it
run --store "$T/store4" --pin-file "$T/pin" init --name Fourth --key ec:P-256 --key-uri "pkcs11:token=minica;object=gone"
assert_rc 0 "init a store whose key is then deleted"
GNUTLS_PIN=1234 p11tool --provider "$MOD" --login --batch --delete "pkcs11:token=minica;object=gone" >/dev/null 2>&1 ||
	fail "p11tool --delete"
MINICA_STORE="$T/store4" expect_error 66 "token pkcs11:token=minica;object=gone: the CA key is not on it" --pin-file "$T/pin" issue --host x1 --out "$T/o1"
expect_error 77 "wrong PIN for token pkcs11:token=minica;object=ca" --pin-file "$T/badpin" issue --host x1 --out "$T/o1"
expect_error 64 "there is no terminal to ask on" issue --host x1 --out "$T/o1"
mkdir -m 700 "$T/emptytokens"
printf 'directories.tokendir = %s/emptytokens\nobjectstore.backend = file\n' "$T" > "$T/empty.conf"
SOFTHSM2_CONF="$T/empty.conf" expect_error 66 "no such token in module" --pin-file "$T/pin" issue --host x1 --out "$T/o1"
ok "errors at signing time"

# ---- store verify, check, store backup ----
run store verify
assert_rc 0 "store verify"
SOFTHSM2_CONF="$T/empty.conf" run store verify
assert_rc 74 "store verify without the token"
assert_contains "$out" "token: key URI" "store verify names the token"
run --pin-file "$T/pin" check
assert_rc 2 "check after a wrong PIN: the token counts down, no login tried"
assert_contains "$out" "a wrong PIN was given" "check: count-down"
run --pin-file "$T/pin" issue --host x2 --out "$T/o1"
assert_rc 0 "a good PIN resets the count-down"
run --pin-file "$T/pin" check
assert_rc 0 "check"
run --pin-file "$T/badpin" check
assert_rc 2 "check with a wrong PIN"
assert_contains "$out" "MINICA CRITICAL - the CA key's token cannot sign: wrong PIN" "check: wrong PIN"
assert_contains "$out" "fix: plug in the token" "check says what to do"
SOFTHSM2_CONF="$T/empty.conf" run check
assert_rc 2 "check without the token"
run store backup "$T/tok.mdb"
assert_rc 0 "store backup"
assert_contains "$out" "The CA key is NOT in this backup: it is on the token" "store backup says so"
ok "store verify, check, store backup"

# ---- ca move-key: a file store's RSA key onto the token ----
F="$T/filestore"
run --store "$F" --pass-file "$PASS" init --name "File CA" --key rsa:3072
assert_rc 0 "init a file store"
"$MINICA" --store "$F" ca export > "$T/fca.pem"
mkdir "$T/f"
run --store "$F" --pass-file "$PASS" issue --host kept --out "$T/f"
assert_rc 0 "issue in the file store"
run --store "$F" --pass-file "$PASS" acme account add --names corp.example
assert_rc 0 "acme account add in the file store"
MOVE="pkcs11:token=other;object=moved?module-path=$MOD"
before=$(store_digest "$F")
run --store "$F" --pass-file "$PASS" --pin-file "$T/pin" ca move-key --to "$MOVE"
assert_rc 64 "move-key without --backup"
run --store "$F" --pass-file "$PASS" --pin-file "$T/pin" ca move-key --to "$MOVE" --backup "$T/none.mdb"
assert_rc 66 "move-key with a missing backup"
run --store "$F" --pass-file "$PASS" --pin-file "$T/pin" ca move-key --to "$MOVE" --backup "$T/tok.mdb"
assert_rc 65 "move-key with another store's backup"
assert_contains "$err" "does not hold this store's CA key" "the backup is checked"
run --store "$F" store backup "$T/f.mdb"
assert_rc 0 "store backup of the file store"
run --store "$F" --pass-file "$PASS" --pin-file "$T/badpin" ca move-key --to "$MOVE" --backup "$T/f.mdb"
assert_rc 77 "move-key with a wrong PIN"
assert_eq "$(store_digest "$F")" "$before" "refused move-keys left the store unchanged"
n=$(GNUTLS_PIN=1234 p11tool --provider "$MOD" --login --list-privkeys "pkcs11:token=other" 2>/dev/null | grep -c 'Label: moved')
assert_eq "$n" 0 "nothing was imported"
run --store "$F" --pass-file "$PASS" --pin-file "$T/pin" --json ca move-key --to "$MOVE" --backup "$T/f.mdb"
assert_rc 0 "move-key"
printf '%s\n' "$out" > "$T/move.json"
flags=$(GNUTLS_PIN=1234 p11tool --provider "$MOD" --login --list-privkeys "pkcs11:token=other;object=moved" 2>/dev/null)
assert_contains "$flags" "CKA_SENSITIVE" "the imported key is sensitive"
mdb_dump -p -s meta "$F" > "$T/fmeta.txt" || fail "mdb_dump"
grep -qx ' ca.key' "$T/fmeta.txt" && fail "the software copy is still in the store"
run --store "$F" audit
assert_rc 0
for step in backup-checked imported proved software-copy-removed; do
	assert_contains "$out" "step=$step" "audit: $step"
done
run --store "$F" store verify
assert_rc 0 "store verify after move-key"
mkdir "$T/f2"
run --store "$F" --pin-file "$T/pin" issue --host after --out "$T/f2"
assert_rc 0 "issue with the moved key (no passphrase now)"
verify "$T/fca.pem" "$T/f2/after.crt" "$T/f/kept.crt"
run --store "$F" --pin-file "$T/pin" export --host kept --pem "$T/f2"
assert_rc 0 "a key kept before the move opens after it"
cmp -s "$T/f2/kept.key" "$T/f/kept.key" || fail "the kept key changed"
run --store "$F" --pin-file "$T/pin" ca move-key --to "$MOVE" --backup "$T/f.mdb"
assert_rc 64 "move-key twice"
ok "ca move-key"

# the --json of what a token changes, against docs/schema
run --json ca show
printf '%s\n' "$out" > "$T/show.json"
run --json store backup "$T/tok2.mdb"
printf '%s\n' "$out" > "$T/backup.json"
assert_eq "$(jq .ca_key_included "$T/backup.json")" false "store backup --json says the key is not in it"
run --store "$T/store3" --pin-file "$T/pin" --json init --name Third --key-uri "pkcs11:token=minica;object=ca"
printf '%s\n' "$out" > "$T/init.json"
/usr/bin/python3 "$SRC/tests/cmd/validate_json.py" "$SRC/docs/schema" ca-move-key "$T/move.json" \
	ca-show "$T/show.json" store-backup "$T/backup.json" init "$T/init.json" 2>"$T/schema.err" ||
	fail "--json output does not match docs/schema: $(cat "$T/schema.err")"
ok "--json validates"

TESTED_WITH="$(softhsm2-util --version 2>/dev/null | sed 's/^/SoftHSM /')"
finish

# minica serve with the CA key on a PKCS#11 token (SoftHSM2 in a private
# directory): the signer holds the token session and nothing else does. The
# front never logs in: the PIN is not in its memory, and the token's module
# is not even loaded there. Finalizes are signed by the token and verify.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/token_lib.sh"
. "$TESTDIR/acme_lib.sh"
LOAD="$TESTDIR/acme_load.py"

token_setup
token_init minica 735911
umask 077
echo 735911 > "$T/pin"
unset MINICA_PIN_FILE CREDENTIALS_DIRECTORY
export MINICA_PIN_FILE="$T/pin"
run --pass-file "$PASS" init --name "Token CA" --key ec:P-256 --domain corp.example \
	--key-uri "pkcs11:token=minica;object=ca?module-path=$MOD"
assert_rc 0 "init --key-uri"
"$MINICA" ca export > "$T/ca.pem" || fail "ca export"

start_dns
HTTP_PORT=$(free_port)
start_serve --eab optional --http01-port "$HTTP_PORT" --resolver "127.0.0.1:$DNS_PORT"
[ -n "$FRONT_PID" ] || fail "serve has no front: $(cat "$T/serve.log")"
mkdir "$T/load"
timeout 120 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load" prepare 3 "$HTTP_PORT" >"$T/p.out" 2>&1 ||
	fail "prepare: $(tail -3 "$T/p.out")"
timeout 120 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load" burst 1 >"$T/b.out" 2>&1 ||
	fail "burst: $(tail -3 "$T/b.out")"
assert_eq "$(jq -r .valid "$T/b.out")" "3" "finalizes signed by the token"
n=0
for serial in $("$MINICA" --json list | jq -r '.[].serial'); do
	"$MINICA" show "$serial" --pem > "$T/leaf.pem" || fail "show $serial"
	v=$(openssl verify -x509_strict -CAfile "$T/ca.pem" "$T/leaf.pem" 2>&1)
	assert_eq "$v" "$T/leaf.pem: OK" "openssl verify of $serial"
	n=$((n + 1))
done
assert_eq "$n" "3" "certificates in the store"
ok "serve with the CA key on a token: 3 finalizes signed, each verifies"

# The token's module is loaded in the signer, never in the front.
grep -q softhsm "/proc/$SERVE_PID/maps" || fail "the signer has not loaded the token's module"
grep -q softhsm "/proc/$FRONT_PID/maps" && fail "the front has loaded the token's module"
if [ "$(id -u)" -eq 0 ]; then
	pin=$(printf '735911' | od -An -tx1 | tr -d ' \n')
	found=$(/usr/bin/python3 - "$FRONT_PID" "$pin" <<'PY'
import re, sys
pid, needle = sys.argv[1], bytes.fromhex(sys.argv[2])
hit = False
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        if m.group(3)[0] != "r" or "[vvar]" in line or "[vsyscall]" in line or hi - lo > 1 << 30:
            continue
        at = lo
        while at < hi:
            try:
                mem.seek(at)
                data = mem.read(min(8 << 20, hi - at))
            except OSError:
                break
            hit = hit or needle in data
            at += min(8 << 20, hi - at)
print("yes" if hit else "no")
PY
)
	assert_eq "$found" "no" "the PIN in the front's memory"
fi
ok "the token's module is loaded by the signer only; the PIN is not in the front's memory"

# The unit hands the PIN over as a credential, as it does the passphrase.
mkdir "$T/unit"
unset MINICA_PASS_FILE
run --pin-file "$T/pin" serve --listen 127.0.0.1:8443 --systemd "$T/unit"
assert_rc 0 "serve --systemd with a token (no passphrase needed)"
assert_not_contains "$(cat "$T/unit/minica-serve.service")" "minica-pass" "a passphrase credential"
assert_contains "$(cat "$T/unit/minica-serve.service")" "LoadCredential=minica-pin:$T/pin" "the unit's PIN credential"
assert_contains "$out" "token PIN LoadCredential=minica-pin:$T/pin" "serve --systemd says so"
unset MINICA_PIN_FILE
expect_error 64 "the CA key is on a token: give --pin-file" serve --listen 127.0.0.1:8443 \
	--systemd "$T/unit" --force
ok "serve --systemd: LoadCredential=minica-pin; without a PIN file, refused"
finish

# serve's two processes (docs/serve-processes.md): the front, which holds
# the network, never holds the CA key or the passphrase and cannot get them;
# the signer holds them. As root: the front's memory (/proc/PID/mem) holds
# neither, the signer's holds the key (the control that proves the search
# reads memory); the front runs as nobody with no_new_privs and a seccomp
# filter, and proves at start that it cannot start a program, trace or fork,
# or open the store. Faults: SIGKILL of the front in the middle of a burst of
# finalizes: the signer starts another, no order or record is half done;
# SIGKILL of the signer: the front exits. The signature budget refuses
# finalize beyond --sign-budget with rateLimited.
TESTDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTDIR/lib.sh"
. "$TESTDIR/acme_lib.sh"
LOAD="$TESTDIR/acme_load.py"
[ "$(id -u)" -eq 0 ] || { echo "acme_split.sh: needs root (it reads other processes' memory); skipped"; exit 0; }

make_ca --domain corp.example
start_dns
HTTP_PORT=$(free_port)
start_serve --eab optional --http01-port "$HTTP_PORT" --resolver "127.0.0.1:$DNS_PORT"

FRONT=$(front_of "$SERVE_PID")
[ -n "$FRONT" ] || fail "serve has no front process: $(cat "$T/serve.log")"
ok "signer $SERVE_PID, front $FRONT"

# ---- what the kernel says of each ----
status() { awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status"; }
assert_eq "$(status "$FRONT" Seccomp)" "2" "the front's Seccomp mode (2: filter)"
assert_eq "$(status "$FRONT" NoNewPrivs)" "1" "the front's NoNewPrivs"
assert_eq "$(status "$FRONT" Uid)" "$(id -u nobody)" "the front's user id"
assert_eq "$(status "$SERVE_PID" Seccomp)" "0" "the signer's Seccomp mode"
ok "front: Seccomp 2, NoNewPrivs 1, Uid $(id -u nobody) (nobody); signer: uid 0, no filter"

# The front's own proof, made at start: each forbidden act was tried and refused.
probe=$(grep 'front: sandbox:' "$T/serve.log") || fail "no sandbox line in the log: $(cat "$T/serve.log")"
# (a sanitizer build lets the front trace and fork: LeakSanitizer stops threads with ptrace)
acts="exec EPERM|$(by_build "ptrace EPERM|fork EPERM" "ptrace allowed (sanitizer build)")|store read EACCES|store write EACCES"
IFS='|'
for act in $acts; do
	case "$probe" in *"$act"*) ;; *) fail "the front's sandbox line lacks '$act': $probe" ;; esac
done
unset IFS
ok "the front refused exec, ptrace, fork and both opens of the store: $probe"

# No descriptor of the front points into the store.
store_real=$(readlink -f "$MINICA_STORE")
for fd in /proc/"$FRONT"/fd/*; do
	case "$(readlink "$fd")" in "$store_real"/*) fail "the front holds $(readlink "$fd") open" ;; esac
done
ok "the front has no descriptor into the store"

# ---- memory: the CA key's private scalar and the passphrase ----
keyhex=$(printf 'ca.key' | od -An -tx1 | tr -d ' \n')
mdb_dump -s meta "$MINICA_STORE" | awk -v k=" $keyhex" 'found {print; exit} $0 == k {found=1}' |
	tr -d ' ' | perl -ne 'chomp; print pack("H*", $_)' > "$T/cakey.enc"
openssl pkcs8 -inform DER -in "$T/cakey.enc" -passin file:"$PASS" -outform DER -out "$T/cakey.der" 2>/dev/null ||
	fail "openssl cannot decrypt the CA key"
scalar=$(openssl pkey -inform DER -in "$T/cakey.der" -noout -text |
	awk '/^priv:/ {p=1; next} /^pub:/ {p=0} p' | tr -d ' :\n' | sed 's/^00//')
[ ${#scalar} -eq 64 ] || fail "could not read the CA key's scalar"
pass=$(head -1 "$PASS" | od -An -tx1 | tr -d ' \n')
# search PID HEX...: how many of the byte strings (and their byte-reversed
# forms: OpenSSL keeps numbers as little-endian words) occur in PID's memory
search() {
	/usr/bin/python3 - "$@" <<'PY'
import re, sys
pid, needles = sys.argv[1], [bytes.fromhex(h) for h in sys.argv[2:]]
found = set()
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        lo, hi, perm = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        # (a sanitizer's shadow memory is terabytes of reserved, untouched pages)
        if perm[0] != "r" or "[vvar]" in line or "[vsyscall]" in line or hi - lo > 1 << 30:
            continue
        at, tail = lo, b""
        while at < hi:
            try:
                mem.seek(at)
                data = tail + mem.read(min(8 << 20, hi - at))
            except OSError:
                break
            for i, n in enumerate(needles):
                if n in data or n[::-1] in data:
                    found.add(i)
            tail = data[-64:]
            at += min(8 << 20, hi - at)
print(" ".join(str(i) for i in sorted(found)))
PY
}
# a finalize first, so that the signer has signed and the front has worked
mkdir "$T/load1"
timeout 120 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load1" prepare 2 "$HTTP_PORT" >"$T/p1.out" 2>&1 ||
	fail "prepare: $(tail -3 "$T/p1.out")"
timeout 120 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load1" burst 1 >"$T/b1.out" 2>&1 ||
	fail "burst: $(tail -3 "$T/b1.out")"
in_signer=$(search "$SERVE_PID" "$scalar")
assert_eq "$in_signer" "0" "the CA key's scalar in the signer's memory (the control)"
in_front=$(search "$FRONT" "$scalar" "$pass")
assert_eq "$in_front" "" "the CA key or the passphrase in the front's memory"
# the signer wipes the passphrase once the key is unlocked: said, not asserted
pass_in_signer=$([ -n "$(search "$SERVE_PID" "$pass")" ] && echo "still" || echo "no longer")
ok "the CA key's scalar is in the signer's memory and not in the front's; the passphrase is not in the front's (and $pass_in_signer in the signer's)"

# ---- not started as root (the systemd unit runs serve as the store's owner) ----
# The front keeps the user, so the store's mode does not keep it out: Landlock
# does. A --no-passphrase store, whose key is in clear in data.mdb.
mkdir "$T/owned"
"$MINICA" --store "$T/owned/s" init --name "Owned CA" --key ec:P-256 --no-passphrase >/dev/null 2>&1 ||
	fail "init --no-passphrase"
chown -R nobody "$T/owned"
chmod 755 "$T"
# nobody may not reach the checkout (a clone in /root is mode 0700): a copy of the binary and
# the templates where nobody can read them
mkdir -m 755 "$T/nobody-bin" && cp "$MINICA" "$T/nobody-bin/minica" &&
	cp -R "$MINICA_TEMPLATES" "$T/nobody-bin/templates" && chmod -R a+rX "$T/nobody-bin" ||
	fail "copy minica and its templates where nobody can run them"
ACME3=$(free_port)
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all env MINICA_TEMPLATES="$T/nobody-bin/templates" \
	"$T/nobody-bin/minica" --store "$T/owned/s" serve --listen "127.0.0.1:$ACME3" --eab optional \
	>"$T/serve3.log" 2>&1 &
S3=$!
PIDS="$PIDS $S3"
wait_port "$ACME3" 60
F3=$(front_of "$S3")
[ -n "$F3" ] || fail "serve as nobody has no front: $(cat "$T/serve3.log")"
assert_eq "$(status "$F3" Uid)" "$(id -u nobody)" "the front's user id (not root: the same as the signer's)"
probe3=$(grep 'front: sandbox:' "$T/serve3.log") || fail "no sandbox line: $(cat "$T/serve3.log")"
case "$probe3" in *"landlock on"*"store read EACCES, store write EACCES"*) ;;
*) fail "the front of a serve started as the store's owner could open the store: $probe3" ;; esac
"$MINICA" --store "$T/owned/s" ca export >"$T/owned.pem" || fail "ca export"
curl -sf -o /dev/null --cacert "$T/owned.pem" "https://127.0.0.1:$ACME3/acme/directory" ||
	fail "serve as nobody does not answer"
stop_pid "$S3"
chmod 700 "$T"
ok "started as the store's owner (nobody) with a clear key: Landlock keeps the store from the front ($probe3)"

# ---- the signer dies: the front answers what waits with a problem, and goes too ----
# (a second server, on a store of its own: one serve per store; so that the
# rest of this test keeps its own). The signer is stopped first, so that a
# request is surely waiting for it when it dies.
ACME2=$(free_port)
MINICA_STORE="$T/store2" "$MINICA" init --name "Second CA" --key ec:P-256 --no-passphrase >/dev/null 2>&1 ||
	fail "a second store"
MINICA_STORE="$T/store2" "$MINICA" ca export >"$T/ca2.pem" || fail "ca export of the second store"
MINICA_STORE="$T/store2" "$MINICA" serve --listen "127.0.0.1:$ACME2" --eab optional >"$T/serve2.log" 2>&1 &
S2=$!
PIDS="$PIDS $S2"
wait_port "$ACME2" 60
F2=$(front_of "$S2")
[ -n "$F2" ] || fail "the second serve has no front"
kill -STOP "$S2"
curl -s --max-time 20 --cacert "$T/ca2.pem" -D "$T/waiting.head" -o "$T/waiting.body" \
	"https://127.0.0.1:$ACME2/acme/directory" &
waiting=$!
sleep 1
kill -KILL "$S2"
wait "$S2" 2>/dev/null
wait "$waiting" || fail "the request that waited for the signer got no answer"
head -1 "$T/waiting.head" | grep -q ' 500' || fail "the waiting request was answered $(head -1 "$T/waiting.head")"
assert_eq "$(jq -r .type "$T/waiting.body")" "urn:ietf:params:acme:error:serverInternal" "the waiting request's problem"
# (an orphan that has exited stays a zombie until init reaps it: that is gone too)
running() { [ -e "/proc/$1" ] && [ "$(awk '$1 == "State:" { print $2 }' "/proc/$1/status" 2>/dev/null)" != Z ]; }
i=0
while running "$F2" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
running "$F2" && fail "the front lives on 10 s after its signer was killed"
grep -q 'front: the signer stopped' "$T/serve2.log" || fail "the front did not say why it stopped: $(cat "$T/serve2.log")"
ok "the signer killed: the request waiting for it got a serverInternal problem ($(jq -r .detail "$T/waiting.body")), the front exited within $((i * 50)) ms"

# ---- the front dies in the middle of a burst: a new one, nothing half done ----
N=120
mkdir "$T/load"
timeout 300 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load" prepare "$N" "$HTTP_PORT" >"$T/prepare.out" 2>&1 ||
	fail "prepare: $(tail -3 "$T/prepare.out")"
base=$("$MINICA" --json list | jq length)
timeout 300 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load" burst 4 >"$T/burst.out" 2>&1 &
burst=$!
i=0
while [ "$("$MINICA" --json list 2>/dev/null | jq length)" -lt $((base + 1)) ] && [ $i -lt 600 ]; do
	sleep 0.02
	i=$((i + 1))
done
kill -KILL "$FRONT"
wait "$burst"
killed_at=$(( $("$MINICA" --json list | jq length) - base ))
[ "$killed_at" -lt "$N" ] || fail "the kill came after the whole burst ($killed_at of $N)"
i=0
while { NEW=$(front_of "$SERVE_PID"); [ -z "$NEW" ] || [ "$NEW" = "$FRONT" ]; } && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -n "$NEW" ] && [ "$NEW" != "$FRONT" ] || fail "the signer started no new front: $(tail -5 "$T/serve.log")"
kill -0 "$SERVE_PID" || fail "the signer died with its front"
wait_port "$ACME_PORT" 30
grep -q "the front (pid $FRONT) was ended by signal 9; starting another" "$T/serve.log" ||
	fail "the log does not say the front was restarted: $(tail -5 "$T/serve.log")"
ok "front killed after $killed_at of $N certificates: the signer started front $NEW"
timeout 300 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load" check >"$T/check.out" 2>&1 ||
	fail "check: $(tail -3 "$T/check.out")"
assert_eq "$(jq -r .bad "$T/check.out")" "0" "orders neither valid nor ready"
assert_eq "$(( $(jq -r .valid "$T/check.out") + $(jq -r .finalized_now "$T/check.out") ))" "$N" "every order ends valid"
assert_eq "$(( $("$MINICA" --json list | jq length) - base ))" "$N" "one certificate per order, no more"
run store verify
assert_rc 0 "store verify"
assert_contains "$out" "problems        0" "store verify"
ok "after the front's death: every order valid with one certificate, store verify clean"

# ---- the signature budget ----
stop_pid "$SERVE_PID"
start_serve --eab optional --http01-port "$HTTP_PORT" --resolver "127.0.0.1:$DNS_PORT" --sign-budget 2
mkdir "$T/load3"
timeout 120 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load3" prepare 4 "$HTTP_PORT" >"$T/p3.out" 2>&1 ||
	fail "prepare: $(tail -3 "$T/p3.out")"
before=$("$MINICA" --json list | jq length)
# the budget is per minute of the clock: all four within one
while [ "$(date +%S)" -ge 50 ]; do sleep 1; done
timeout 120 /usr/bin/python3 "$LOAD" "$DIR_URL" "$T/ca.pem" "$T/load3" burst 1 >"$T/b3.out" 2>&1
signed=$(( $("$MINICA" --json list | jq length) - before ))
assert_eq "$signed" "2" "certificates signed under --sign-budget 2"
assert_eq "$(jq -r .valid "$T/b3.out")" "2" "finalizes answered valid"
assert_eq "$(jq -c .error_types "$T/b3.out")" '["urn:ietf:params:acme:error:rateLimited"]' "the refusals' problem type"
assert_eq "$(grep -c 'signature budget (--sign-budget 2 a minute) is spent' "$T/serve.log")" "1" "budget log lines"
ok "--sign-budget 2: $signed signed, the rest refused with rateLimited, one log line"
finish

# Disk full, for real: a store on a 2 MiB tmpfs that is then filled up.
# 'issue' must fail with exit 74 and one clear line, change nothing, leave a
# store that verifies with every earlier certificate intact, and work again
# once space is freed. The same for files written to a full disk after the
# commit, and for 'store backup' onto a full disk.
#
# Mounting needs CAP_SYS_ADMIN. Without it the real test is SKIPPED, and
# the last line says so and why: it never passes without having filled a
# disk. A SIMULATION runs everywhere first: an LD_PRELOAD shim
# (tests/shim/enospc.c) makes writes into the store fail with ENOSPC after
# 0 to 64 KiB, which drives minica's and LMDB's real error paths.
SHIM_SRC=$(cd "$(dirname "$0")/../shim" && pwd)/enospc.c
. "$(dirname "$0")/../lib.sh"

# logical content of a store (the data file itself may hold pages that a
# failed commit wrote past the last committed one)
logical() { mdb_dump -a "$1" | sha256sum; }

# ---- simulated: writes into the store fail after a budget ----
cc -shared -fPIC -O1 -o "$T/enospc.so" "$SHIM_SRC" -ldl ||
	fail "cannot build the ENOSPC shim"
SIM="$T/sim"
run --store "$SIM" init --name "Sim CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init"
mkdir "$T/sim-out"
refused=0
stored=0
for budget in 0 1 4096 8192 12288 16384 24576 32768 65536; do
	before=$(logical "$SIM")
	out=$(MINICA_ENOSPC_DIR="$SIM" MINICA_ENOSPC_AFTER=$budget LD_PRELOAD="$T/enospc.so" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$MINICA" --store "$SIM" issue --host "sim$budget" --key ec:P-256 --no-pfx \
		--out "$T/sim-out" 2>"$T/.stderr" </dev/null)
	rc=$?
	err=$(cat "$T/.stderr")
	if [ $rc -eq 0 ]; then
		stored=$((stored + 1))
		continue
	fi
	refused=$((refused + 1))
	assert_rc 74 "issue with $budget bytes left (simulated)"
	assert_eq "$err" "minica: store $SIM: commit: the disk is full (free some space and retry)" \
		"the message with $budget bytes left"
	assert_eq "$(logical "$SIM")" "$before" "the store after a refused issue ($budget bytes left)"
	[ ! -e "$T/sim-out/sim$budget.crt" ] || fail "files written for a refused issue"
	run --store "$SIM" store verify
	assert_rc 0 "store verify after a refused issue ($budget bytes left)"
done
[ $refused -ge 3 ] || fail "only $refused simulated issues were refused"
run --store "$SIM" store verify
assert_match "$out" "records +$stored$" "the issues that fitted are stored"
ok "simulated ENOSPC after 0-64 KiB: $refused issues refused with 74 and nothing changed, $stored stored, store verify clean"

# ---- real: a filled-up tmpfs ----
SMALL="$T/small"
mkdir "$SMALL"
if ! mount -t tmpfs -o size=2m,mode=0700 tmpfs "$SMALL" 2>"$T/mount.err"; then
	echo "$(basename "$0"): $TESTS_RUN checks passed (simulated ENOSPC only); real disk-full" \
		"test SKIPPED: cannot mount a small filesystem (mount -t tmpfs: $(head -1 "$T/mount.err");" \
		"needs root with CAP_SYS_ADMIN)"
	exit 0
fi
trap 'umount "$SMALL" 2>/dev/null; rm -rf "$T"' EXIT

S="$SMALL/store"
run --store "$S" init --name "Full CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init on the small filesystem"
"$MINICA" --store "$S" ca export > "$T/ca.pem" || fail "ca export"
mkdir "$T/out"
for h in before1 before2 before3; do
	run --store "$S" issue --host "$h" --key ec:P-256 --no-pfx --out "$T/out"
	assert_rc 0 "issue $h"
done

fill() { dd if=/dev/zero of="$SMALL/filler" bs=4k 2>/dev/null; sync; }
fill
avail=$(df -k --output=avail "$SMALL" | tail -1 | tr -d ' ')
assert_eq "$avail" "0" "free space after filling"

# LMDB reuses freed pages first, so a few issues may still fit: go on until one does not.
n=0
while :; do
	before=$(logical "$S")
	run --store "$S" issue --host "full$n" --key ec:P-256 --no-pfx --out "$T/out"
	[ "$rc" -ne 0 ] && break
	n=$((n + 1))
	[ $n -lt 100 ] || fail "100 issues fit on a full disk"
done
assert_rc 74 "issue on a full disk"
assert_eq "$(printf '%s\n' "$err" | grep -c .)" "1" "one line on stderr"
assert_match "$err" "^minica: store $S: commit: the disk is full \(free some space and retry\)$" "the message"
assert_eq "$(logical "$S")" "$before" "the failed issue changed nothing in the store"
[ ! -e "$T/out/full$n.crt" ] || fail "files were written for a certificate that was not stored"
ok "issue on a full disk: exit 74, '$err' ($n more fitted in freed pages first)"

run --store "$S" store verify
assert_rc 0 "store verify on the full disk"
assert_match "$out" "records +$((3 + n))$" "every earlier record is there"
for h in before1 before2 before3; do
	openssl verify -CAfile "$T/ca.pem" "$T/out/$h.crt" >/dev/null || fail "$h.crt"
	"$MINICA" --store "$S" --json show --host "$h" --pem | jq -j '.[0].pem' | cmp -s - "$T/out/$h.crt" ||
		fail "the record of $h is not its certificate"
done
ok "the store verifies on the full disk and the earlier certificates are intact"

# store backup onto the full disk: exit 74, no partial file left behind
run --store "$S" store backup "$SMALL/backup.mdb"
assert_rc 74 "store backup onto a full disk"
assert_match "$err" "^minica: backup $SMALL/backup.mdb: the disk is full" "backup message"
[ -z "$(ls "$SMALL" | grep backup)" ] || fail "backup left a file on the full disk"
ok "store backup onto a full disk: exit 74, nothing left"

rm -f "$SMALL/filler"
run --store "$S" issue --host after --key ec:P-256 --no-pfx --out "$T/out"
assert_rc 0 "issue once space is freed"
openssl verify -CAfile "$T/ca.pem" "$T/out/after.crt" >/dev/null || fail "after.crt"
run --store "$S" store verify
assert_rc 0 "store verify after freeing space"
ok "issuing works again once space is freed"

# The store has room, the output directory is full: the certificate is
# stored (files come after the commit), and the message says how to get
# the files again; no temporary file is left behind.
mv "$S" "$T/store2"
mkdir "$SMALL/out"
fill
run --store "$T/store2" issue --host late --key ec:P-256 --no-pfx --out "$SMALL/out"
assert_rc 74 "issue with a full output directory"
assert_match "$err" "No space left on device" "says why"
assert_match "$err" "No space left on device; late is stored \(serial [0-9A-F]{32}\): write its files again with 'minica export --serial" "says how to recover, on the same line"
assert_eq "$(printf '%s\n' "$err" | grep -c .)" "1" "one line on stderr"
[ -z "$(ls "$SMALL/out" | grep tmp-)" ] || fail "temporary files left in the full directory"
serial=$(printf '%s\n' "$err" | sed -n 's/.*(serial \([0-9A-F]*\)).*/\1/p' | head -1)
rm -f "$SMALL/filler"
run --store "$T/store2" export --serial "$serial" --pem "$SMALL/out" --force
assert_rc 0 "export writes the files once space is freed"
openssl verify -CAfile "$T/ca.pem" "$SMALL/out/late.crt" >/dev/null || fail "late.crt"
ok "files on a full disk: exit 74, the record is kept and export writes the files later"
finish

# Crashes: 'issue --hosts-file' killed with SIGKILL at a random moment
# (between its start and half the time an uninterrupted run of the same
# work takes on this machine and build, at least 50 ms: while it loads,
# generates keys, signs, commits or writes files), over and over; first one process at a time, then two at
# once (so that a writer dies while another process holds the lock file:
# LMDB's robust mutex and stale reader slots). Afterwards 'store verify' is
# clean (every record decodes and verifies, every index entry has its
# record), every certificate file on disk is whole and its serial is in the
# store (files are written after the commit), and the store still works:
# 200 kills in all, 80 under a sanitizer build.
# Then, deterministically (strace fault injection): killed just before each
# write of LMDB's commit, before its sync, before the meta page that commits
# it, and just after the commit; the issue is then all there or not at all.
. "$(dirname "$0")/../lib.sh"

KILLS=${CRASH_KILLS:-$(by_build 100 40)}
run init --name "Crash CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init"
"$MINICA" ca export > "$T/ca.pem" || fail "ca export"
mkdir "$T/out"

# The window for the kills: half of how long one whole run takes here (a sanitizer
# build or a loaded machine is slower), timed on a copy of the store.
cp -a "$MINICA_STORE" "$T/timing-store"
i=0
while [ $i -lt 40 ]; do echo "timing-h$i"; i=$((i + 1)); done > "$T/hosts.timing"
mkdir "$T/timing-out"
t0=$(date +%s%N)
"$MINICA" --store "$T/timing-store" -q issue --hosts-file "$T/hosts.timing" --key ec:P-256 --no-pfx \
	--out "$T/timing-out" >/dev/null 2>&1 || fail "an uninterrupted issue --hosts-file"
WINDOW_MS=$(( ($(date +%s%N) - t0) / 2000000 ))
[ "$WINDOW_MS" -ge 50 ] || WINDOW_MS=50
[ "$WINDOW_MS" -le 1000 ] || WINDOW_MS=1000
rm -rf "$T/timing-store" "$T/timing-out"

random_ms() { echo $(($(od -An -N2 -tu2 /dev/urandom) % (WINDOW_MS + 1))); }

# kill_loop NAME N: N rounds that each end with a SIGKILL; counts them in $T/kills.NAME
kill_loop() {
	round=0
	killed=0
	while [ $killed -lt "$2" ]; do
		round=$((round + 1))
		i=0
		while [ $i -lt 40 ]; do
			echo "$1-r$round-h$i"
			i=$((i + 1))
		done > "$T/hosts.$1"
		"$MINICA" -q issue --hosts-file "$T/hosts.$1" --key ec:P-256 --no-pfx --out "$T/out" \
			>/dev/null 2>>"$T/errors.$1" &
		pid=$!
		ms=$(random_ms)
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
		kill -KILL "$pid" 2>/dev/null
		status=0
		{ wait "$pid"; } 2>/dev/null || status=$?
		if [ $status -eq 137 ]; then
			killed=$((killed + 1))
		elif [ $status -ne 0 ]; then
			echo "round $round: issue exited with $status" >>"$T/failed"
		fi
		[ $round -lt $(($2 * 5)) ] || { echo "$1: too few rounds were killed" >>"$T/failed"; break; }
	done
	echo "$killed" > "$T/kills.$1"
}

start=$(date +%s)
kill_loop a "$KILLS"
half=$((KILLS / 2))
kill_loop b "$half" &
pid_b=$!
kill_loop c "$half"
wait "$pid_b"
took=$(($(date +%s) - start))
[ ! -s "$T/failed" ] || fail "$(cat "$T/failed")"
kills=$(($(cat "$T/kills.a") + $(cat "$T/kills.b") + $(cat "$T/kills.c")))
[ "$kills" -ge $((KILLS * 2)) ] || fail "only $kills SIGKILLs"
# a killed process prints nothing or a partial line; a diagnostic from a
# process that was not killed would be a real failure
grep -h "^minica: " "$T"/errors.* | grep -v "^minica: [^ ]*$" && fail "issue reported an error"

run store verify
assert_rc 0 "store verify after $kills SIGKILLs"
records=$(printf '%s\n' "$out" | awk '/records/ {print $2}')
[ "$records" -gt 0 ] || fail "nothing was issued"
ok "$kills SIGKILLs while issuing: store verify clean, $records records"

# Every finished file is whole: the bundle of all of them parses completely.
"$MINICA" --json list | jq -r '.[].serial' | sort > "$T/store.serials"
ca_serial=$(openssl x509 -in "$T/ca.pem" -noout -serial | cut -d= -f2)
crts=$(ls "$T"/out/*.crt 2>/dev/null | wc -l)
chains=$(ls "$T"/out/*.chain.pem 2>/dev/null | wc -l)
cat "$T"/out/*.crt "$T"/out/*.chain.pem > "$T/all.pem"
openssl storeutl -noout -text -certs "$T/all.pem" 2>"$T/storeutl.err" | awk '/Serial Number:/ {
	getline; gsub(/[ :]/, ""); s = toupper($0); while (length(s) < 32) s = "0" s; print s }' \
	> "$T/file.serials"
assert_eq "$(wc -l <"$T/file.serials")" "$((crts + 2 * chains))" "certificates in $crts .crt and $chains .chain.pem files"
# ... and every leaf among them is in the store (a file never exists without its record)
sort -u "$T/file.serials" | grep -vx "$(printf '%032s' "$ca_serial" | tr ' ' 0)" > "$T/leaf.serials"
missing=$(comm -23 "$T/leaf.serials" "$T/store.serials" | wc -l)
assert_eq "$missing" "0" "certificate files whose serial is not in the store"
# temporary files of killed writers: whatever parses must be in the store too
tmps=0
for f in "$T"/out/*.tmp-*; do
	[ -e "$f" ] || continue
	tmps=$((tmps + 1))
	s=$(openssl x509 -in "$f" -noout -serial 2>/dev/null | cut -d= -f2) || continue
	[ -z "$s" ] && continue
	grep -qx "$(printf '%032s' "$s" | tr ' ' 0)" "$T/store.serials" ||
		fail "$f holds a certificate ($s) that is not in the store"
done
with_files=$(sort -u "$T/leaf.serials" | wc -l)
ok "$crts certificate files whole, all in the store; $((records - with_files)) records without files (killed after the commit); $tmps temporary files left"

# A record whose files were lost can be exported again; the store still issues.
orphan=$(comm -13 "$T/leaf.serials" "$T/store.serials" | head -1)
if [ -n "$orphan" ]; then
	mkdir "$T/again"
	run export --serial "$orphan" --pem "$T/again"
	assert_rc 0 "export of a record whose files were lost"
	openssl verify -CAfile "$T/ca.pem" "$T"/again/*.crt >/dev/null || fail "re-exported certificate"
fi
# ---- killed before each write of the commit, and right after it ----
command -v strace >/dev/null || fail "strace is missing (make deps-test installs it)"
# LeakSanitizer cannot work under ptrace
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mkdir "$T/inj"
# kill_at NAME SYSCALL N: run issue for host NAME, killed on entry to the Nth SYSCALL
# (the call is not made); sets $status
kill_at() {
	status=0
	strace -o /dev/null -e trace="$2" -e inject="$2":error=EIO:signal=KILL:when="$3" \
		"$MINICA" -q issue --host "$1" --key ec:P-256 --no-pfx --out "$T/inj" \
		>/dev/null 2>"$T/inj.err" || status=$?
}
in_store() { "$MINICA" --json list --host "$1" | jq length; }
# LMDB writes single pages with pwrite, runs of pages with writev, the meta
# page (which commits) last with pwrite: kill before each of them in turn
writes=0
for call in pwrite64 writev; do
	n=1
	while :; do
		kill_at "inj-$call-$n" $call $n
		[ $status -eq 137 ] || break
		run store verify
		assert_rc 0 "store verify after a kill before $call $n of the commit"
		assert_eq "$(in_store "inj-$call-$n")" "0" "killed before $call $n: not stored"
		n=$((n + 1))
		[ $n -lt 50 ] || fail "more than 50 calls to $call in one commit"
	done
	assert_eq "$status" "0" "issue with no kill: $(cat "$T/inj.err")"
	assert_eq "$(in_store "inj-$call-$n")" "1" "the issue that was not killed is stored"
	writes=$((writes + n - 1))
done
[ $writes -ge 3 ] || fail "only $writes writes in a commit"
kill_at inj-sync fdatasync 1
assert_eq "$status" "137" "killed before the sync of the commit"
assert_eq "$(in_store inj-sync)" "0" "killed before the sync: not stored"
kill_at inj-after renameat2 1
assert_eq "$status" "137" "killed after the commit, before the first file is in place"
assert_eq "$(in_store inj-after)" "1" "killed after the commit: stored"
[ ! -e "$T/inj/inj-after.crt" ] || fail "a certificate file in place without its rename"
run store verify
assert_rc 0 "store verify after the deterministic kills"
ok "killed before each of the $writes writes of a commit (the last is the meta page) and before its sync: nothing stored; killed after it: stored, store verify clean"

run issue --host after-the-crashes --key ec:P-256 --no-pfx --out "$T/out"
assert_rc 0 "issue after the crashes"
run store verify
assert_rc 0 "store verify at the end"
ok "the store works after the crashes (${took}s for $kills kills)"
finish

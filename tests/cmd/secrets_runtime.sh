# Secrets at run time (tests/cmd/secrets.sh checks the store at rest):
# - core dumps are off and the process is not dumpable before a passphrase
#   or a private key enters memory (a passphrase FIFO holds minica at that
#   moment; a template FIFO holds it before, as the control);
# - no secret on the command line, no child process (so no secret in a
#   child's environment);
# - key files created with O_CREAT|O_EXCL, mode 0600, whatever the umask;
# - neither the CA key nor a leaf key is ever written in clear (every
#   write(2) of init, issue, export and store backup traced with strace),
#   except the leaf key's PEM into NAME.key; no file anywhere holds them.
. "$(dirname "$0")/../lib.sh"

command -v strace >/dev/null || fail "strace is missing (make deps-test installs it)"
make_ca --domain corp.example
mkdir -m 700 "$T/secret" # what the test itself decrypts; never scanned
held="" # the minica process held on a FIFO, killed whatever happens
trap '[ -n "$held" ] && kill -KILL $held 2>/dev/null; rm -rf "$T"' EXIT

# wait_exec PID: until the process runs minica (not the shell that starts it)
# and is blocked opening its FIFO (a FIFO's open waits for a writer: openat,
# 257, is the current system call, and wait_for_partner where the kernel
# tells the wait channel).
# A loaded machine or a sanitizer build can take seconds to get there.
wait_exec() {
	n=0
	while [ "$(readlink "/proc/$1/exe" 2>/dev/null)" != "$(readlink -f "$MINICA")" ]; do
		n=$((n + 1))
		[ $n -lt 400 ] || fail "process $1 did not start minica"
		sleep 0.05
	done
	n=0
	until [ "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" = 257 ] &&
		case "$(cat "/proc/$1/wchan" 2>/dev/null)" in wait_for_partner | 0 | "") true ;; *) false ;; esac; do
		n=$((n + 1))
		[ $n -lt 600 ] || fail "process $1 did not block on its FIFO within 30 s"
		sleep 0.05
	done
}
core_limit() { awk '/^Max core file size/ {print $5}' "/proc/$1/limits"; }

# ---- core dumps: off from before the passphrase is read ----
ulimit -c unlimited 2>/dev/null || ulimit -c 1024 2>/dev/null
# an AddressSanitizer build turns core dumps off by itself; leave that to minica
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0"
mkfifo "$T/pass.fifo" "$T/tpl.fifo"
mkdir "$T/cores" && cd "$T/cores" || fail "cd"

# control: held on the template (before any secret), minica may dump core
"$MINICA" issue --host c1 --template "$T/tpl.fifo" --pass-file "$PASS" --out "$T/cores" \
	>/dev/null 2>&1 &
pid=$!
held=$pid
wait_exec $pid
before=$(core_limit $pid)
kill -ABRT $pid
{ wait $pid; } 2>/dev/null
control_cores=$(ls "$T/cores" | grep -c '^core')
[ "$before" != 0 ] || fail "the control process already had core dumps off"

# held on the passphrase FIFO: limits say 0, and SIGABRT leaves no core
"$MINICA" issue --host c2 --key ec:P-256 --pass-file "$T/pass.fifo" --out "$T/cores" \
	>/dev/null 2>&1 &
pid=$!
held=$pid
wait_exec $pid
assert_eq "$(core_limit $pid)" "0" "core file size limit while the passphrase is read"
kill -ABRT $pid
{ wait $pid; } 2>/dev/null
assert_eq "$(ls "$T/cores" | grep -c '^core')" "$control_cores" "core files after SIGABRT"
rm -f "$T"/cores/core*
cd "$T" || fail "cd"
pattern=$(cat /proc/sys/kernel/core_pattern)
if [ "$control_cores" -gt 0 ]; then
	ok "core dumps: the control dumps core, minica holding the passphrase does not"
else
	ok "core dumps: limit 0 while the passphrase is read (no core file check: core_pattern '$pattern' writes none here)"
fi

# dumpable flag: /proc/PID/status of a non-dumpable process belongs to root,
# so run minica as an ordinary user (nobody) to see the difference
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 711 "$T"
	mkdir -m 700 "$T/nobody" && chown 65534:65534 "$T/nobody"
	# nobody may not reach the checkout (a clone in /root is mode 0700): run
	# a copy of the binary and the templates from a directory nobody can read
	mkdir -m 755 "$T/nobody-bin" && cp "$MINICA" "$T/nobody-bin/minica" &&
		cp -R "$MINICA_TEMPLATES" "$T/nobody-bin/templates" && chmod -R a+rX "$T/nobody-bin" ||
		fail "copy minica and its templates where nobody can run them"
	MINICA_SAVED=$MINICA TEMPLATES_SAVED=$MINICA_TEMPLATES
	MINICA=$T/nobody-bin/minica MINICA_TEMPLATES=$T/nobody-bin/templates
	mkfifo -m 600 "$T/nobody/pass.fifo" "$T/nobody/tpl.fifo"
	chown 65534:65534 "$T/nobody/pass.fifo" "$T/nobody/tpl.fifo"
	for step in template init issue; do
		case $step in
		template) args="--store $T/nobody/s0 issue --host n1 --template $T/nobody/tpl.fifo" ;;
		init) args="--store $T/nobody/s1 init --name N --key ec:P-256 --pass-file $T/nobody/pass.fifo" ;;
		issue) args="--store $T/nobody/s2 issue --host n2 --key ec:P-256 --pass-file $T/nobody/pass.fifo --out $T/nobody" ;;
		esac
		if [ $step = issue ]; then
			printf 'a passphrase for nobody\n' > "$T/nobody/pass"
			chown 65534:65534 "$T/nobody/pass"
			setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$MINICA" --store "$T/nobody/s2" init --name N --key ec:P-256 \
				--pass-file "$T/nobody/pass" >/dev/null 2>&1 || fail "init as nobody"
		fi
		# shellcheck disable=SC2086
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$MINICA" $args \
			>/dev/null 2>&1 &
		pid=$!
		held=$pid
		wait_exec $pid
		owner=$(stat -c %U "/proc/$pid/status")
		kill -KILL $pid
		{ wait $pid; } 2>/dev/null
		if [ $step = template ]; then
			assert_eq "$owner" "nobody" "before any secret, minica is dumpable"
		else
			assert_eq "$owner" "root" "$step holding the passphrase FIFO is not dumpable"
		fi
	done
	chmod 700 "$T"
	MINICA=$MINICA_SAVED MINICA_TEMPLATES=$TEMPLATES_SAVED
	ok "not dumpable (PR_SET_DUMPABLE 0) before the passphrase is read: init and issue"
else
	echo "note: not root or no setpriv: the dumpable check (run as nobody) was skipped"
fi

# LeakSanitizer cannot work under ptrace (strace below); the other tests check leaks
export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"

# ---- no secret on the command line, no child process ----
expect_error 64 "unrecognized option '--passphrase'" init --name X --passphrase secret
expect_error 64 "unrecognized option '--password'" issue --host x --password secret
for cmd in init issue export; do
	"$MINICA" $cmd --help | grep -E '^ +(-[a-zA-Z], )?--' | awk '{print ($1 ~ /,$/) ? $2 : $1}' |
		grep -i pass
done | sort -u > "$T/pass-options"
assert_eq "$(tr '\n' ' ' < "$T/pass-options")" "--no-passphrase --pass-file=FILE --pfx-pass-file=FILE " \
	"the only options about passwords take a file"
ok "secrets are never command-line values"

strace -f -o "$T/procs.trace" -e trace=execve,fork,vfork,clone,clone3 \
	"$MINICA" --store "$T/s-trace" --pass-file "$PASS" init --name "Trace CA" --key ec:P-256 >/dev/null 2>&1 ||
	fail "init under strace"
for args in "issue --host t1 --key ec:P-256 --pfx --out $T" "export --host t1 --pem $T/secret --force" \
	"store backup $T/trace.mdb"; do
	# shellcheck disable=SC2086
	strace -f -o "$T/procs.trace.more" -e trace=execve,fork,vfork,clone,clone3 \
		"$MINICA" --store "$T/s-trace" --pass-file "$PASS" $args >/dev/null 2>&1 || fail "minica $args under strace"
	cat "$T/procs.trace.more" >> "$T/procs.trace"
done
assert_eq "$(grep -c 'execve(' "$T/procs.trace")" "4" "one execve per command (minica itself)"
assert_eq "$(grep -E '(fork|clone3?)\(' "$T/procs.trace" | grep -vc 'CLONE_THREAD')" "0" "child processes"
ok "init, issue, export, store backup start no child process"

# ---- key files: O_CREAT|O_EXCL, 0600, whatever the umask ----
mkdir "$T/umask"
(umask 000 && strace -f -o "$T/open.trace" -e trace=openat "$MINICA" --pass-file "$PASS" \
	issue --host mail-hub9 --key ec:P-256 --pfx --out "$T/umask" >/dev/null 2>&1) || fail "issue with umask 000"
for suffix in key pfx pfx-password; do
	grep -E "\"$T/umask/mail-hub9\\.$suffix\\.tmp-[A-Za-z0-9]{6}\"" "$T/open.trace" > "$T/open.line" ||
		fail "no temporary file for mail-hub9.$suffix"
	assert_match "$(cat "$T/open.line")" "O_CREAT\|O_EXCL.*, 0600\)" "$suffix created exclusively, 0600"
	assert_file_mode "$T/umask/mail-hub9.$suffix" 600
done
assert_file_mode "$T/umask/mail-hub9.crt" 644
(umask 000 && strace -o "$T/open.trace" -e trace=openat "$MINICA" store backup "$T/umask/b.mdb" >/dev/null 2>&1) ||
	fail "store backup with umask 000"
assert_match "$(grep "umask/b.mdb.tmp-" "$T/open.trace")" "O_CREAT\|O_EXCL.*, 0600\)" "backup created exclusively, 0600"
assert_file_mode "$T/umask/b.mdb" 600
ok "key, PFX, PFX password and backup files: O_CREAT|O_EXCL, mode 0600 under umask 000"

# ---- no key written in clear: every write of init, issue, export, backup ----
S="$T/s-writes"
tracew() {
	strace -f -y -xx -s 1000000 -o "$T/w.trace.part" \
		-e trace=write,pwrite64,writev,pwritev,pwritev2 "$MINICA" --store "$S" --pass-file "$PASS" "$@" \
		>/dev/null 2>&1 || fail "minica $* under strace"
	cat "$T/w.trace.part" >> "$T/w.trace"
}
mkdir "$T/w-out" "$T/w-export"
tracew init --name "Writes CA" --key ec:P-256
tracew issue --host mail-hub1 --key ec:P-256 --pfx --out "$T/w-out"
tracew export --host mail-hub1 --pem "$T/w-export" --pfx "$T/w-export/again.pfx"
tracew store backup "$T/w.mdb"

# the CA key in clear, taken out of the store and decrypted with openssl
keyhex=$(printf 'ca.key' | od -An -tx1 | tr -d ' \n')
mdb_dump -s meta "$S" | awk -v k=" $keyhex" 'found {print; exit} $0 == k {found=1}' |
	tr -d ' ' | perl -ne 'chomp; print pack("H*", $_)' > "$T/secret/cakey.enc"
openssl pkcs8 -inform DER -in "$T/secret/cakey.enc" -passin file:"$PASS" -outform DER \
	-out "$T/secret/cakey.der" 2>/dev/null || fail "openssl cannot decrypt the CA key"
openssl pkey -in "$T/w-out/mail-hub1.key" -outform DER -out "$T/secret/leaf.der"
hexof() { od -An -tx1 -v "$1" | tr -d ' \n'; }
scalar() { openssl pkey -inform DER -in "$1" -noout -text | awk '/^priv:/ {p=1; next} /^pub:/ {p=0} p' | tr -d ' :\n' | sed 's/^00//'; }
ca_der=$(hexof "$T/secret/cakey.der")
ca_scalar=$(scalar "$T/secret/cakey.der")
leaf_der=$(hexof "$T/secret/leaf.der")
leaf_scalar=$(scalar "$T/secret/leaf.der")
leaf_pem=$(grep -v -- '-----' "$T/w-out/mail-hub1.key" | head -1 | od -An -tx1 -v | tr -d ' \n' | sed 's/0a$//')
[ ${#ca_scalar} -ge 62 ] && [ ${#leaf_scalar} -ge 62 ] && [ ${#leaf_pem} -ge 100 ] || fail "could not read the keys"

perl -e '
	my ($trace, %secret) = @ARGV;
	my $pem = delete $secret{leaf_pem};
	my ($writes, $pem_writes, $bad) = (0, 0, 0);
	sub dehex { my $s = shift; $s =~ s/\\x//g; return lc $s }
	open my $t, "<", $trace or die;
	while (<$t>) {
		next unless /^(?:\d+\s+)?(?:write|pwrite64|writev|pwritev2?)\(\d+<((?:\\x[0-9a-f]{2})*)>,/;
		my $path = pack "H*", dehex($1);
		my $data = join "", map { dehex($_) } /"((?:\\x[0-9a-f]{2})*)"/g;
		$writes++;
		for my $name (sort keys %secret) {
			if (index($data, $secret{$name}) >= 0) { print "$name written to $path\n"; $bad++ }
		}
		if (index($data, $pem) >= 0) {
			if ($path =~ m{/mail-hub1\.key\.tmp-\w{6}$}) { $pem_writes++ }
			else { print "leaf key PEM written to $path\n"; $bad++ }
		}
	}
	print "writes=$writes pem=$pem_writes\n";
	exit($bad ? 1 : 0);
' "$T/w.trace" ca_der "$ca_der" ca_scalar "$ca_scalar" leaf_der "$leaf_der" \
	leaf_scalar "$leaf_scalar" leaf_pem "$leaf_pem" > "$T/w.result" || fail "$(cat "$T/w.result")"
assert_match "$(cat "$T/w.result")" "pem=2$" "the leaf key PEM is written twice: issue's and export's NAME.key"
writes=$(sed -n 's/^writes=\([0-9]*\).*/\1/p' "$T/w.result")
[ "$writes" -ge 10 ] || fail "only $writes writes traced"
ok "$writes traced writes: the CA key and the leaf key never in clear, the leaf PEM only into NAME.key"

# ... and no file anywhere under the test directory holds them
find "$T" -type f ! -path "$T/secret/*" ! -name '*.trace*' > "$T/files"
while read -r f; do
	h=$(hexof "$f")
	for s in "$ca_der" "$ca_scalar" "$leaf_der" "$leaf_scalar"; do
		case "$h" in *"$s"*) fail "$f holds key material in clear" ;; esac
	done
done < "$T/files"
ok "$(wc -l < "$T/files") files scanned: no key in clear"
finish

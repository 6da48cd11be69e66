# Concurrent writers: 4 processes x 100 'issue' at once on one store, then 4
# 'issue --hosts-file' of 100 lines at once (40 under a sanitizer build) (each keeps the store open
# across its commits). LMDB serialises the writers; nothing else may break:
# every command succeeds, the store holds one record per issue with distinct
# serials, every file written matches its record (serial and DER, checked
# with openssl), the audit log has one entry per issue, 'store verify' is clean.
. "$(dirname "$0")/../lib.sh"

PROCS=4
PER=$(by_build 100 40)
run init --name "Busy CA" --key ec:P-256 --no-passphrase
assert_rc 0 "init"
"$MINICA" ca export > "$T/ca.pem" || fail "ca export"

# issue_loop P: PER separate 'issue' processes, one after another
issue_loop() {
	i=0
	while [ $i -lt $PER ]; do
		"$MINICA" -q issue --host "p$1-h$i" --key ec:P-256 --no-pfx --out "$T/out$1" \
			>/dev/null 2>>"$T/errors" || echo "p$1-h$i" >>"$T/failed"
		i=$((i + 1))
	done
}

# check_round N: the store and the files after N certificates in all
check_round() {
	[ ! -s "$T/failed" ] || fail "$(wc -l <"$T/failed") issues failed: $(head -3 "$T/errors")"
	[ ! -s "$T/errors" ] || fail "issue wrote diagnostics: $(head -3 "$T/errors")"
	run --json list
	assert_rc 0 "list"
	printf '%s' "$out" | jq -r '.[].serial' | sort > "$T/store.serials"
	assert_eq "$(wc -l <"$T/store.serials")" "$1" "records in the store"
	assert_eq "$(sort -u "$T/store.serials" | wc -l)" "$1" "distinct serials"
	# one openssl call reads every file's serial, in file order
	ls "$T"/out*/*.crt > "$T/files"
	xargs cat <"$T/files" > "$T/all.pem"
	openssl storeutl -noout -text -certs "$T/all.pem" | awk '/Serial Number:/ {
		getline; gsub(/[ :]/, ""); s = toupper($0); while (length(s) < 32) s = "0" s; print s }' \
		> "$T/file.serials"
	assert_eq "$(wc -l <"$T/file.serials")" "$1" "certificate files"
	sort "$T/file.serials" | cmp -s "$T/store.serials" - ||
		fail "the serials of the files are not those of the store"
	# each file's DER is, byte for byte, in the record stored under its serial
	# (the raw record as LMDB's mdb_dump shows it, not as minica decodes it)
	mdb_dump -s certs "$MINICA_STORE" > "$T/certs.dump" || fail "mdb_dump"
	perl -MMIME::Base64 -e '
		my ($dump, $serials, $files) = @ARGV;
		my (%record, $key, $body, $n);
		open my $d, "<", $dump or die;
		while (<$d>) {
			chomp;
			if (/^HEADER=END/) { $body = 1; next }
			last if /^DATA=END/;
			next unless $body;
			s/^ //;
			if ($n++ % 2 == 0) { $key = uc $_ } else { $record{$key} = uc $_ }
		}
		open my $s, "<", $serials or die;
		open my $f, "<", $files or die;
		while (my $file = <$f>) {
			chomp $file;
			chomp(my $serial = <$s>);
			open my $c, "<", $file or die "$file: $!";
			local $/;
			my ($b64) = <$c> =~ /-----BEGIN CERTIFICATE-----(.*)-----END CERTIFICATE-----/s;
			my $der = uc unpack "H*", decode_base64($b64);
			exists $record{$serial} or die "$file: no record for serial $serial\n";
			index($record{$serial}, $der) >= 0 or die "$file: not the certificate of record $serial\n";
		}' "$T/certs.dump" "$T/file.serials" "$T/files" 2>"$T/perl.err" ||
		fail "a file does not match its record: $(cat "$T/perl.err")"
	verified=$(openssl verify -CAfile "$T/ca.pem" "$T"/out*/*.crt | grep -c ': OK$')
	assert_eq "$verified" "$1" "openssl verify of every certificate file"
	run --json audit
	assert_eq "$(printf '%s' "$out" | jq '[.[] | select(.action == "issue")] | length')" "$1" \
		"one audit entry per issue"
	assert_eq "$(printf '%s' "$out" | jq -r '.[] | select(.action == "issue") | .serial' | sort | tr '\n' ' ')" \
		"$(tr '\n' ' ' <"$T/store.serials")" "the audit log names every serial"
	run store verify
	assert_rc 0 "store verify after $1 concurrent issues"
	assert_match "$out" "records +$1$" "store verify counts"
}

start=$(date +%s)
p=1
while [ $p -le $PROCS ]; do
	mkdir "$T/out$p"
	issue_loop $p &
	eval "pid$p=$!"
	p=$((p + 1))
done
p=1
while [ $p -le $PROCS ]; do
	eval "wait \$pid$p"
	p=$((p + 1))
done
took=$(($(date +%s) - start))
check_round $((PROCS * PER))
ok "$PROCS x $PER concurrent 'issue' processes: $((PROCS * PER)) records, distinct serials, files match (${took}s)"

start=$(date +%s)
p=1
while [ $p -le $PROCS ]; do
	mkdir "$T/out$((PROCS + p))"
	i=0
	while [ $i -lt $PER ]; do
		echo "f$p-h$i"
		i=$((i + 1))
	done > "$T/hosts$p"
	"$MINICA" -q issue --hosts-file "$T/hosts$p" --key ec:P-256 --no-pfx \
		--out "$T/out$((PROCS + p))" >/dev/null 2>>"$T/errors" || echo "hosts file $p" >>"$T/failed" &
	eval "pid$p=$!"
	p=$((p + 1))
done
p=1
while [ $p -le $PROCS ]; do
	eval "wait \$pid$p"
	p=$((p + 1))
done
took=$(($(date +%s) - start))
check_round $((2 * PROCS * PER))
ok "$PROCS concurrent 'issue --hosts-file' of $PER: $((2 * PROCS * PER)) records in all, files match (${took}s)"
finish

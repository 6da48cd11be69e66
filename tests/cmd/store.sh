# store verify | backup | stats and audit: counts on a clean store, no
# passphrase needed, a hot backup taken while another process issues that
# restores and verifies, and every kind of damage found by 'store verify'
# (the damage is made with LMDB's own mdb_dump/mdb_load, not with minica).
. "$(dirname "$0")/../lib.sh"

make_ca --domain corp.example
for h in mail-hub1 mail-hub2 mail-edge1; do
	run --pass-file "$PASS" issue --host "$h" --key ec:P-256 --no-pfx --out "$T"
	assert_rc 0 "issue $h"
done

# ---- a clean store: counts, no passphrase, nothing changes ----
before=$(store_digest)
run store verify
assert_rc 0 "store verify on a clean store"
assert_eq "$err" "" "store verify prints no diagnostic"
assert_contains "$out" "Store $MINICA_STORE: OK"
assert_match "$out" "records +3$" "records"
assert_match "$out" "host names +6 \(6 index entries\)" "hosts (short and qualified)"
assert_match "$out" "expiry index +3 entries" "expiry entries"
assert_match "$out" "CA versions +1$" "CA versions"
assert_match "$out" "audit entries +4$" "audit entries: init + 3 issues"
assert_match "$out" "problems +0$" "problems"
assert_eq "$(store_digest)" "$before" "store verify changes nothing"
ok "store verify: clean store, counts, read-only, no passphrase asked"

run --json store verify
assert_rc 0 "store verify --json"
assert_eq "$(printf '%s' "$out" | jq -c '[.ok, .records, .hosts, .host_entries, .expiry_entries, .ca_versions, .audit_entries, .problems]')" \
	'[true,3,6,6,3,1,4,[]]' "verify JSON"
ok "store verify --json"

run store stats
assert_rc 0 "store stats"
assert_match "$out" "records +3$" "stats records"
assert_match "$out" "audit entries +4$" "stats audit"
assert_match "$out" "bytes per record" "stats bytes per record"
run --json store stats
assert_eq "$(printf '%s' "$out" | jq -c '[.records, .host_entries, .expiry_entries, .ca_versions, .audit_entries]')" \
	'[3,6,3,1,4]' "stats JSON"
size=$(stat -c %s "$MINICA_STORE/data.mdb")
assert_eq "$(printf '%s' "$out" | jq .file_bytes)" "$size" "stats file size is data.mdb's"
[ "$(printf '%s' "$out" | jq '.map_size >= .file_bytes and .bytes_per_record > 0')" = true ] ||
	fail "stats: map size or bytes per record"
ok "store stats"

# ---- audit ----
run audit
assert_rc 0 "audit"
assert_eq "$(printf '%s\n' "$out" | grep -c .)" "5" "audit: header + 4 entries"
assert_match "$out" "^1 +[0-9-]+ [0-9:]+ UTC +init +- +root\(0\)@" "audit: init by root"
serial1=$(openssl x509 -in "$T/mail-hub1.crt" -noout -serial | cut -d= -f2)
assert_match "$out" "^2 .* issue +$serial1 .*hosts=mail-hub1,mail-hub1.corp.example" "audit: issue of mail-hub1"
run --json audit
assert_eq "$(printf '%s' "$out" | jq -c '[.[].action]')" '["init","issue","issue","issue"]' "audit JSON actions"
assert_eq "$(printf '%s' "$out" | jq -r '.[1].serial')" "$serial1" "audit JSON serial"
assert_eq "$(printf '%s' "$out" | jq -c '[.[0].seq, .[0].uid, .[0].user, .[0].serial, (.[0].pid > 0), (.[0].host | length > 0)]')" \
	"[1,$(id -u),\"$(id -un)\",null,true,true]" "audit JSON who"
run audit --since 2999-01-01
assert_rc 0 "audit --since the future"
assert_eq "$(printf '%s\n' "$out" | grep -c .)" "1" "audit --since the future: header only"
run --json audit --since "$(date -u +%Y-%m-%d)"
assert_eq "$(printf '%s' "$out" | jq length)" "4" "audit --since today"
expect_error 64 "--since 'yesterday': not a date" audit --since yesterday
expect_error 64 "--since '2026-02-30': not a date" audit --since 2026-02-30
ok "audit"

# ---- usage errors and a missing store ----
expect_error 64 "store: which one\? verify, backup, stats" store
expect_error 64 "store: unknown command 'fsck'" store fsck
expect_error 64 "give the backup FILE" store backup
expect_error 64 "unexpected argument 'x'" store verify x
expect_error 66 "not initialised" --store "$T/none" store verify
expect_error 66 "not initialised" --store "$T/none" audit

# ---- backup: a file, 0600, that restores and verifies ----
run store backup "$T/b1.mdb"
assert_rc 0 "store backup"
assert_contains "$out" "records   3"
assert_file_mode "$T/b1.mdb" 600
expect_error 73 "b1.mdb already exists" store backup "$T/b1.mdb"
expect_error 73 "nodir" store backup "$T/nodir/b.mdb"
run --json store backup --force "$T/b1.mdb"
assert_rc 0 "store backup --force"
assert_eq "$(printf '%s' "$out" | jq .records)" "3" "backup JSON records"
assert_eq "$(printf '%s' "$out" | jq .bytes)" "$(stat -c %s "$T/b1.mdb")" "backup JSON bytes"
mkdir -m 700 "$T/restored" && cp "$T/b1.mdb" "$T/restored/data.mdb"
run --store "$T/restored" store verify
assert_rc 0 "the restored backup verifies"
run --store "$T/restored" list --json
assert_eq "$(printf '%s' "$out" | jq -c '[.[].serial] | sort')" \
	"$("$MINICA" list --json | jq -c '[.[].serial] | sort')" "the restored backup lists the same certificates"
[ -z "$(ls "$T" | grep 'tmp-')" ] || fail "backup left a temporary file"
ok "store backup: 0600 file, restores, verifies, no temporary left"

# ---- a hot backup while another process issues ----
S2="$T/busy"
BUSY=$(by_build 120 40) # issues during the backups (fewer under a sanitizer build)
run --store "$S2" init --name "Busy CA" --key ec:P-256 --no-passphrase
mkdir "$T/busy-out"
(
	i=0
	while [ $i -lt "$BUSY" ]; do
		"$MINICA" --store "$S2" -q issue --host "busy$i" --key ec:P-256 --no-pfx --out "$T/busy-out" >/dev/null ||
			{ echo "issue $i failed" >"$T/busy-failed"; exit 1; }
		i=$((i + 1))
	done
) &
issuer=$!
n=0
during=0
while [ $n -lt 20 ] && kill -0 "$issuer" 2>/dev/null; do
	n=$((n + 1))
	"$MINICA" --store "$S2" --json store backup "$T/hot$n.mdb" >"$T/hot$n.json" ||
		fail "store backup $n while issuing"
	records=$(jq .records "$T/hot$n.json")
	[ "$records" -gt 0 ] && [ "$records" -lt "$BUSY" ] && during=$((during + 1))
done
wait "$issuer" || fail "the issuing loop failed: $(cat "$T/busy-failed" 2>/dev/null)"
[ "$during" -ge 2 ] || fail "only $during backups were taken while issuing was under way"
i=1
while [ $i -le $n ]; do
	rm -rf "$T/hot" && mkdir -m 700 "$T/hot" && cp "$T/hot$i.mdb" "$T/hot/data.mdb"
	run --store "$T/hot" store verify
	assert_rc 0 "hot backup $i verifies"
	assert_eq "$(printf '%s\n' "$out" | awk '/records/ {print $2}')" "$(jq .records "$T/hot$i.json")" \
		"hot backup $i has the records it reported"
	i=$((i + 1))
done
run --store "$S2" store verify
assert_rc 0 "the busy store verifies"
assert_match "$out" "records +$BUSY$" "$BUSY records issued during the backups"
ok "$n hot backups during $BUSY issues ($during while under way): each restores and verifies"

# ---- damage, made with LMDB's own tools ----
# The store as lines "TABLE KEYHEX VALUEHEX" and back, so a test can drop,
# add or change entries (mdb_load knows no 'duplicates', hence 'dupsort').
dump_lines() {
	mdb_dump -a "$1" | awk '
		/^database=/ { db = substr($0, 10); next }
		/^HEADER=END/ { body = 1; n = 0; next }
		/^DATA=END/ { body = 0; next }
		body { sub(/^ /, ""); if (n++ % 2 == 0) key = $0; else print db, key, $0 }'
}
load_lines() {
	rm -rf "$1" && mkdir -m 700 "$1"
	sort -s -k1,1 | awk '
		$1 != db {
			if (db != "") print "DATA=END"
			db = $1
			print "VERSION=3"; print "format=bytevalue"; print "database=" db; print "type=btree"
			if (db == "by_host") { print "dupsort=1"; print "dupfixed=1" }
			print "HEADER=END"
		}
		{ print " " $2; print " " $3 }
		END { print "DATA=END" }' | (umask 077 && mdb_load "$1") || fail "mdb_load into $1"
}
hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
der_hex() { openssl x509 -in "$1" -outform DER | od -An -tx1 -v | tr -d ' \n'; }

# expect_damage NAME REGEX: 'store verify' of $T/bad finds exactly the problem(s) named
expect_damage() {
	run --store "$T/bad" store verify
	assert_rc 74 "$1: store verify"
	lines=$(printf '%s\n' "$err" | grep -c .)
	[ "$lines" -eq 1 ] || fail "$1: expected one line on stderr, got $lines"
	assert_match "$err" "^minica: store $T/bad: [0-9]+ problems? found" "$1: diagnostic"
	assert_match "$out" "problem +$2" "$1: the problem is named"
	assert_contains "$out" "Store $T/bad: PROBLEMS" "$1: summary"
	run --json --store "$T/bad" store verify
	assert_rc 74 "$1: store verify --json"
	[ "$(printf '%s' "$out" | jq '.ok == false and (.problems | length) > 0')" = true ] ||
		fail "$1: JSON does not report the problem"
	ok "store verify finds: $1"
}

dump_lines "$MINICA_STORE" > "$T/clean.lines"
load_lines "$T/bad" < "$T/clean.lines"
run --store "$T/bad" store verify
assert_rc 0 "a store rebuilt with mdb_load from an unchanged dump verifies"

s1=$(printf '%s' "$serial1" | tr 'A-F' 'a-f')
h1=$(hex mail-hub1)
grep -v "^by_host $h1 $s1\$" "$T/clean.lines" | load_lines "$T/bad"
expect_damage "a host index entry removed" "record $serial1: host 'mail-hub1' is not in the host index"

grep -v "^by_expiry [0-9a-f]*$s1 " "$T/clean.lines" | load_lines "$T/bad"
expect_damage "an expiry entry removed" "record $serial1: not in the expiry index"

{ cat "$T/clean.lines"; echo "by_host $(hex ghost.corp.example) 0102030405060708090a0b0c0d0e0f10"; } | load_lines "$T/bad"
expect_damage "a host entry without a record" "by_host 'ghost.corp.example' -> 0102030405060708090A0B0C0D0E0F10: no such record"

{ cat "$T/clean.lines"; echo "by_host 67686f737466ff 0102030405060708090a0b0c0d0e0f10"; } | load_lines "$T/bad"
expect_damage "a host entry that is not UTF-8" "by_host 'ghostf.xFF' -> 0102030405060708090A0B0C0D0E0F10: no such record"
run --json --store "$T/bad" store verify
assert_contains "$(printf '%s' "$out" | jq -r '.problems[0]')" "'ghostf\\xFF'" "JSON keeps the byte as \\xFF"

awk -v s="$s1" '$1 == "by_expiry" && substr($2, 17) == s { $2 = "7f" substr($2, 3) } { print }' \
	"$T/clean.lines" | load_lines "$T/bad"
expect_damage "an expiry entry with another time" "by_expiry .* -> $serial1: the record's notAfter is"

awk -v s="$s1" '$1 == "certs" && $2 == s { $3 = "3000" } { print }' "$T/clean.lines" | load_lines "$T/bad"
expect_damage "a record that does not decode" "record $serial1: does not decode"

good=$(der_hex "$T/mail-hub1.crt")
last=$(printf '%s' "$good" | tail -c 2)
flipped=$(printf '%s' "$good" | sed "s/..\$/$([ "$last" = 00 ] && echo 01 || echo 00)/")
sed "/^certs $s1 /s/$good/$flipped/" "$T/clean.lines" | load_lines "$T/bad"
expect_damage "a certificate whose signature was changed" \
	"record $serial1: the signature does not verify against the CA certificates of the store"

awk -v s="$s1" '$1 == "certs" && $2 == s { $2 = "0102030405060708090a0b0c0d0e0f10" } { print }' \
	"$T/clean.lines" | load_lines "$T/bad"
expect_damage "a record under another serial" "record 0102030405060708090A0B0C0D0E0F10: holds serial $serial1"

# A record of another CA, with its index entries, slipped into this store.
S3="$T/other"
run --store "$S3" init --name "Other CA" --key ec:P-256 --no-passphrase
run --store "$S3" issue --host intruder.corp.example --key ec:P-256 --no-pfx --out "$T"
assert_rc 0 "issue from the other CA"
foreign=$(openssl x509 -in "$T/intruder.corp.example.crt" -noout -serial | cut -d= -f2)
{ cat "$T/clean.lines"; dump_lines "$S3" | grep -E '^(certs|by_host|by_expiry) '; } | load_lines "$T/bad"
expect_damage "a certificate of another CA" \
	"record $foreign: its authority key identifier matches no CA certificate of the store"

ca_good=$(der_hex "$T/ca.pem")
ca_last=$(printf '%s' "$ca_good" | tail -c 2)
ca_bad=$(printf '%s' "$ca_good" | sed "s/..\$/$([ "$ca_last" = 00 ] && echo 01 || echo 00)/")
sed "/^ca 00000001 /s/$ca_good/$ca_bad/" "$T/clean.lines" | load_lines "$T/bad"
expect_damage "a CA certificate whose signature was changed" "CA version 1: its self-signature does not verify"

grep -v "^meta $(hex ca.key) " "$T/clean.lines" | load_lines "$T/bad"
expect_damage "the CA key removed" "meta: the CA key is missing"

awk -v k="$(hex ca.key)" '$1 == "meta" && $2 == k { $3 = "30030201" "00" } { print }' "$T/clean.lines" | load_lines "$T/bad"
expect_damage "the encrypted CA key replaced" "meta: the encrypted CA key is not a PKCS#8 EncryptedPrivateKeyInfo"

grep -v "^audit 0000000000000002 " "$T/clean.lines" | load_lines "$T/bad"
expect_damage "an audit entry removed" "audit: entry 3 follows entry 1"

awk '$1 == "audit" && $2 == "0000000000000002" { $3 = "3000" } { print }' "$T/clean.lines" | load_lines "$T/bad"
expect_damage "an audit entry that does not decode" "audit entry 2: does not decode"

# every problem is listed, one per line, in one run
{ grep -v "^by_host $h1 $s1\$" "$T/clean.lines" | grep -v "^by_expiry [0-9a-f]*$s1 "
  echo "by_host $(hex ghost.corp.example) 0102030405060708090a0b0c0d0e0f10"; } | load_lines "$T/bad"
expect_damage "three problems at once" "record $serial1: host 'mail-hub1' is not in the host index"
assert_eq "$(printf '%s\n' "$out" | jq '.problems | length')" "3" "three problems listed"
assert_match "$err" "3 problems found" "the diagnostic counts them"

# An unencrypted CA key is checked against the CA certificate.
dump_lines "$S3" > "$T/other.lines"
awk -v k="$(hex ca.key)" -v key="$(grep "^meta $(hex ca.key) " "$T/clean.lines" | cut -d' ' -f3)" \
	'$1 == "meta" && $2 == k { $3 = key } { print }' "$T/other.lines" |
	awk -v k="$(hex ca.key.protection)" '$1 == "meta" && $2 == k { $3 = "'"$(hex pbes2-pbkdf2-sha256-600000-aes256)"'" } { print }' |
	load_lines "$T/bad"
run --store "$T/bad" store verify
assert_rc 0 "another CA's encrypted key is only parsed, never decrypted (no passphrase)"
awk -v k="$(hex ca.key.protection)" '$1 == "meta" && $2 == k { $3 = "'"$(hex none)"'" } { print }' \
	"$T/clean.lines" | load_lines "$T/bad"
expect_damage "an encrypted key marked as unencrypted" "meta: the CA key \(unencrypted\) does not parse"
finish

# Bad input: each gets one clear line on stderr, the SPEC exit code, and
# leaves the store byte-for-byte as it was.
. "$(dirname "$0")/../lib.sh"

# Before any store exists.
expect_error 66 "not initialised: no such directory \(from \\\$MINICA_STORE" --pass-file "$PASS" issue --host mail-hub1
expect_error 66 "not initialised" list
expect_error 64 "--name CN is required" --pass-file "$PASS" init
expect_error 64 "--key 'dsa:1024': a CA key is" --pass-file "$PASS" init --name X --key dsa:1024
expect_error 64 "--key 'rsa:2048': a CA key is" --pass-file "$PASS" init --name X --key rsa:2048
expect_error 64 "unknown option '--bogus' \(see 'minica [a-z]* --help'\)" init --name X --bogus
expect_error 64 "unknown command 'frobnicate'" frobnicate
expect_error 64 "--years '0': must be between 1 and 100" --pass-file "$PASS" init --name X --years 0
printf 'short\n' > "$T/shortpass"
chmod 600 "$T/shortpass"
expect_error 65 "at least 8 characters" --pass-file "$T/shortpass" init --name X
expect_error 66 "passphrase file $T/missing: No such file" --pass-file "$T/missing" init --name X
expect_error 65 "outside --permit-dns" --pass-file "$PASS" init --name X --domain other.example --permit-dns corp.example
[ ! -e "$MINICA_STORE" ] || fail "a failed init left $MINICA_STORE behind"

make_ca --domain corp.example
mkdir "$T/out"
I="--pass-file $PASS issue --out $T/out"

# Host names (65).
expect_error 65 "host name is empty" $I --host ""
long=$(printf 'a%.0s' $(seq 1 63)).$(printf 'b%.0s' $(seq 1 63)).$(printf 'c%.0s' $(seq 1 63)).$(printf 'd%.0s' $(seq 1 62))
assert_eq "${#long}" "254" "254-character host"
expect_error 65 "254 characters long; the limit is 253" $I --host "$long"
label=$(printf 'x%.0s' $(seq 1 64))
expect_error 65 "is 64 characters long; the limit is 63" $I --host "$label.corp.example"
expect_error 65 "'_' is not allowed" $I --host mail_hub1
expect_error 65 "cannot start or end with '-'" $I --host -mailhub
expect_error 65 "'/' is not allowed" $I --host "a/CN=evil"
expect_error 65 "one name per --host: repeat --host for each name" $I --host "a,b"
expect_error 65 "wildcards need a template that allows them" $I --host "*.x"
expect_error 65 "looks like an IP address" $I --host 999.1.2.3
expect_error 65 "has an empty label" $I --host "mail..corp.example"
expect_error 65 "byte 0x0A is not allowed" $I --host "$(printf 'mail\nhub')"
expect_error 65 "' ' is not allowed" $I --host "mail hub"

# Templates.
expect_error 66 "template 'nonesuch' not found in" $I --host mail-hub1 --template nonesuch
expect_error 65 "template name 'bad name!' is not valid" $I --host mail-hub1 --template 'bad name!'
expect_error 66 "template ../nonesuch.cnf: No such file" $I --host mail-hub1 --template ../nonesuch.cnf
printf '[template\nkey = rsa:2048\n' > "$T/syntax.cnf"
expect_error 65 "template $T/syntax.cnf line 1: syntax error" $I --host mail-hub1 --template "$T/syntax.cnf"
printf '[template]\ndescription = x\n\n[extensions]\nbasicConstraints = CA:FALSE\nfrobnicateUsage = critical, yes\n' > "$T/unknown-ext.cnf"
expect_error 65 "template $T/unknown-ext.cnf line 6: \[extensions\] frobnicateUsage: unknown extension name" \
	$I --host mail-hub1 --template "$T/unknown-ext.cnf"
printf '[template]\nkey = rsa:2048\nkeysize = 4096\n\n[extensions]\nbasicConstraints = CA:FALSE\n' > "$T/unknown-key.cnf"
expect_error 65 "line 3: \[template\] keysize: unknown key" $I --host mail-hub1 --template "$T/unknown-key.cnf"
printf '[template]\nkey = dsa:1024\n[extensions]\nbasicConstraints = CA:FALSE\n' > "$T/badkey.cnf"
expect_error 65 "line 2: \[template\] key: 'dsa:1024' is not a supported key type" $I --host mail-hub1 --template "$T/badkey.cnf"
printf '[template]\ndays = 10x\n[extensions]\nbasicConstraints = CA:FALSE\n' > "$T/baddays.cnf"
expect_error 65 "line 2: \[template\] days: '10x'" $I --host mail-hub1 --template "$T/baddays.cnf"
printf '[template]\n[extensions]\nbasicConstraints = critical, CA:TRUE\n' > "$T/ca.cnf"
expect_error 65 "line 3: \[extensions\] basicConstraints: CA:TRUE is not allowed" $I --host mail-hub1 --template "$T/ca.cnf"
printf '[template]\n[extensions]\nkeyUsage = keyCertSign\n' > "$T/certsign.cnf"
expect_error 65 "keyCertSign and cRLSign belong to the CA" $I --host mail-hub1 --template "$T/certsign.cnf"
printf '[template]\n[extensions]\nsubjectAltName = DNS:evil.example\n' > "$T/san.cnf"
expect_error 65 "subjectAltName: set by minica from the host names" $I --host mail-hub1 --template "$T/san.cnf"
printf '[template]\n[extensions]\nkeyUsage = critical, sparkle\n' > "$T/badvalue.cnf"
expect_error 65 "line 3: \[extensions\] keyUsage:" $I --host mail-hub1 --template "$T/badvalue.cnf"
printf '[template]\n  .include /dev/zero\n[extensions]\nbasicConstraints = CA:FALSE\n' > "$T/include.cnf"
expect_error 65 "template $T/include.cnf line 2: directives \(.include, .pragma\) are not allowed" $I --host mail-hub1 --template "$T/include.cnf"
printf '[template]\ndescription = no extensions\n' > "$T/noext.cnf"
expect_error 65 "no \[extensions\] section" $I --host mail-hub1 --template "$T/noext.cnf"

# Numbers (64: the option value is not usable).
expect_error 64 "--days '0': must be between 1 and 36500" $I --host mail-hub1 --days 0
expect_error 64 "--days '-1': must be between 1 and 36500" $I --host mail-hub1 --days -1
expect_error 64 "--days '99999999999999999999': must be between" $I --host mail-hub1 --days 99999999999999999999
expect_error 64 "--days '12abc': not a whole number" $I --host mail-hub1 --days 12abc
expect_error 64 "--days '': not a whole number" $I --host mail-hub1 --days ""
expect_error 64 "--key 'rsa:1024': not a supported key type" $I --host mail-hub1 --key rsa:1024
expect_error 64 "option '--host' requires an argument" $I --host
expect_error 64 "give --host NAME or --hosts-file FILE" $I
expect_error 64 "unknown option '--frobnicate' \(see 'minica [a-z]* --help'\)" $I --host mail-hub1 --frobnicate
expect_error 64 "--status 'gone': one of" list --status gone

# Passphrase and permissions.
printf 'not the passphrase\n' > "$T/wrong"
chmod 600 "$T/wrong"
expect_error 77 "wrong CA passphrase for store" --pass-file "$T/wrong" issue --host mail-hub1 --out "$T/out"
expect_error 64 "the CA passphrase is needed and there is no terminal" issue --host mail-hub1 --out "$T/out"
MINICA_PASS_FILE="$T/wrong"
export MINICA_PASS_FILE
expect_error 77 "wrong CA passphrase" issue --host mail-hub1 --out "$T/out"
unset MINICA_PASS_FILE
chmod 755 "$MINICA_STORE"
expect_error 77 "readable by other users \(mode 0755\)" --pass-file "$PASS" issue --host mail-hub1 --out "$T/out"
expect_error 77 "readable by other users" list
chmod 700 "$MINICA_STORE"
chmod 644 "$MINICA_STORE/data.mdb"
expect_error 77 "data.mdb: readable by other users" list
chmod 600 "$MINICA_STORE/data.mdb"
expect_error 73 "already initialised" --pass-file "$PASS" init --name Again

# Output.
expect_error 73 "output directory $T/nowhere: No such file or directory" $I --host mail-hub1 --out "$T/nowhere"
touch "$T/afile"
expect_error 73 "output directory $T/afile: not a directory" $I --host mail-hub1 --out "$T/afile"
touch "$T/out/mail-hub1.crt"
expect_error 73 "$T/out/mail-hub1.crt already exists \(use --force" $I --host mail-hub1
run $I --host mail-hub1 --force
assert_rc 0 "--force replaces an existing file"
openssl x509 -in "$T/out/mail-hub1.crt" -noout || fail "--force did not write the certificate"

# Records.
expect_error 66 "no certificate with serial 000000000000000000000000DEADBEEF" show DEADBEEF
expect_error 65 "serial 'xyz': not a hexadecimal serial" show xyz
expect_error 66 "no certificate for host mail-nothing" --pass-file "$PASS" export --host mail-nothing --pem "$T/out"
expect_error 64 "nothing to write" export --host mail-hub1
expect_error 64 "give a SERIAL or --host NAME" show

# Name constraints.
S2="$T/nc"
run --store "$S2" --pass-file "$PASS" init --name "NC CA" --key ec:P-256 --permit-dns corp.example
assert_rc 0 "init --permit-dns without a domain"
MINICA_STORE="$S2"
expect_error 65 "'mail.other.example' is outside the CA's permitted DNS names \(corp.example\)" $I --host mail.other.example
expect_error 65 "a short name cannot satisfy the CA's name constraints" $I --host mail-hub1
expect_error 65 "outside the CA's permitted DNS names" $I --host notcorp.example
# the note about a qualified short name is only said once the certificate exists
S3="$T/nc-domain"
run --store "$S3" --pass-file "$PASS" init --name "NC CA 2" --key ec:P-256 --permit-dns corp.example --domain corp.example
assert_rc 0 "init --permit-dns --domain"
MINICA_STORE="$S3"
touch "$T/out/mail-hub9.corp.example.crt"
expect_error 73 "mail-hub9.corp.example.crt already exists" $I --host mail-hub9
finish

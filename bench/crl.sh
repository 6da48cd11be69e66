#!/bin/sh
# Benchmark: 'minica crl' for a store with N (default 100,000) revoked
# certificates. Target: under 2 seconds. Prints one result line per
# measurement, the first being
#   crl_100k_seconds 0.84 (target < 2.0)
#
# The store is filled with 'issue --hosts-file --no-files' (EC CA, ec:P-256
# leaves) and one 'revoke --serials-file' call (one transaction). Filling is
# not what is measured: it runs in /dev/shm when there is one (no fsync
# cost), and the store is then copied to $TMPDIR (default /tmp, a real
# disk) where 'crl' is timed: first the CRL that lists every certificate
# for the first time (and marks all N records), then the next one.
#
#   MINICA=build/minica N=100000 sh bench/crl.sh
set -eu
MINICA=${MINICA:-$(cd "$(dirname "$0")/.." && pwd)/build/minica}
N=${N:-100000}
export MINICA_TEMPLATES="${MINICA_TEMPLATES:-$(cd "$(dirname "$0")/.." && pwd)/templates}"
unset MINICA_STORE MINICA_PASS_FILE

fill_root=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && fill_root=/dev/shm
fill=$(mktemp -d "$fill_root/minica-bench-fill.XXXXXX")
disk=$(mktemp -d "${TMPDIR:-/tmp}/minica-bench-crl.XXXXXX")
trap 'rm -rf "$fill" "$disk"' EXIT

now() { date +%s.%N; }
elapsed() { echo "$1 $2" | awk '{printf "%.2f", $2 - $1}'; }

printf 'benchmark passphrase\n' > "$disk/pass"
chmod 600 "$disk/pass"

"$MINICA" --store "$fill/store" --pass-file "$disk/pass" -q \
	init --name "Bench CA" --key ec:P-256 >/dev/null
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "host%d.bench.example\n", i }' > "$fill/hosts"
t0=$(now)
"$MINICA" --store "$fill/store" --pass-file "$disk/pass" -q \
	issue --hosts-file "$fill/hosts" --key ec:P-256 --no-files >/dev/null
t1=$(now)
"$MINICA" --store "$fill/store" list --json | jq -r '.[].serial' > "$fill/serials"
t2=$(now)
"$MINICA" --store "$fill/store" --pass-file "$disk/pass" -q \
	revoke --serials-file "$fill/serials" --reason cessationOfOperation >/dev/null
t3=$(now)
echo "crl_fill_issue_seconds $(elapsed "$t0" "$t1") ($N certificates in $fill_root, issue --hosts-file)"
echo "crl_fill_revoke_seconds $(elapsed "$t2" "$t3") ($N serials, one revoke call)"

mkdir "$disk/store"
cp "$fill/store/data.mdb" "$disk/store/"
chmod 700 "$disk/store"
rm -rf "$fill"
sync
label=$(awk -v n="$N" 'BEGIN { if (n % 1000 == 0) printf "%dk", n / 1000; else printf "%d", n }')
for run in first next; do
	t0=$(now)
	"$MINICA" --store "$disk/store" --pass-file "$disk/pass" -q \
		crl --der --out "$disk/crl-$run.der" >/dev/null
	t1=$(now)
	s=$(elapsed "$t0" "$t1")
	if [ "$run" = first ]; then
		echo "crl_${label}_seconds $s (target < 2.0)"
	else
		echo "crl_${label}_next_seconds $s (target < 2.0; records already marked as listed)"
	fi
done
# The result must be a real CRL of N entries signed by the CA.
"$MINICA" --store "$disk/store" ca export > "$disk/ca.pem"
openssl crl -inform DER -in "$disk/crl-next.der" -noout -verify -CAfile "$disk/ca.pem" 2>&1 |
	grep -q 'verify OK' || { echo "crl: the CRL does not verify" >&2; exit 1; }
entries=$(openssl crl -inform DER -in "$disk/crl-next.der" -noout -text | grep -c 'Serial Number:')
[ "$entries" -eq "$N" ] || { echo "crl: $entries entries, expected $N" >&2; exit 1; }
echo "crl_${label}_bytes $(stat -c %s "$disk/crl-next.der") (DER, $entries entries)"

#!/bin/sh
# Benchmark: 'issue --hosts-file' (EC P-256 leaves, no files) with the CA key
# on a SoftHSM2 token beside the same run with a file key, for an EC P-256
# and an RSA-3072 CA. The token signs one certificate at a time (ca_sign
# serialises), the leaf keys are still made on every core. One row per CA
# type on stdout (label, value, source), as bench/run.sh collects them.
#
#   sh bench/token.sh build/minica SCRATCH-DIR     (N_EC=2000 N_RSA=400)
set -eu
MINICA=$1
B=$2
N_EC=${N_EC:-2000}
N_RSA=${N_RSA:-400}
MOD=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
	[ -e "$m" ] && MOD=$m && break
done
[ -n "$MOD" ] || { echo "bench/token.sh: softhsm2 is not installed" >&2; exit 1; }
D=$B/token
rm -rf "$D"
mkdir -p "$D/tokens"
chmod 700 "$D" "$D/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$D" > "$D/softhsm2.conf"
export SOFTHSM2_CONF="$D/softhsm2.conf"
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 12345678 >/dev/null
(umask 077 && echo 1234 > "$D/pin")
now() { date +%s.%N; }

# rate STORE N [minica options]: certificates per second of one bulk issue
rate() {
	store=$1
	n=$2
	shift 2
	seq 1 "$n" | sed 's/^/tok-bulk/' > "$D/hosts"
	t0=$(now)
	"$MINICA" --store "$store" "$@" -q issue --hosts-file "$D/hosts" --key ec:P-256 --no-files >/dev/null
	t1=$(now)
	echo "$t0 $t1 $n" | awk '{printf "%.0f", $3 / ($2 - $1)}'
}

for ca in ec:P-256 rsa:3072; do
	n=$N_EC
	[ "$ca" = rsa:3072 ] && n=$N_RSA
	tag=$(echo "$ca" | tr -d ':')
	"$MINICA" --store "$D/file-$tag" -q init --name "Bench file CA" --key "$ca" --no-passphrase >/dev/null 2>&1
	"$MINICA" --store "$D/tok-$tag" --pin-file "$D/pin" -q init --name "Bench token CA" --key "$ca" \
		--key-uri "pkcs11:token=bench;object=ca-$tag?module-path=$MOD" >/dev/null
	f=$(rate "$D/file-$tag" "$n")
	t=$(rate "$D/tok-$tag" "$n" --pin-file "$D/pin")
	printf 'issue --hosts-file, %s CA, %d EC P-256 leaves: SoftHSM2 key / file key\t%s / %s certs/s\t%s\n' \
		"$ca" "$n" "$t" "$f" "bench/token.sh"
done

#!/bin/sh
# make bench: the figures of SPEC section 9, measured in one run on this
# machine and printed as one table. Not part of make check (it takes minutes).
#
#   BENCH_SIZES="1000 100000 1000000"   store sizes for the scale rows
#   BENCH_SECONDS=30                    length of the key-generation runs
#   BENCH_CRL=100000                    revoked certificates on the benchmarked CRL
set -eu
MINICA=$1
KEYGEN=$2
cd "$(dirname "$0")/.."
export MINICA_TEMPLATES="$PWD/templates"
unset MINICA_STORE MINICA_PASS_FILE
SIZES=${BENCH_SIZES:-"1000 100000 1000000"}
SECONDS_KEYGEN=${BENCH_SECONDS:-30}
CORES=$(nproc)
B=$(mktemp -d "${TMPDIR:-/tmp}/minica-bench.XXXXXX")
trap 'rm -rf "$B"' EXIT
printf 'correct horse battery staple\n' > "$B/pass"
chmod 600 "$B/pass"
ROWS="$B/rows"
: > "$ROWS"

. bench/lib.sh
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$ROWS"; echo "  $1: $2 ($3)" >&2; }

echo "minica bench on $(uname -m), $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(openssl version | cut -d' ' -f1-2)" >&2

# 1. Bulk issuance against the machine's own limit.
echo "== RSA-2048 key generation on all cores ($SECONDS_KEYGEN s)" >&2
limit=$("$KEYGEN" "$CORES" "$SECONDS_KEYGEN" | cut -d' ' -f1)
row "RSA-2048 key generations/s, $CORES threads (machine limit)" "$limit" "keygen_rate"
n=$(awk -v r="$limit" -v s="$SECONDS_KEYGEN" 'BEGIN {n = int(r * s); if (n < 40) n = 40; print n}')
"$MINICA" --store "$B/bulk" --pass-file "$B/pass" -q init --name "Bench CA" >/dev/null
seq 1 "$n" | sed 's/^/mail-bulk/' > "$B/bulk-hosts"
mkdir "$B/bulk-out"
echo "== issue --hosts-file: $n RSA-2048 certificates with PFX, RSA-4096 CA" >&2
t0=$(ms)
"$MINICA" --store "$B/bulk" --pass-file "$B/pass" -q issue --hosts-file "$B/bulk-hosts" --out "$B/bulk-out" >/dev/null
t=$(( $(ms) - t0 ))
rate=$(awk -v n="$n" -v t="$t" 'BEGIN {printf "%.2f", n / (t / 1000)}')
ratio=$(awk -v a="$rate" -v b="$limit" 'BEGIN {printf "%.0f%%", 100 * a / b}')
row "issue --hosts-file certificates/s (RSA-2048 + PFX, $n)" "$rate" "$ratio of the machine limit (target >= 90%)"
rm -rf "$B/bulk-out" "$B/bulk"

# 2. Stores of growing size: one more certificate, list --expiring, bytes per record;
#    openssl ca with an index.txt of the same size.
mkdir "$B/oca"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -v2 aes-256-cbc -passout file:"$B/pass" -out "$B/oca/ca.key"
openssl req -new -x509 -key "$B/oca/ca.key" -passin file:"$B/pass" -subj "/CN=openssl ca bench" -days 7300 -out "$B/oca/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$B/leaf.key" -subj "/CN=mail-one-more" -out "$B/leaf.csr" 2>/dev/null
oca_setup "$B/oca" "$B/oca/ca.pem" "$B/oca/ca.key"
oca_one() {
	rm -f "$B/oca/new/"*
	openssl ca -batch -config "$B/oca/ca.cnf" -passin file:"$B/pass" -in "$B/leaf.csr" -out "$B/oca/out.pem" -notext
}
for size in $SIZES; do
	S="$B/store-$size"
	echo "== store of $size records (EC P-256 CA and leaves, kept keys)" >&2
	# no passphrase: its KDF (~0.1-0.2 s per process) would drown the cost of the store itself
	"$MINICA" --store "$S" -q init --name "Scale CA" --key ec:P-256 --no-passphrase >/dev/null 2>&1
	seq 1 "$size" | sed 's/^/mail-scale/' > "$B/scale-hosts"
	t0=$(ms)
	"$MINICA" --store "$S" -q issue --hosts-file "$B/scale-hosts" --key ec:P-256 --no-files >/dev/null
	fill=$(( $(ms) - t0 ))
	# a few that do expire soon, so --expiring 30 finds something
	printf 'mail-soon1\nmail-soon2\nmail-soon3\n' > "$B/soon"
	"$MINICA" --store "$S" -q issue --hosts-file "$B/soon" --key ec:P-256 --no-files --days 10 >/dev/null
	records=$(( size + 3 ))
	bytes=$(stat -c %s "$S/data.mdb")
	row "store $size: fill with issue --hosts-file --no-files" "$(awk -v n="$size" -v t="$fill" 'BEGIN {printf "%.0f certs/s", n / (t / 1000)}')" "$(awk -v t="$fill" 'BEGIN {printf "%.1f s", t / 1000}')"
	one=$(median_ms 11 sh -c "\"$MINICA\" --store \"$S\" -q issue --host mail-more-\$(date +%s%N) --key ec:P-256 --no-files")
	row "store $size: issue one more certificate (median of 11, ms)" "$one" "a whole minica process; store without passphrase"
	eval "one_$size=$one"
	lst=$(median_ms 7 "$MINICA" --store "$S" list --expiring 30)
	cnt=$("$MINICA" --store "$S" list --expiring 30 | tail -n +2 | wc -l)
	row "store $size: list --expiring 30 (median of 7, ms)" "$lst" "$cnt match; target < 50 ms at 1,000,000"
	row "store $size: bytes per record (data.mdb / records)" "$(( bytes / records ))" "target <= 2560, leaf key kept"
	# openssl ca with an index.txt of the same size
	awk -v n="$size" 'BEGIN {for (i = 1; i <= n; i++) printf "V\t311124000000Z\t\t%032X\tunknown\t/CN=mail-scale%d\n", i, i}' > "$B/oca/index.txt"
	o=$(median_ms 3 oca_one)
	row "store $size: openssl ca one more certificate (median of 3, ms)" "$o" "index.txt of $size lines"
	rm -rf "$S"
done
first=$(echo $SIZES | cut -d' ' -f1)
last=$(echo $SIZES | awk '{print $NF}')
eval "a=\$one_$first; b=\$one_$last"
row "one more certificate: $last-record store / $first-record store" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}')" "target <= 1.20"

echo "== bench/sign.sh: sign per process against openssl ca" >&2
sh bench/sign.sh "$MINICA" "$B" >> "$ROWS" || echo "bench: bench/sign.sh failed" >&2
echo "== bench/token.sh: bulk issuance with the CA key on a SoftHSM2 token beside a file key" >&2
sh bench/token.sh "$MINICA" "$B" >> "$ROWS" || echo "bench: bench/token.sh failed" >&2
echo "== bench/crl.sh: a CRL of ${BENCH_CRL:-100000} revoked certificates" >&2
MINICA="$MINICA" N="${BENCH_CRL:-100000}" sh bench/crl.sh |
	awk '{name = $1; value = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); printf "%s\t%s\t%s\n", name, value, $0}' >> "$ROWS" ||
	echo "bench: bench/crl.sh failed" >&2

echo "== bench/inventory.sh: inventory over 64 MiB pastes" >&2
sh bench/inventory.sh "$MINICA" "$B" >> "$ROWS" || echo "bench: bench/inventory.sh failed" >&2

echo "== bench/acme.sh: minica serve against pebble, finalize throughput, memory" >&2
sh bench/acme.sh "$MINICA" "$B" >> "$ROWS" || echo "bench: bench/acme.sh failed" >&2

echo
echo "minica bench: $(date -u +%Y-%m-%d), $(uname -m), $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(openssl version | cut -d' ' -f1-2)"
echo
printf '| %s | %s | %s |\n' "measure" "value" "notes"
printf '|---|---|---|\n'
awk -F'\t' '{printf "| %s | %s | %s |\n", $1, $2, $3}' "$ROWS"

#!/bin/sh
# bench/sign.sh MINICA TMPDIR: minica sign per process against openssl ca per
# process with the same CA key, and what the passphrase KDF costs.
# Prints rows "measure<TAB>value<TAB>notes" for bench/run.sh.
set -eu
MINICA=$1
B=$2/sign
mkdir -p "$B"
PASS="$2/pass"
. "$(dirname "$0")/lib.sh"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

for key in ec:P-256 rsa:4096; do
	S="$B/store-$key"
	"$MINICA" --store "$S" --pass-file "$PASS" -q init --name "Sign bench CA" --key "$key" >/dev/null
	"$MINICA" --store "$S" ca export > "$B/ca.pem"
	# the same CA key for openssl ca, taken out of the store as an operator would in an emergency
	keyhex=$(printf 'ca.key' | od -An -tx1 | tr -d ' \n')
	mdb_dump -s meta "$S" | awk -v k=" $keyhex" 'found {print; exit} $0 == k {found=1}' |
		tr -d ' ' | perl -ne 'chomp; print pack("H*", $_)' > "$B/ca.key.der"
	openssl pkcs8 -inform DER -in "$B/ca.key.der" -passin file:"$PASS" -out "$B/ca.plain.pem"
	openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$B/ca.plain.pem" -passout file:"$PASS" -out "$B/ca.key.2048"
	openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 600000 -in "$B/ca.plain.pem" -passout file:"$PASS" -out "$B/ca.key.600k"
	cp "$B/ca.plain.pem" "$B/ca.key.none"
	rm -f "$B/ca.plain.pem" "$B/ca.key.der"
	# the same kind of CA without a passphrase, for the cost of everything but the KDF
	S0="$B/store0-$key"
	"$MINICA" --store "$S0" -q init --name "Sign bench CA" --key "$key" --no-passphrase >/dev/null 2>&1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$B/leaf.key" \
		-subj "/CN=mail-sign.corp.example" -out "$B/leaf.csr" 2>/dev/null
	for kdf in none 2048 600k; do
		oca_setup "$B/oca-$kdf" "$B/ca.pem" "$B/ca.key.$kdf"
	done
	m=$(median_ms 9 "$MINICA" --store "$S" --pass-file "$PASS" -q sign --csr "$B/leaf.csr" --out "$B/m.crt" --force)
	o=$(median_ms 9 openssl ca -batch -config "$B/oca-2048/ca.cnf" -passin file:"$PASS" -in "$B/leaf.csr" -out "$B/o.crt" -notext)
	o6=$(median_ms 9 openssl ca -batch -config "$B/oca-600k/ca.cnf" -passin file:"$PASS" -in "$B/leaf.csr" -out "$B/o.crt" -notext)
	m0=$(median_ms 9 "$MINICA" --store "$S0" -q sign --csr "$B/leaf.csr" --out "$B/m.crt" --force)
	o0=$(median_ms 9 openssl ca -batch -config "$B/oca-none/ca.cnf" -in "$B/leaf.csr" -out "$B/o.crt" -notext)
	printf 'sign per process, %s CA: minica (PBKDF2 600,000) / openssl ca (PBKDF2 2,048)\t%s ms / %s ms = %s\t%s\n' \
		"$key" "$m" "$o" "$(ratio "$m" "$o")" "same CA key; target <= 1.0 is impossible with a 600,000-iteration KDF per process"
	printf 'sign per process, %s CA: minica / openssl ca, both PBKDF2 600,000\t%s ms / %s ms = %s\t%s\n' \
		"$key" "$m" "$o6" "$(ratio "$m" "$o6")" "the same key protection on both sides"
	printf 'sign per process, %s CA: minica / openssl ca, both keys unencrypted\t%s ms / %s ms = %s\t%s\n' \
		"$key" "$m0" "$o0" "$(ratio "$m0" "$o0")" "everything but the KDF (minica --no-passphrase)"
	# the amortised way: many CSRs, one process, one KDF
	i=0
	set --
	while [ $i -lt 100 ]; do
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
			-subj "/CN=mail-batch$i.corp.example" -out "$B/b$i.csr" 2>/dev/null
		set -- "$@" --csr "$B/b$i.csr"
		i=$((i + 1))
	done
	rm -rf "$B/batch"
	mkdir "$B/batch"
	t0=$(ms)
	"$MINICA" --store "$S" --pass-file "$PASS" -q sign "$@" --out "$B/batch" >/dev/null
	t=$(( $(ms) - t0 ))
	printf 'sign 100 CSRs in one process, %s CA: per CSR / openssl ca per process\t%s ms / %s ms = %s\t%s\n' \
		"$key" "$(awk -v t="$t" 'BEGIN {printf "%.1f", t / 100}')" "$o" "$(awk -v t="$t" -v o="$o" 'BEGIN {printf "%.2f", t / 100 / o}')" \
		"one passphrase KDF (600,000) for the batch, against openssl ca at 2,048"
done

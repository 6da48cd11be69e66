# Shared by bench/run.sh and bench/sign.sh (sourced): wall-clock timing and
# the openssl ca set-up that minica is measured against. Needs $B, a
# scratch directory.

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# median_ms N COMMAND...: the median wall time (ms) of N runs
median_ms() {
	n=$1
	shift
	i=0
	: > "$B/times"
	while [ $i -lt "$n" ]; do
		t0=$(ms)
		"$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; exit 1; }
		echo $(( $(ms) - t0 )) >> "$B/times"
		i=$((i + 1))
	done
	sort -n "$B/times" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# oca_setup DIR CERT KEY: an openssl ca in DIR (ca.cnf, index.txt, new/)
# issuing leaves like minica's smtp-transport, with the CA certificate and
# key given.
oca_setup() {
	mkdir -p "$1/new"
	: > "$1/index.txt"
	cat > "$1/ca.cnf" <<EOF2
[ca]
default_ca = bench
[bench]
dir = $1
database = \$dir/index.txt
new_certs_dir = \$dir/new
certificate = $2
private_key = $3
rand_serial = yes
default_md = sha256
default_days = 1825
policy = any
unique_subject = no
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF2
}

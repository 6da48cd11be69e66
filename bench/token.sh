#!/bin/sh
# Benchmark: 'issue --hosts-file' (EC P-256 leaves, no files) with the CA key
# on a SoftHSM2 token beside the same run with a file key, for an EC P-256
# and an RSA-3072 CA. The token signs one certificate at a time (ca_sign
# serialises), the leaf keys are still made on every core. One row per CA
# type on stdout (label, value, source), as bench/run.sh collects them; then
# finalize through serve with each key (N_FIN CSRs, 16 connections).
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

# finalize through serve (both of its processes), EC P-256 CA: the same load
# client against a store whose key is on the token and one whose key is a file
N_FIN=${N_FIN:-1000}
LOAD=${ACME_LOAD:-$(cd "$(dirname "$0")/.." && pwd)/build/acme_load}
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
waitport() {
	/usr/bin/python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(600):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done' EXIT
DNS=$(port)
MGMT=$(port)
pebble-challtestsrv -dns01 "127.0.0.1:$DNS" -management "127.0.0.1:$MGMT" -http01 "" -https01 "" \
	-tlsalpn01 "" -defaultIPv6 "" >"$D/cts.log" 2>&1 &
PIDS="$PIDS $!"
waitport "$MGMT"
"$MINICA" --store "$D/fin-file" -q init --name "Bench file CA" --key ec:P-256 --domain corp.example \
	--no-passphrase >/dev/null 2>&1
"$MINICA" --store "$D/fin-tok" --pin-file "$D/pin" -q init --name "Bench token CA" --key ec:P-256 \
	--domain corp.example --key-uri "pkcs11:token=bench;object=ca-fin?module-path=$MOD" >/dev/null
# finalize STORE: "per_second p99_ms" of N_FIN finalizes over 16 connections
finalize() {
	ap=$(port)
	hp=$(port)
	"$MINICA" --store "$1" --pin-file "$D/pin" -q serve --listen "127.0.0.1:$ap" --eab optional \
		--server-name acme.corp.example --http01-port "$hp" --resolver "127.0.0.1:$DNS" \
		--sign-budget 0 >"$D/serve.log" 2>&1 &
	sp=$!
	waitport "$ap"
	"$MINICA" --store "$1" ca export > "$D/ca.pem"
	r=$("$LOAD" "https://127.0.0.1:$ap/acme/directory" "$D/ca.pem" "$hp" "$N_FIN" 16 fin 2>"$D/load.err") ||
		echo "bench/token.sh: acme_load against $1: $(tail -c 300 "$D/load.err")" >&2
	kill "$sp"
	wait "$sp" 2>/dev/null || true
	printf '%s' "$r" | jq -r '"\(.per_second) \(.p99_ms)"' 2>/dev/null | grep . || echo "failed -"
}
set -- $(finalize "$D/fin-tok") $(finalize "$D/fin-file")
printf 'serve finalize, EC P-256 CA, %d CSRs over 16 connections: SoftHSM2 key / file key\t%s / %s per s\tp99 %s / %s ms; bench/token.sh\n' \
	"$N_FIN" "$1" "$3" "$2" "$4"

#!/bin/sh
# bench/acme.sh MINICA TMPDIR: the serve row of SPEC section 9.
#   - full issuance with lego (new order, http-01, finalize, download), N
#     certificates one after another, against minica serve and against
#     Debian's pebble (PEBBLE_VA_NOSLEEP=1, no nonce rejection), same client,
#     same machine, same DNS (pebble-challtestsrv);
#   - finalize throughput and latency with keep-alive (bench/acme_load.c:
#     parallel kept-alive TLS connections, EC P-256 CSRs, EC P-256 CA),
#     every certificate committed before its response, and the server's
#     CPU time per finalize;
#   - resident memory after 100 and after 10,000 orders, each one issued
#     the whole way (order, http-01, finalize) by the same load client.
# Prints rows "measure<TAB>value<TAB>notes" for bench/run.sh.
#   BENCH_ACME_N=100  BENCH_ACME_FINALIZE=2000  BENCH_ACME_CONNS=16  BENCH_ACME_ORDERS=10000
#   ACME_LOAD=build/acme_load (make bench builds it)
set -eu
MINICA=$1
B=$2/acme
SRC=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_ACME_N:-100}
F=${BENCH_ACME_FINALIZE:-2000}
P=${BENCH_ACME_CONNS:-16}
O=${BENCH_ACME_ORDERS:-10000}
LOAD=${ACME_LOAD:-$SRC/build/acme_load}
[ -x "$LOAD" ] || { echo "bench: $LOAD is missing (make build/acme_load)" >&2; exit 1; }
mkdir -p "$B"
. "$SRC/bench/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done' EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
waitport() {
	/usr/bin/python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(400):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}
S="$B/store"
export MINICA_STORE="$S"
"$MINICA" -q init --name "ACME bench CA" --key ec:P-256 --domain corp.example --no-passphrase >/dev/null 2>&1
"$MINICA" ca export > "$B/ca.pem"
DNS=$(port)
MGMT=$(port)
pebble-challtestsrv -dns01 "127.0.0.1:$DNS" -management "127.0.0.1:$MGMT" -http01 "" -https01 "" \
	-tlsalpn01 "" -defaultIPv6 "" >"$B/cts.log" 2>&1 &
PIDS="$PIDS $!"
waitport "$MGMT"

# lego_run URL N: N certificates one after another, ms in total
lego_run() {
	dir="$B/lego-$3"
	hp=$(port)
	t0=$(ms)
	i=0
	while [ $i -lt "$2" ]; do
		LEGO_CA_CERTIFICATES="$B/ca.pem" lego --server "$1" --email bench@corp.example --accept-tos \
			--domains "bench$i.corp.example" --http --http.port "127.0.0.1:$4" --path "$dir" run \
			>"$B/lego.log" 2>&1 || { echo "bench: lego against $3 failed: $(tail -2 "$B/lego.log")" >&2; exit 1; }
		i=$((i + 1))
	done
	echo $(( $(ms) - t0 ))
}

# minica serve
HP=$(port)
AP=$(port)
"$MINICA" -q serve --listen "127.0.0.1:$AP" --server-name acme.corp.example --eab optional \
	--http01-port "$HP" --resolver "127.0.0.1:$DNS" --sign-budget 0 >"$B/serve.log" 2>&1 &
SERVE=$!
PIDS="$PIDS $SERVE"
waitport "$AP"
[ "$N" -gt 0 ] || skip_lego=1  # BENCH_ACME_N=0: only the load client's rows
if [ -z "${skip_lego:-}" ]; then
t_minica=$(lego_run "https://127.0.0.1:$AP/acme/directory" "$N" minica "$HP")

# pebble with a certificate from the same CA, so lego trusts both the same way
mkdir "$B/pebble-tls"
"$MINICA" -q issue --host localhost --host 127.0.0.1 --template tls-server --key ec:P-256 --no-pfx \
	--out "$B/pebble-tls" >/dev/null
PP=$(port)
PM=$(port)
cat > "$B/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$PP", "managementListenAddress": "127.0.0.1:$PM",
 "certificate": "$B/pebble-tls/localhost.crt", "privateKey": "$B/pebble-tls/localhost.key",
 "httpPort": $HP, "tlsPort": $(port), "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 pebble -config "$B/pebble.json" \
	-dnsserver "127.0.0.1:$DNS" >"$B/pebble.log" 2>&1 &
PEB=$!
PIDS="$PIDS $PEB"
waitport "$PP"
t_pebble=$(lego_run "https://127.0.0.1:$PP/dir" "$N" pebble "$HP")
kill "$PEB"
printf 'serve: lego full issuance, %s certificates one after another (ms per certificate): minica / pebble\t%s / %s\t%s\n' \
	"$N" "$(awk -v t="$t_minica" -v n="$N" 'BEGIN {printf "%.0f", t / n}')" \
	"$(awk -v t="$t_pebble" -v n="$N" 'BEGIN {printf "%.0f", t / n}')" \
	"ratio $(awk -v a="$t_minica" -v b="$t_pebble" 'BEGIN {printf "%.2f", a / b}') (target <= 1.00); pebble with PEBBLE_VA_NOSLEEP=1"
fi

# finalize throughput: a fresh account and F ready orders, then F finalizes over P connections
DIR="https://127.0.0.1:$AP/acme/directory"
load=$(cut -d' ' -f1-3 /proc/loadavg)
FRONT=$(pgrep -P "$SERVE" -x minica-front | head -1)
r=$(ACME_LOAD_SERVER_PID=$SERVE ACME_LOAD_FRONT_PID=$FRONT "$LOAD" "$DIR" "$B/ca.pem" "$HP" "$F" "$P" burst) ||
	echo "bench: acme_load: $r" >&2
j() { printf '%s' "$r" | jq -r ".$1"; }
printf 'serve: finalize with keep-alive, %s EC P-256 CSRs over %s connections (per second)\t%s\t%s\n' \
	"$F" "$P" "$(j per_second)" \
	"p50 $(j p50_ms) ms, p99 $(j p99_ms) ms, $(j errors) errors (target >= 500/s, p99 < 50 ms); server CPU $(j server_cpu_ms_per_finalize) ms per finalize: signer $(j signer_cpu_ms_per_finalize) ms ($(j server_loop_cpu_ms_per_finalize) ms in its event loop), front $(j front_cpu_ms_per_finalize) ms; client $(j client_cpu_ms_per_finalize) ms; each committed before its response; load average before: $load"
# the cost of the split: a finalize's two messages across the socketpair
"$SRC/build/proto_rtt" 20000 | awk -F'\t' '{printf "serve: front-signer messages of a finalize, request %s bytes and answer %s bytes, round trip (us)\t%s\t%s\n", $1, $2, $3, $4}'

# memory: a fresh server on a fresh store, 100 orders issued the whole way, then up to O
kill "$SERVE"
AP=$(port)
S="$B/store2"
export MINICA_STORE="$S"
"$MINICA" -q init --name "ACME bench CA" --key ec:P-256 --domain corp.example --no-passphrase >/dev/null 2>&1
"$MINICA" ca export > "$B/ca.pem"
"$MINICA" -q serve --listen "127.0.0.1:$AP" --server-name acme.corp.example --eab optional \
	--http01-port "$HP" --resolver "127.0.0.1:$DNS" --sign-budget 0 >"$B/serve2.log" 2>&1 &
SERVE=$!
PIDS="$PIDS $SERVE"
waitport "$AP"
DIR="https://127.0.0.1:$AP/acme/directory"
"$LOAD" "$DIR" "$B/ca.pem" "$HP" 100 4 rss-a >/dev/null
FRONT=$(pgrep -P "$SERVE" -x minica-front | head -1)
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/${2:-$SERVE}/status"; }
rss100=$(kib VmRSS)
anon100=$(kib RssAnon)
front100=$(kib VmRSS "$FRONT")
"$LOAD" "$DIR" "$B/ca.pem" "$HP" $((O - 100)) 16 rss-b >/dev/null
rssO=$(kib VmRSS)
anonO=$(kib RssAnon)
hwm=$(kib VmHWM)
frontO=$(kib VmRSS "$FRONT")
mdb=$(( $(stat -c %s "$B/store2/data.mdb") / 1024 ))
printf 'serve: resident memory of the signer after 100 / %s orders, each issued (KiB)\t%s / %s\t%s\n' "$O" "$rss100" "$rssO" \
	"the front (no store, no key) $front100 / $frontO KiB; growth $(( (rssO - rss100) / 1024 )) MiB (target < 20 MiB), peak $hwm KiB (VmHWM); the server's own (RssAnon) $anon100 / $anonO KiB; the rest is mapped files, the store's pages given back every 8 commits (data.mdb now $mdb KiB)"

# hostile load (issue 23): H slow clients (TLS, then a request one byte every 5 s, connecting
# again when closed) and HB clients pushing 1 MB bodies, from 40 loopback addresses, for HS
# seconds, with serve's default limits; meanwhile lego gets a certificate from 127.0.0.1 and
# the directory is asked for 200 times. Targets: directory p99 < 100 ms, the front's resident
# memory < 64 MB, serve's log < 1,000 lines.
H=${BENCH_ACME_SLOW:-2000}
HB=${BENCH_ACME_BIG:-300}
HS=${BENCH_ACME_HOSTILE_SECONDS:-40}
kill "$SERVE"
wait "$SERVE" 2>/dev/null || true # it holds the store's lock until it has drained
AP=$(port)
"$MINICA" serve --listen "127.0.0.1:$AP" --server-name acme.corp.example --eab optional \
	--http01-port "$HP" --resolver "127.0.0.1:$DNS" --sign-budget 0 >"$B/serve3.log" 2>&1 &
SERVE=$!
PIDS="$PIDS $SERVE"
waitport "$AP"
FRONT=$(pgrep -P "$SERVE" -x minica-front | head -1)
/usr/bin/python3 "$SRC/tests/acme_flood.py" 127.0.0.1 "$AP" "$B/ca.pem" --pid "$FRONT" --slow "$H" \
	--big "$HB" --sources 40 --drip 5 --seconds "$HS" --dir 0 --persist >"$B/flood.json" 2>"$B/flood.err" &
FLOOD=$!
PIDS="$PIDS $FLOOD"
sleep 10 # the flood at full size
# the directory from a process of its own, so that the flood's client does not slow its clock
/usr/bin/python3 "$SRC/tests/acme_flood.py" 127.0.0.1 "$AP" "$B/ca.pem" --pid "$FRONT" \
	--seconds $((HS - 15)) --dir 200 >"$B/dir.json" 2>"$B/dir.err" &
DIRP=$!
PIDS="$PIDS $DIRP"
t0=$(ms)
lego_ok=no
LEGO_CA_CERTIFICATES="$B/ca.pem" lego --server "https://127.0.0.1:$AP/acme/directory" \
	--email bench@corp.example --accept-tos --domains hostile.corp.example --http \
	--http.port "127.0.0.1:$HP" --path "$B/lego-hostile" run >"$B/lego-hostile.log" 2>&1 && lego_ok=yes
t_lego=$(( $(ms) - t0 ))
signer_kb=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$SERVE/status")
wait "$DIRP" || echo "bench: acme_flood --dir: $(tail -2 "$B/dir.err")" >&2
wait "$FLOOD" || echo "bench: acme_flood: $(tail -2 "$B/flood.err")" >&2
f() { jq -r "$1" "$B/flood.json"; }
d() { jq -r "$1" "$B/dir.json"; }
printf 'serve: under hostile load, %s slow clients (a byte every 5 s) and %s pushing 1 MB bodies: directory p99 (ms)\t%s\t%s\n' \
	"$H" "$HB" "$(d '.dir_ms | .[((length * 99 / 100) | floor)] // "none"')" \
	"p50 $(d '.dir_ms | .[(length / 2 | floor)] // "none"') ms, $(d '.dir_ms | length') answered (a new TLS connection each), $(d '.dir_errors | length') failed (target p99 < 100 ms); lego got a certificate: $lego_ok, in $t_lego ms; the front's peak resident $(f .rss_kb_peak) / $(d .rss_kb_peak) KiB (sampled by each client) (target < 65536), the signer's $signer_kb KiB (VmHWM); slow clients open at once at most $(f .slow_open_peak), connections refused $(f .refused); serve's log $(wc -l <"$B/serve3.log") lines (target < 1000)"

#!/bin/sh
# bench/inventory.sh MINICA TMPDIR: how long 'minica inventory' takes over a
# 64 MiB paste (the largest it reads): whole console sessions of
# Get-ExchangeCertificate | fl (112,882 certificates, a prompt every 100),
# and one value wrapped over about 900,000 continuation lines (issue 18: this was
# quadratic; the value is now cut at 64 KiB and said). Target: under 2 s each
# (wall, idle 2-core machine); the notes give the CPU time (user + sys) of one
# more run, which a busy machine does not inflate as much, and --json's.
# 2026-11-27, 2 shared cores, load 1.2: the sessions paste took 989 ms (CPU
# 840 ms; 344 MB peak, 64 of them the mapped file), down from 2207 ms (CPU
# 2200 ms, 366 MB); --json 1930 ms of CPU, down from 6810 ms (822 MB); the
# continuation-lines paste 137 ms, down from 738 ms (docs/performance.md).
# Prints rows "measure<TAB>value<TAB>notes" for bench/run.sh; runs alone too:
#   sh bench/inventory.sh build/minica /tmp
# (BENCH_INVENTORY=sessions runs one paste; BENCH_KEEP=1 keeps the files.)
set -eu
MINICA=$1
B=$2/inventory
mkdir -p "$B"
. "$(dirname "$0")/lib.sh"
SIZE=$((64 * 1024 * 1024 - 4096))
export MINICA_STORE="$B/no-store"

awk -v size="$SIZE" 'BEGIN {
	while (total < size) {
		n++
		if (n % 100 == 1) { s = "[PS] C:\\Windows\\system32>Get-ExchangeCertificate | fl\n\n"; printf "%s", s; total += length(s) }
		s = sprintf("AccessRules        : {System.Security.AccessControl.CryptoKeyAccessRule, System.Se\n" \
			"                     curity.AccessControl.CryptoKeyAccessRule}\n" \
			"CertificateDomains : {mail-%d, mail-%d.corp.example}\n" \
			"HasPrivateKey      : True\nIsSelfSigned       : True\nIssuer             : CN=mail-%d\n" \
			"NotAfter           : %d/%d/2030 2:01:11 PM\nNotBefore          : %d/%d/2025 2:01:11 PM\n" \
			"PublicKeySize      : 2048\nRootCAType         : Registry\nServices           : IMAP, POP, SMTP\n" \
			"Status             : Valid\nSubject            : CN=mail-%d\nThumbprint         : %040X\n\n",
			n, n, n, n % 12 + 1, n % 28 + 1, n % 12 + 1, n % 28 + 1, n, n)
		printf "%s", s
		total += length(s)
	}
}' > "$B/sessions.txt"
awk -v size="$SIZE" 'BEGIN {
	printf "AccessRules        : {x\n"
	while (total < size - 200) {
		s = sprintf("                     continued value of a long wrapped property %010d\n", ++n)
		printf "%s", s
		total += length(s)
	}
	printf "Subject            : CN=a\nNotAfter           : 2030-01-01 00:00:00\n"
	printf "Thumbprint         : 00112233445566778899AABBCCDDEEFF00112233\n"
}' > "$B/continued.txt"

# cpu_ms COMMAND...: user + sys CPU time (ms) of one run (the shell's 'times')
cpu_ms() {
	( "$@" >/dev/null 2>&1; times ) |
		awk 'NR == 2 {split($1, u, "m"); split($2, s, "m"); printf "%d", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000}'
}

for f in ${BENCH_INVENTORY:-sessions continued}; do
	bytes=$(wc -c < "$B/$f.txt")
	t=$(median_ms 3 "$MINICA" inventory "$B/$f.txt" --at 2026-01-01)
	cpu=$(cpu_ms "$MINICA" inventory "$B/$f.txt" --at 2026-01-01)
	jcpu=$(cpu_ms "$MINICA" --json inventory "$B/$f.txt" --at 2026-01-01)
	certs=$("$MINICA" --json inventory "$B/$f.txt" --at 2026-01-01 2>/dev/null | jq .summary.certificates)
	printf 'inventory: %s MiB paste, %s (median of 3, ms)\t%s\t%s certificates; CPU %s ms (--json %s ms); target < 2000 ms\n' \
		"$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1048576}')" \
		"$([ $f = sessions ] && echo "Get-ExchangeCertificate | fl sessions" || echo "one value on 900k continuation lines")" \
		"$t" "$certs" "$cpu" "$jcpu"
done
[ -n "${BENCH_KEEP:-}" ] || rm -rf "$B"

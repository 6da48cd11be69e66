# Shared helpers for the command-level tests (sourced by tests/cmd/*.sh).
#
# Each test file gets its own temporary directory ($T) and store
# ($MINICA_STORE), removed on exit. 'run' executes minica and keeps its
# stdout, stderr and exit code; the assert_* helpers fail the test with a
# message that says what was expected.

set -u
: "${MINICA:?MINICA must point at the minica binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/minica-test.XXXXXX")
export MINICA_STORE="$T/store"
export MINICA_TEMPLATES="${MINICA_TEMPLATES:-$(cd "$(dirname "$0")/../.." && pwd)/templates}"
unset MINICA_PASS_FILE
PASS="$T/pass"
printf 'correct horse battery staple\n' > "$PASS"
chmod 600 "$PASS"
TESTS_RUN=0
# A sanitizer build costs 5-10 times the CPU per process: tests that repeat
# the same work hundreds of times for statistics (crash, concurrency) repeat
# it fewer times there, since the plain build's run already has the numbers.
# by_build PLAIN SANITIZED: prints the count for the build under test.
if ldd "$MINICA" 2>/dev/null | grep -q libasan; then SANITIZED=1; else SANITIZED=; fi
by_build() { if [ -n "$SANITIZED" ]; then echo "$2"; else echo "$1"; fi; }
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${out+x}" ]; then
		echo "--- stdout:" >&2; printf '%s\n' "$out" | head -40 >&2
		echo "--- stderr:" >&2; printf '%s\n' "$err" | head -40 >&2
		echo "--- exit code: $rc" >&2
	fi
	exit 1
}

ok() {
	TESTS_RUN=$((TESTS_RUN + 1))
	[ -n "${VERBOSE:-}" ] && echo "ok: $*"
	return 0
}

# run ARGS...: minica ARGS with stdin closed; sets $out, $err, $rc.
run() {
	out=$("$MINICA" "$@" 2>"$T/.stderr" </dev/null)
	rc=$?
	err=$(cat "$T/.stderr")
}

# run_in INPUT-FILE ARGS...: same with stdin from a file.
run_in() {
	input=$1
	shift
	out=$("$MINICA" "$@" 2>"$T/.stderr" <"$input")
	rc=$?
	err=$(cat "$T/.stderr")
}

assert_rc() {
	[ "$rc" -eq "$1" ] || fail "${2:-command}: expected exit code $1, got $rc"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"
}

assert_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-output}: expected to contain '$2'" ;;
	esac
}

assert_not_contains() {
	case "$1" in
	*"$2"*) fail "${3:-output}: expected not to contain '$2'" ;;
	*) ;;
	esac
}

assert_match() {
	printf '%s\n' "$1" | grep -Eq -- "$2" || fail "${3:-output}: expected to match /$2/"
}

assert_file_mode() {
	mode=$(stat -c %a "$1")
	[ "$mode" = "$2" ] || fail "$1: expected mode $2, got $mode"
}

# A digest of everything the store holds: the raw data file and a logical dump.
store_digest() {
	dir=${1:-$MINICA_STORE}
	if [ ! -e "$dir/data.mdb" ]; then
		echo "absent"
		return
	fi
	{
		sha256sum "$dir/data.mdb" | cut -d' ' -f1
		mdb_dump -a "$dir" 2>/dev/null | sha256sum | cut -d' ' -f1
	} | tr '\n' ' '
}

# expect_error CODE PATTERN ARGS...: minica must fail with exactly CODE and one
# stderr line 'minica: ...' matching PATTERN, and leave the store unchanged.
expect_error() {
	code=$1
	pattern=$2
	shift 2
	before=$(store_digest)
	run "$@"
	[ "$rc" -eq "$code" ] || fail "minica $*: expected exit code $code, got $rc"
	lines=$(printf '%s\n' "$err" | grep -c .)
	[ "$lines" -eq 1 ] || fail "minica $*: expected one line on stderr, got $lines"
	case "$err" in
	"minica: "*) ;;
	*) fail "minica $*: stderr does not start with 'minica: '" ;;
	esac
	printf '%s\n' "$err" | grep -Eq -- "$pattern" ||
		fail "minica $*: stderr does not match /$pattern/"
	after=$(store_digest)
	[ "$before" = "$after" ] || fail "minica $*: the store changed"
	ok "$* -> $code"
}

# A CA for tests that do not test the CA's key type: EC P-256 is instant.
make_ca() {
	run --pass-file "$PASS" init --name "Test Mail CA" --org "Test Org" --key ec:P-256 "$@"
	assert_rc 0 "init"
	"$MINICA" ca export > "$T/ca.pem" || fail "ca export"
}

# finish: the summary line; TESTED_WITH (optional) names the tools' versions.
finish() {
	echo "$(basename "$0"): $TESTS_RUN checks passed${TESTED_WITH:+ ($TESTED_WITH)}"
	exit 0
}

# run_at OFFSET ARGS...: like run, with minica's clock moved by OFFSET
# (faketime's format: +86400 seconds, +30d, -2h). Under AddressSanitizer the
# preloaded libfaketime comes before the ASan runtime, which ASan refuses
# unless told not to check the link order.
run_at() {
	at=$1
	shift
	out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		faketime -f "$at" "$MINICA" "$@" 2>"$T/.stderr" </dev/null)
	rc=$?
	err=$(cat "$T/.stderr")
}

# not_after FILE: a certificate's notAfter in seconds since the epoch.
not_after() {
	date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s
}

# alive PID: running, not a zombie waiting to be reaped.
alive() {
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# wait_gone PID TENTHS: up to TENTHS tenths of a second for PID to end; true if it did.
wait_gone() {
	i=0
	while alive "$1" && [ $i -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! alive "$1"
}

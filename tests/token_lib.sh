# Shared by the tests of a CA key on a PKCS#11 token (tests/cmd/pkcs11.sh,
# tests/cmd/acme_token.sh), sourced after tests/lib.sh: SoftHSM2 with its
# tokens in the test's own directory.

# token_setup: sets MOD (the SoftHSM2 module) and SOFTHSM2_CONF (exported).
token_setup() {
	MOD=
	for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
		[ -e "$m" ] && MOD=$m && break
	done
	[ -n "$MOD" ] && command -v softhsm2-util >/dev/null || fail "softhsm2 is not installed (make deps-test)"
	mkdir -m 700 "$T/tokens"
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" \
		> "$T/softhsm2.conf"
	export SOFTHSM2_CONF="$T/softhsm2.conf"
}

# token_init LABEL PIN: a new token.
token_init() {
	softhsm2-util --init-token --free --label "$1" --pin "$2" --so-pin 12345678 >/dev/null ||
		fail "softhsm2-util --init-token $1"
}

# Mono for tests/cmd/mono_*.sh (sourced after tests/lib.sh, with $INTEROP set
# to this directory).
# mono_compile NAME: compiles tests/interop/NAME.cs with mcs into $T/NAME.exe,
# with HOME and XDG_* pointing into $T: Mono keeps per-user state (the
# CurrentUser certificate stores) there, not in the user's home. Sets
# TESTED_WITH to Mono's version.
mono_compile() {
	for tool in mcs mono openssl; do
		command -v "$tool" >/dev/null || fail "$tool is missing (make deps-test installs mono-mcs and mono-runtime)"
	done
	export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_DATA_HOME="$T/home/.local/share"
	mkdir -p "$HOME"
	mcs -out:"$T/$1.exe" "$INTEROP/$1.cs" >"$T/mcs.out" 2>&1 ||
		{ cat "$T/mcs.out" >&2; fail "mcs $1.cs"; }
	TESTED_WITH="Mono $(mono --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')"
	ok "$1.cs compiled ($TESTED_WITH)"
}

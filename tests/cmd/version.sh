# --version: the release and the git revision that was built; a tarball made
# by 'make dist' (git archive) knows its revision from REVISION; a copy with
# neither .git nor a filled-in REVISION builds and prints the release alone.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"

release=$(sed -n 's/^VERSION *:= *//p' "$SRC/Makefile")
assert_match "$release" '^[0-9]+\.[0-9]+\.[0-9]+$' "Makefile VERSION"

run --version
assert_rc 0 "--version"
assert_match "$out" "^minica $release( \(git [0-9a-f]{7,40}\))?$" "--version format"
for args in "-V" "list --version" "ca show --version"; do
	run $args
	assert_rc 0 "minica $args"
	assert_match "$out" "^minica $release" "minica $args"
done
ok "minica --version says $out"

if [ -e "$SRC/.git" ] && git -C "$SRC" rev-parse HEAD >/dev/null 2>&1; then
	head=$(git -C "$SRC" rev-parse --short HEAD)
	run --version
	assert_eq "$out" "minica $release (git $head)" "--version names the checked-out commit"
	ok "revision $head"

	# make dist's tarball: REVISION is filled in, so the build names the commit.
	git -C "$SRC" archive --format=tar --prefix=dist/ HEAD | tar -xf - -C "$T" ||
		fail "git archive"
	assert_eq "$(cat "$T/dist/REVISION")" "$(git -C "$SRC" rev-parse --short=7 HEAD)" "REVISION filled in by git archive"
	[ ! -e "$T/dist/.git" ] || fail "the tarball has a .git"
	cmdline=$(make -n -C "$T/dist" BUILD="$T/b" build 2>/dev/null | grep -m 1 -o "MINICA_REVISION='\"[^\"]*\"'")
	assert_eq "$cmdline" "MINICA_REVISION='\"$(cat "$T/dist/REVISION")\"'" "tarball build uses REVISION"
	ok "git archive tarball"

	# A plain copy: no .git, REVISION not filled in. Built for real (once: the
	# ASan run has nothing to add here).
	case "$MINICA" in
	*asan*) ;;
	*)
		printf '$Format:%%h$\n' > "$T/dist/REVISION"
		make -s -C "$T/dist" BUILD="$T/b" CFLAGS=-O0 build >/dev/null 2>"$T/build.err" ||
			fail "build from a copy without .git: $(tail -n 5 "$T/build.err")"
		out=$("$T/b/minica" --version)
		assert_eq "$out" "minica $release" "--version without a revision"
		ok "a copy without git prints '$out'"
		;;
	esac
fi

finish

# Plain build only: source files and their objects, not the binary.
# scripts/check-calls.sh: passes on this tree's build; on small trees
# compiled here, fails naming every file of a loop and one symbol per call
# in it, and passes once the loop is broken; tests/ is left out; a tree not
# built is refused.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"

check() {
	out=$(sh "$SRC/scripts/check-calls.sh" "$@" 2>"$T/.stderr")
	rc=$?
	err=$(cat "$T/.stderr")
}

# compile TREE: every library .c of TREE into TREE/build, as make build does
compile() {
	(cd "$1" && for c in $(find . -path ./tests -prune -o -name '*.c' -print | sed 's|^\./||'); do
		mkdir -p "build/$(dirname "$c")" && cc -c -o "build/${c%.c}.o" "$c" || exit 1
	done) || fail "compile $1"
}

# This tree, from the objects of the build under test (make cmdtest builds them first).
if [ -f "$(dirname "$MINICA")/minica.o" ]; then
	check "$SRC" "$(dirname "$MINICA")"
	assert_rc 0 "this tree"
	assert_match "$out" '^check-calls: [0-9]+ files, no two call each other in a loop$' "summary"
	ok "this tree: $out"
fi

# Two files that call each other, as common/cli.c and common/diag.c did
# (diag.c read cli.c's g_opts: a global read is a use too).
mkdir -p "$T/two/common"
cat > "$T/two/common/cli.c" <<'EOF'
const char *printable(const char *text);
struct { int quiet; } g_opts;
const char *cli_unexpected(const char *arg) { return printable(arg); }
EOF
cat > "$T/two/common/diag.c" <<'EOF'
extern struct { int quiet; } g_opts;
const char *printable(const char *text) { return g_opts.quiet ? "" : text; }
void notice(void) { (void)printable("x"); }
EOF
compile "$T/two"
check "$T/two"
assert_rc 1 "two files in a loop"
assert_contains "$out" "check-calls: 2 files call each other in a loop: common/cli.c common/diag.c" "names the files"
assert_contains "$out" "  common/cli.c uses common/diag.c: printable" "names a symbol of one edge"
assert_contains "$out" "  common/diag.c uses common/cli.c: g_opts" "names a symbol of the other (a global)"
assert_contains "$out" "move what the others use of it into a file below them all" "says what to do"
assert_contains "$out" "check-calls: 1 loop among 2 files" "the count"
assert_eq "$err" "" "nothing on stderr"
ok "a loop of two files: $(printf '%s\n' "$out" | head -n 1)"

# Broken as it was in minica: the global in a file below both.
cat > "$T/two/common/cli.c" <<'EOF'
const char *printable(const char *text);
const char *cli_unexpected(const char *arg) { return printable(arg); }
EOF
cat > "$T/two/common/options.c" <<'EOF'
struct { int quiet; } g_opts;
EOF
compile "$T/two"
check "$T/two"
assert_rc 0 "the loop broken"
assert_eq "$out" "check-calls: 3 files, no two call each other in a loop" "summary"
ok "no loop: $out"

# A loop through three files in three folders, each file also calling
# outside it; the calls that are not in the loop are not listed, and the
# two symbols of one edge are counted.
mkdir -p "$T/three/store" "$T/three/ca" "$T/three/cmd" "$T/three/tests/unit"
cat > "$T/three/store/env.c" <<'EOF'
int revoked_upgrade(void);
int lmdb_fail(void) { return 1; }
int store_write(void) { return revoked_upgrade(); }
EOF
cat > "$T/three/ca/sign.c" <<'EOF'
int lmdb_fail(void);
int release_after_commit(void);
int revoked_upgrade(void) { return release_after_commit() + lmdb_fail(); }
EOF
cat > "$T/three/cmd/map.c" <<'EOF'
int store_write(void);
int lmdb_fail(void);
int release_after_commit(void) { return store_write() + lmdb_fail(); }
EOF
cat > "$T/three/cmd/top.c" <<'EOF'
int store_write(void);
int main(void) { return store_write(); }
EOF
printf 'int release_after_commit(void);\nint t(void) { return release_after_commit(); }\n' \
	> "$T/three/tests/unit/test_x.c"
compile "$T/three"
check "$T/three"
assert_rc 1 "three files in a loop"
assert_contains "$out" "check-calls: 3 files call each other in a loop: ca/sign.c cmd/map.c store/env.c" "names the three"
assert_contains "$out" "  store/env.c uses ca/sign.c: revoked_upgrade" "edge 1"
assert_contains "$out" "  ca/sign.c uses cmd/map.c: release_after_commit" "edge 2"
assert_contains "$out" "  ca/sign.c uses store/env.c: lmdb_fail" "edge 3"
assert_contains "$out" "  cmd/map.c uses store/env.c: lmdb_fail (and 1 more)" "edge 4, two symbols"
assert_eq "$(printf '%s\n' "$out" | grep -c '^  [^ ]* uses ')" 4 "only the calls inside the loop"
assert_not_contains "$out" "cmd/top.c" "a caller outside the loop"
assert_not_contains "$out" "test_x" "tests/ is left out"
assert_contains "$out" "check-calls: 1 loop among 4 files" "the count"
ok "a loop of three files across folders"

# BUILD may be named; a tree whose objects are missing is refused, not passed.
mv "$T/three/build" "$T/three/objects"
check "$T/three" objects
assert_rc 1 "BUILD named"
check "$T/three"
assert_rc 2 "objects missing"
assert_contains "$err" "check-calls: build/ca/sign.o is missing or older than ca/sign.c: run 'make build' first" "says what to do"
mkdir "$T/empty"
check "$T/empty"
assert_rc 2 "no C files"
ok "objects elsewhere, or missing"

finish

# Plain build only: source files and docs, not the binary.
# scripts/check-layers.sh: passes on this tree, and fails, naming the file
# and the line, on an include planted to point up a layer or sideways.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"

check() {
	out=$(sh "$SRC/scripts/check-layers.sh" "$1" 2>"$T/.stderr")
	rc=$?
	err=$(cat "$T/.stderr")
}

check "$SRC"
assert_rc 0 "the checker on this tree"
assert_match "$out" '^check-layers: [0-9]+ files, [0-9]+ includes, every one points down$' "summary"
ok "this tree: $out"

# A copy of the sources (tests/, fuzz/ and bench/ too: they may include anything).
mkdir "$T/tree"
(cd "$SRC" && tar -cf - --exclude='./build*' --exclude=./.git .) | tar -xf - -C "$T/tree" ||
	fail "copy the tree"
check "$T/tree"
assert_rc 0 "the copy, unchanged"
ok "the copy passes"

# ca/ is below issue/: an include of issue/issue.h from ca/ca.c points up.
line=$(($(grep -n '^#include "' "$T/tree/ca/ca.c" | tail -n 1 | cut -d: -f1) + 1))
sed -i "${line}i #include \"issue/issue.h\"" "$T/tree/ca/ca.c"
check "$T/tree"
assert_rc 1 "an upward include"
assert_contains "$out" "ca/ca.c:$line: includes \"issue/issue.h\", which points up a layer (issue/ is above ca/)" "names file and line"
assert_eq "$(printf '%s\n' "$out" | grep -c 'points up')" 1 "exactly the planted include"
assert_contains "$out" "check-layers: 1 include not pointing down" "the count"
ok "planted upward include: $(printf '%s\n' "$out" | head -n 1)"

# Side by side: report/ and exchange/ do not include each other.
cp "$SRC/ca/ca.c" "$T/tree/ca/ca.c"
printf '#include "exchange/exchange.h"\n' >> "$T/tree/report/html.c"
check "$T/tree"
assert_rc 1 "a sideways include"
assert_contains "$out" "report/html.c:$(wc -l < "$T/tree/report/html.c"): includes \"exchange/exchange.h\": report/ and exchange/ are side by side" "sideways"
ok "planted sideways include"

# A bare name that is not beside the file is the top level's: a library may not include it.
cp "$SRC/report/html.c" "$T/tree/report/html.c"
printf '/* the command table */\n' > "$T/tree/commands.h"
printf '#include "commands.h"\n' >> "$T/tree/store/scan.c"
check "$T/tree"
assert_rc 1 "a bare include of a top-level header"
assert_contains "$out" "store/scan.c:$(wc -l < "$T/tree/store/scan.c"): includes \"commands.h\", which points up a layer (the top level is above store/)" "bare name"
ok "planted top-level include"

# tests/ may include anything; a folder in no layer is named.
cp "$SRC/store/scan.c" "$T/tree/store/scan.c"
printf '#include "cmd/cmd.h"\n' >> "$T/tree/tests/unit/test_text.c"
mkdir "$T/tree/serve"
printf '#include "common/common.h"\n' > "$T/tree/serve/serve.c"
check "$T/tree"
assert_rc 1 "a folder in no layer"
assert_contains "$out" "serve/serve.c: serve/ is in no layer" "unknown folder"
assert_not_contains "$out" "test_text.c" "tests/ may include anything"
ok "tests/ exempt, an unknown folder refused"

finish

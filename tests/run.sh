#!/bin/sh
# Runs the command-level tests (tests/cmd/*.sh) against $MINICA, two at a
# time, and prints each failing test's output. TESTS=pattern runs a subset.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${MINICA:?set MINICA to the binary under test}"
export MINICA
export MINICA_TEMPLATES="$PWD/templates"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
jobs=${JOBS:-2}
list=$(ls tests/cmd/*.sh | grep -E -- "${TESTS:-.}")
# Slowest first, so that the two jobs end together instead of one long file
# running alone at the end (measured: each of these takes 15 s or more;
# version builds minica from a copy of the tree).
slow="acme_clients acme_hostile acme_authz crash version store papercuts concurrency sign bad_inputs sign_bad"
first=$(for n in $slow; do printf '%s\n' $list | grep -x "tests/cmd/$n.sh"; done)
[ -z "$first" ] || list=$(printf '%s\n' $first; printf '%s\n' $list | grep -v -x -F "$first")
# Under a sanitizer build, files marked "# Plain build only:" are left out:
# they check what other programs (verifiers, PFX readers, Mono, an MTA, man,
# bash) make of minica's output or of files beside it, and the commands they
# run are run under the sanitizer by other files.
skipped=""
if ldd "$MINICA" 2>/dev/null | grep -q libasan; then
	skipped=$(grep -l '^# Plain build only:' $list)
	[ -z "$skipped" ] || list=$(printf '%s\n' $list | grep -v -x -F "$skipped")
	for f in $skipped; do echo "SKIP $(basename "$f" .sh) (plain build only)"; done
fi
start=$(date +%s)
printf '%s\n' $list | xargs -P "$jobs" -I{} sh -c '
	name=$(basename "$1" .sh)
	t0=$(date +%s)
	if timeout 600 sh "$1" >"$2/$name.log" 2>&1; then
		echo "PASS $name ($(( $(date +%s) - t0 ))s): $(tail -n 1 "$2/$name.log")"
	else
		echo "FAIL $name" > "$2/$name.failed"
		echo "FAIL $name ($(( $(date +%s) - t0 ))s)"
	fi' _ {} "$logs"
failed=$(ls "$logs"/*.failed 2>/dev/null | wc -l)
for f in "$logs"/*.failed; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .failed)
	echo "===== $name ====="
	cat "$logs/$name.log"
done
total=$(printf '%s\n' $list | wc -l)
echo "command tests: $((total - failed)) of $total files passed in $(( $(date +%s) - start ))s ($MINICA)${skipped:+; $(printf '%s\n' $skipped | wc -l) plain-build-only files left out}"
[ "$failed" -eq 0 ]

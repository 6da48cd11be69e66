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
echo "command tests: $((total - failed)) of $total files passed in $(( $(date +%s) - start ))s ($MINICA)"
[ "$failed" -eq 0 ]

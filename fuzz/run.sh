#!/bin/sh
# fuzz/run.sh BUILD_DIR SECONDS: for every target fuzz/fuzz_NAME.c (built as
# BUILD_DIR/fuzz_NAME), replay each kept crash input (fuzz/regressions/NAME/*)
# and each seed (fuzz/corpus/NAME/*) once, then fuzz for SECONDS starting
# from the seeds. New inputs go to BUILD_DIR/corpus/NAME (the seeds in the
# repository are only read), crashes to BUILD_DIR/crashes/NAME/: a crash
# input, once fixed, is kept as fuzz/regressions/NAME/<short-name>.
# Targets run FUZZ_JOBS (default 2) at a time, each on one core.
set -u
build=$1
seconds=$2
cd "$(dirname "$0")/.." || exit 1
if [ "${3:-}" != --one ]; then
	status=0
	ls fuzz/fuzz_*.c | sed 's|^fuzz/fuzz_||; s|\.c$||' |
		xargs -P "${FUZZ_JOBS:-2}" -I{} sh "$0" "$build" "$seconds" --one {} || status=1
	exit $status
fi
name=$4
bin=$build/fuzz_$name
log=$build/fuzz_$name.log
mkdir -p "$build/corpus/$name" "$build/crashes/$name"
inputs=$(find "fuzz/regressions/$name" "fuzz/corpus/$name" -type f 2>/dev/null | sort)
n_inputs=$(printf '%s\n' "$inputs" | grep -c .)
# -close_fd_mask=2: minica's one-line diagnostics would drown the log;
# libFuzzer and the sanitizers still report on a stream of their own
# shellcheck disable=SC2086
if [ "$n_inputs" -gt 0 ] && ! "$bin" -close_fd_mask=2 $inputs >"$log" 2>&1; then
	echo "FAIL fuzz $name: a kept input crashes:"
	tail -40 "$log"
	exit 1
fi
if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -close_fd_mask=2 \
	-artifact_prefix="$build/crashes/$name/" -print_final_stats=1 \
	"$build/corpus/$name" "fuzz/corpus/$name" >"$log" 2>&1; then
	echo "FAIL fuzz $name: crash input in $build/crashes/$name/:"
	tail -60 "$log"
	exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "PASS fuzz $name: $n_inputs kept inputs replayed, ${runs:-?} runs in ${seconds}s," \
	"$(find "$build/corpus/$name" -type f | wc -l) new corpus inputs"


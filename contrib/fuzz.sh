#!/bin/bash
# fuzz.sh [SECONDS_PER_TARGET [TARGET...]] - builds the libFuzzer targets of
# tests/fuzz with clang in build-fuzz (-DDDBFS_FUZZ=ON) and runs each for
# SECONDS_PER_TARGET (default 60), one after the other unless DDBFS_FUZZ_JOBS
# says otherwise, over a copy of its checked-in corpus
# tests/fuzz/corpus/TARGET (never changed here), with tests/fuzz/TARGET.dict
# when there is one.  TARGETs default to every tests/fuzz/fuzz_*.c.
#
# Prints per target the executions, the corpus size and any crash, leak or
# timeout (with the failing input as od -c shows it, since CI keeps only the
# log), then "fuzz.sh: passed TARGET" or "fuzz.sh: FAILED TARGET", which
# contrib/test.sh counts.  Exits 1 if any target failed, 2 if the build
# failed.
#
# After a run, build-fuzz/run/TARGET/ holds the grown corpus, libFuzzer's
# log and any crash-*, leak-*, timeout-* or oom-* input.  Replay one with
#   build-fuzz/tests/fuzz/TARGET build-fuzz/run/TARGET/crash-...
# Keep new inputs worth keeping (a bug's input, coverage) with
#   build-fuzz/tests/fuzz/TARGET -merge=1 tests/fuzz/corpus/TARGET build-fuzz/run/TARGET/corpus
#
# Environment: DDBFS_FUZZ_DIR (build directory, default build-fuzz),
# DDBFS_FUZZ_CC (default clang), JOBS (build jobs, default 2),
# DDBFS_FUZZ_JOBS (targets run at once, default 1; each still gets
# SECONDS_PER_TARGET, so 2 on 2 cores halves the wall time).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_PER_TARGET=${1:-60}
shift || true
DIR=${DDBFS_FUZZ_DIR:-build-fuzz}
JOBS=${JOBS:-2}
FUZZ_JOBS=${DDBFS_FUZZ_JOBS:-1}

if [[ ! $SECONDS_PER_TARGET =~ ^[1-9][0-9]*$ || ! $FUZZ_JOBS =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: fuzz.sh [SECONDS_PER_TARGET [TARGET...]]" >&2
	exit 2
fi
if (($# > 0)); then
	targets=("$@")
else
	targets=()
	for src in tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$src" .c)")
	done
fi

# A crash must fail the run: UBSan aborts (-fno-sanitize-recover), ASan and
# LSan report and exit, libFuzzer saves the input and exits non-zero.
export ASAN_OPTIONS=${DDBFS_FUZZ_ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "=== fuzz: build in $DIR"
mkdir -p "$DIR"
if ! cmake -S . -B "$DIR" -DCMAKE_C_COMPILER="${DDBFS_FUZZ_CC:-clang}" -DDDBFS_FUZZ=ON \
	-DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Debug >"$DIR/configure.log" 2>&1; then
	cat "$DIR/configure.log" >&2
	echo "fuzz.sh: configure failed" >&2
	exit 2
fi
if ! cmake --build "$DIR" -j "$JOBS" --target "${targets[@]}"; then
	echo "fuzz.sh: build failed" >&2
	exit 2
fi

# final_stat NAME LOG: the value of libFuzzer's final "stat::NAME:" line.
final_stat() {
	sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -n 1
}

# show_failure TARGET RUN: the end of the log and each saved input.
show_failure() {
	local target=$1 run=$2 f
	echo "---- $target: end of libFuzzer's log ($run/fuzz.log) ----"
	tail -n 40 "$run/fuzz.log"
	for f in "$run"/crash-* "$run"/leak-* "$run"/timeout-* "$run"/oom-*; do
		[[ -e $f ]] || continue
		echo "---- $target: input $f ($(wc -c <"$f") bytes), first 1 KiB ----"
		head -c 1024 "$f" | od -An -c -v
	done
	echo "---- end of $target ----"
}

# run_target TARGET: one timed run; returns non-zero on any failure.
run_target() {
	local target=$1 run=$DIR/run/$1 status=0 seeds execs size
	local bin=$DIR/tests/fuzz/$target dict=tests/fuzz/$target.dict
	local args=(-max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=4096
		-print_final_stats=1 -artifact_prefix="$run/")
	rm -rf "$run"
	mkdir -p "$run/corpus"
	if [[ -d tests/fuzz/corpus/$target ]]; then
		cp -R "tests/fuzz/corpus/$target/." "$run/corpus/"
	fi
	[[ -f $dict ]] && args+=(-dict="$dict")
	seeds=$(find "$run/corpus" -type f | wc -l)
	echo "=== fuzz: $target for $SECONDS_PER_TARGET s ($seeds seeds)"
	# The outer timeout only guards against a hang libFuzzer misses.
	timeout -k 10 $((SECONDS_PER_TARGET + 300)) "$bin" "${args[@]}" "$run/corpus" \
		>"$run/fuzz.log" 2>&1 || status=$?
	execs=$(final_stat number_of_executed_units "$run/fuzz.log")
	size=$(find "$run/corpus" -type f | wc -l)
	if ((status != 0)); then
		echo "fuzz.sh: $target: exit status $status after ${execs:-?} executions; corpus $seeds -> $size inputs"
		show_failure "$target" "$run"
		return 1
	fi
	echo "fuzz.sh: $target: ${execs:-?} executions, corpus $seeds -> $size inputs, no crash"
}

# report TARGET: run_target's verdict as the line contrib/test.sh counts.
report() {
	if run_target "$1"; then
		echo "fuzz.sh: passed $1"
	else
		echo "fuzz.sh: FAILED $1"
	fi
}

mkdir -p "$DIR/run"
if ((FUZZ_JOBS == 1)); then
	for target in "${targets[@]}"; do
		report "$target"
	done | tee "$DIR/run/report"
else
	# Several at once, each into its own report, printed in order.
	for target in "${targets[@]}"; do
		while (($(jobs -rp | wc -l) >= FUZZ_JOBS)); do
			wait -n || true
		done
		report "$target" >"$DIR/run/$target.report" 2>&1 &
	done
	wait
	for target in "${targets[@]}"; do
		cat "$DIR/run/$target.report"
	done | tee "$DIR/run/report"
fi
failed=$(grep -c '^fuzz.sh: FAILED ' "$DIR/run/report" || true)
if ((failed > 0)); then
	echo "fuzz.sh: $failed of ${#targets[@]} targets failed"
	exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets ran without a failure"

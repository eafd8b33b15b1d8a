#!/bin/bash
# test.sh - what CI runs: install dependencies, then the whole test suite
# (unit, fault, integration) twice: a normal build in build/ and an
# AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/; then
# each libFuzzer target of tests/fuzz for DDBFS_FUZZ_SECONDS (contrib/fuzz.sh,
# clang build in build-fuzz/), each target counting as one test.
# Exits non-zero if any build or test fails; the last line is always
# "N passed, N failed" over all runs.
#
# Environment: JOBS (default 2), DDBFS_SKIP_DEPS=1 to skip install-deps.sh,
# DDBFS_SKIP_ASAN=1 and DDBFS_SKIP_FUZZ=1 for a quicker local run,
# DDBFS_FUZZ_SECONDS (per fuzz target, default 20; JOBS targets run at once,
# so five take about a minute with the build), DDBFS_BUILD_DIR,
# DDBFS_ASAN_DIR and DDBFS_FUZZ_DIR to build elsewhere (defaults build,
# build-asan, build-fuzz).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
JOBS=${JOBS:-2}

passed=0
failed=0
skipped=0
failures=()

# Sanitizer reports must fail the test that triggered them: UBSan aborts
# (the build uses -fno-sanitize-recover), ASan and LSan exit non-zero.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# count_results NAME LOG: adds ctest's per-test results in LOG to the totals.
count_results() {
	local name=$1 log=$2 line test
	while IFS= read -r line; do
		test=$(sed -E 's/.*Test +#[0-9]+: ([^ ]+).*/\1/' <<<"$line")
		case $line in
		*" Passed "*) passed=$((passed + 1)) ;;
		*Skipped* | *"Not Run"*)
			skipped=$((skipped + 1))
			echo "test.sh: $name: $test was skipped" >&2
			;;
		*)
			failed=$((failed + 1))
			failures+=("$name: $test")
			;;
		esac
	done < <(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$log" || true)
}

# run_suite NAME BUILD_DIR CMAKE_ARGS...: configure, build, run every test.
run_suite() {
	local name=$1 dir=$2 status=0
	shift 2
	echo "=== $name: build in $dir"
	if ! cmake -S . -B "$dir" "$@" || ! cmake --build "$dir" -j "$JOBS"; then
		echo "test.sh: $name: build failed" >&2
		failed=$((failed + 1))
		failures+=("$name: build")
		return
	fi
	echo "=== $name: ctest"
	(cd "$dir" && ctest --output-on-failure --no-tests=error -j "$JOBS") 2>&1 |
		tee "$dir/ctest.log" || status=$?
	local failed_before=$failed
	count_results "$name" "$dir/ctest.log"
	# ctest failing without a failed test line (no tests found, a crash of
	# ctest itself) still counts as a failure.
	if ((status != 0 && failed == failed_before)); then
		failed=$((failed + 1))
		failures+=("$name: ctest exited with $status")
	fi
}

# run_fuzz: contrib/fuzz.sh, where each target that ran is a test; a build
# that failed, or fuzz.sh failing otherwise, is one failure.
run_fuzz() {
	local log status=0 line failed_before=$failed
	log=$(mktemp)
	DDBFS_FUZZ_JOBS=${DDBFS_FUZZ_JOBS:-$JOBS} bash contrib/fuzz.sh "${DDBFS_FUZZ_SECONDS:-20}" 2>&1 |
		tee "$log" || status=$?
	while IFS= read -r line; do
		case $line in
		"fuzz.sh: passed "*) passed=$((passed + 1)) ;;
		"fuzz.sh: FAILED "*)
			failed=$((failed + 1))
			failures+=("fuzz: ${line#fuzz.sh: FAILED }")
			;;
		esac
	done <"$log"
	rm -f "$log"
	if ((status != 0 && failed == failed_before)); then
		failed=$((failed + 1))
		failures+=("fuzz: fuzz.sh exited with $status")
	fi
}

if [[ ${DDBFS_SKIP_DEPS:-0} != 1 ]]; then
	bash contrib/install-deps.sh
fi

start=$SECONDS
run_suite normal "${DDBFS_BUILD_DIR:-build}"
if [[ ${DDBFS_SKIP_ASAN:-0} != 1 ]]; then
	run_suite sanitize "${DDBFS_ASAN_DIR:-build-asan}" -DCMAKE_BUILD_TYPE=Debug -DDDBFS_SANITIZE=ON
fi
if [[ ${DDBFS_SKIP_FUZZ:-0} != 1 ]]; then
	echo "=== fuzz: contrib/fuzz.sh ${DDBFS_FUZZ_SECONDS:-20}"
	run_fuzz
fi

echo
echo "test.sh: finished in $((SECONDS - start)) s"
if ((skipped > 0)); then
	echo "test.sh: $skipped skipped (no /dev/fuse?)"
fi
for f in ${failures[@]+"${failures[@]}"}; do
	echo "test.sh: FAILED $f"
done
echo "$passed passed, $failed failed"
((failed == 0))

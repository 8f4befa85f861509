#!/usr/bin/env bash
# Runs every test wal-e has, the way CI does:
#   1. installs the Debian packages it needs (scripts/install-deps.sh),
#   2. builds and runs the unit tests and the integration tests (a real
#      PostgreSQL 15, the real binaries, the real archive_command and
#      restore_command),
#   3. builds again with AddressSanitizer and UndefinedBehaviorSanitizer and
#      runs the unit and integration tests on that build,
#   4. fuzzes the decoders for a short while.
# WALE_TEST_QUICK=1 skips steps 3 and 4.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$SECONDS
section() { printf '\n=== %s (%ds)\n' "$*" $((SECONDS - start)); }

section "dependencies"
scripts/install-deps.sh

section "build"
scripts/build.sh build

section "unit and integration tests"
ctest --test-dir build --output-on-failure -j 2 --timeout 1200

if [ -z "${WALE_TEST_QUICK:-}" ]; then
  section "sanitizer build (ASan + UBSan)"
  WALE_BUILD_TYPE=Debug scripts/build.sh build-asan -DWALE_SANITIZE=ON
  section "unit and integration tests under the sanitizers"
  # Leak checking stays on; a report fails the test that triggered it.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 --timeout 1800

  section "fuzzing the decoders"
  tests/fuzz/run.sh "${WALE_FUZZ_SECONDS:-60}"
fi
section "all tests passed"

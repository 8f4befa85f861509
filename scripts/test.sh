#!/usr/bin/env bash
# Runs every test wal-e has, the way CI does:
#   1. installs the Debian packages it needs (scripts/install-deps.sh),
#   2. builds what is shipped and runs on it the unit tests, the fault
#      matrix (tests/faults/, label "faults", run in this build only) and
#      the integration tests that check what is shipped (label "release":
#      a line "# CI: release build (why)" in the script),
#   3. builds again with AddressSanitizer and UndefinedBehaviorSanitizer and
#      runs the unit tests and every integration test (a real PostgreSQL
#      15, the real binaries, the real archive_command and restore_command)
#      on that build, but those labelled "release-only" (a line "# CI:
#      release build only (why)": the stores' acceptance scenarios),
#   4. builds the binaries with ThreadSanitizer and runs the integration
#      tests that start wal-ed (ctest label "daemon") on them,
#   5. fuzzes every decoder and parser for a short while (tests/fuzz/run.sh;
#      its --long mode is for outside CI).
# WALE_TEST_QUICK=1 skips steps 3 to 5 and runs every test in step 2.
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
# Each integration test runs once on sanitized binaries (step 3); the ones
# labelled "release" run on the shipped ones here as well. Running them all
# twice took CI past its 90 minutes.
selection=(-L 'unit|faults|release')
[ -z "${WALE_TEST_QUICK:-}" ] || selection=()
ctest --test-dir build "${selection[@]}" --output-on-failure -j 2 --timeout 1200

if [ -z "${WALE_TEST_QUICK:-}" ]; then
  section "sanitizer build (ASan + UBSan)"
  WALE_BUILD_TYPE=Debug scripts/build.sh build-asan -DWALE_SANITIZE=ON
  section "unit and integration tests under the sanitizers"
  # Leak checking stays on; a report fails the test that triggered it.
  # The fault matrix (label "faults") runs once, in the normal build above,
  # and so does the acceptance scenario every store passes
  # (backend_acceptance.sh; label "release-only"): each store's code runs
  # here through its other tests (S3: archive and restore, faults, outage
  # policy, listing, multipart, TLS, credentials, connections; the others:
  # credentials, WAL-E layout, resumable uploads, authentication); that
  # keeps CI well inside its 90 minutes.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -LE 'faults|release-only' --output-on-failure -j 2 --timeout 1800

  section "ThreadSanitizer build (wal-e, wal-ed)"
  # The archive module is built as always (never with a sanitizer: it runs
  # inside PostgreSQL), for test_archive_module.
  WALE_BUILD_TARGETS="wal-e wal-ed wale-store-probe wal_e_archive" scripts/build.sh build-tsan -DWALE_TSAN=ON
  section "daemon integration tests under ThreadSanitizer"
  # Every process writes its reports to a file of its own (the daemon runs
  # as the test user, its stderr is a log): the stage fails if any exists.
  # test_memory_flat is left out (ThreadSanitizer's shadow memory is in the
  # resident set it measures), and so is test_s3_connections: it counts the
  # connections of a burst that keeps them all busy, and ThreadSanitizer's
  # slowdown leaves some idle past the peer's keep-alive timeout, to be
  # replaced (rightly). test_secrets kills wal-ed with SIGSEGV on purpose,
  # which ThreadSanitizer reports as a crash.
  reports=$root/build-tsan/tsan-reports
  rm -rf "$reports" && mkdir -p "$reports" && chmod 1777 "$reports"
  TSAN_OPTIONS="log_path=$reports/report suppressions=$root/tests/tsan.supp second_deadlock_stack=1 halt_on_error=0" \
    ctest --test-dir build-tsan -L daemon -LE faults -E 'test_s3_connections|test_memory_flat|test_secrets' --output-on-failure -j 2 --timeout 1800
  if compgen -G "$reports/report.*" > /dev/null; then
    cat "$reports"/report.* >&2
    echo "ThreadSanitizer reported the races above" >&2
    exit 1
  fi

  section "fuzzing every decoder and parser"
  tests/fuzz/run.sh "${WALE_FUZZ_SECONDS:-20}"
fi
section "all tests passed"

#!/usr/bin/env bash
# Runs the fault matrix (tests/faults/fault_*.sh) one scenario after another
# and prints its table, the one in README's "Reliability" section.
#   tests/faults/run.sh            the iterations CI runs
#   tests/faults/run.sh --long     the long iterations of each (WALE_FAULT_LONG=1:
#                                  1000 kills, 50 crashes, 10 rounds of store faults,
#                                  100 segments pushed 16 times at once)
# WALE_FAULT_ITERATIONS=N sets every scenario's iterations.
# Needs a build (WALE_BUILD_DIR, default build/). The journal-damage row is
# tests/integration/test_journal_damage.sh, run with the integration tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --long ]; then export WALE_FAULT_LONG=1; fi
export WALE_FAULTS_TABLE
WALE_FAULTS_TABLE=$(mktemp /tmp/wale-faults-table.XXXXXX)
trap 'rm -f "$WALE_FAULTS_TABLE"' EXIT
failed=0
for script in "$here"/fault_*.sh; do
  echo "=== $(basename "$script")" >&2
  bash "$script" > /dev/null || { echo "FAILED: $(basename "$script")" >&2; failed=1; }
done
echo "| scenario | iterations | segments | lost | wrong bytes restored | time |"
echo "| --- | --- | --- | --- | --- | --- |"
cat "$WALE_FAULTS_TABLE"
exit $failed

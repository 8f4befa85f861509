#!/usr/bin/env bash
# Archiving throughput to OpenStack Swift beside S3, through wal-ed, in one
# run: N segments of 16 MiB already .ready (pgbench WAL), archived from the
# same snapshot to
#   - the S3 peer (the SigV4-checking s3rver fork),
#   - the Swift all-in-one (tests/peers/swift_aio.sh) through Swift's own
#     API (tempauth, the swift:// backend),
#   - the same all-in-one through its S3 API (s3api, the s3:// backend),
# each into a new prefix, timed until pg_stat_archiver has them all; ROUNDS
# rounds, the median of each reported. bench/backends.sh measures the
# swift:// backend's recovery too, beside every other backend.
#   bench/swift_archive_throughput.sh [N=200] [ROUNDS=1]
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" swift
source "$(dirname "$0")/lib/archive.sh"
source "$(dirname "$0")/lib/peers.sh"
N=${1:-200}
ROUNDS=${2:-1}
make_ready_segments "$N"
start_s3_peer
env_s3=("${WALE_ENV[@]}")
start_swift
env_swift=("${WALE_ENV[@]}")
s3_env "$SWIFT_PORT" test:tester testing  # the container start_swift made, as an S3 bucket
env_s3api=("${WALE_ENV[@]}")

declare -A times=([s3]="" [swift]="" [s3api]="")
for round in $(seq 1 "$ROUNDS"); do
  for store in s3 swift s3api; do
    echo "round $round: $store" >&2
    declare -n store_env=env_$store
    WALE_ENV=("${store_env[@]}")
    unset -n store_env
    prefixed_env "$store-r$round"
    time_archiving daemon "${RUN_ENV[@]}"
    times[$store]+="$ARCHIVE_S "
  done
done
median() { tr ' ' '\n' <<< "$1" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
s3_s=$(median "${times[s3]}")
swift_s=$(median "${times[swift]}")
s3api_s=$(median "${times[s3api]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
cat <<REPORT
machine: $(machine)
$READY segments of 16 MiB (pgbench WAL), archived through wal-ed over HTTP on loopback; median of $ROUNDS round(s) (all: s3 ${times[s3]}| swift ${times[swift]}| s3api ${times[s3api]})

| store (backend) | seconds | throughput | throughput vs the s3rver fork |
| --- | ---: | --- | ---: |
| s3rver fork (s3://) | $s3_s | $(archive_rate "$s3_s") | 1.00 |
| Swift all-in-one, Swift API (swift://) | $swift_s | $(archive_rate "$swift_s") | $(ratio "$swift_s" "$s3_s") |
| Swift all-in-one, s3api (s3://) | $s3api_s | $(archive_rate "$s3api_s") | $(ratio "$s3api_s" "$s3_s") |
REPORT

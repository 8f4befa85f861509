#!/usr/bin/env bash
# Archiving throughput to the S3 peer (the SigV4-checking s3rver fork):
# N segments of 16 MiB already .ready (pgbench WAL), archived through the
# daemon and then, from the same snapshot, with no daemon (the shim runs
# each wal-push in-process), timed until pg_stat_archiver has them all.
#   bench/s3_archive_throughput.sh [N=200]
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" s3
source "$(dirname "$0")/lib/archive.sh"
source "$(dirname "$0")/lib/peers.sh"
N=${1:-200}
make_ready_segments "$N"
start_s3_peer
prefixed_env daemon
time_archiving daemon "${RUN_ENV[@]}"
daemon_s=$ARCHIVE_S
prefixed_env in-process
time_archiving in-process "${RUN_ENV[@]}"
inproc_s=$ARCHIVE_S
cat <<REPORT
machine: $(machine)
$READY segments of 16 MiB (pgbench WAL), archived to the s3rver fork over HTTP on loopback

| archive_command path | seconds | throughput |
| --- | ---: | --- |
| through wal-ed | $daemon_s | $(archive_rate "$daemon_s") |
| in-process (no daemon) | $inproc_s | $(archive_rate "$inproc_s") |
REPORT

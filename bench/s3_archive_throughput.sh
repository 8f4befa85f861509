#!/usr/bin/env bash
# Archiving throughput to the S3 peer (the SigV4-checking s3rver fork):
# N segments of 16 MiB already .ready (pgbench WAL), archived through the
# daemon and then, from the same snapshot, with no daemon (the shim runs
# each wal-push in-process), timed until pg_stat_archiver has them all.
#   bench/s3_archive_throughput.sh [N=200]
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" s3
source "$(dirname "$0")/lib/archive.sh"
N=${1:-200}
trap archive_cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
make_ready_segments "$N"

run() {  # run daemon|in-process: prints seconds until everything is archived
  rm -rf "$W/s3"
  start_s3rver_fork "$W/s3" "$port"
  time_archiving "$1" WALE_S3_PREFIX=s3://walbkt/archive WALE_S3_ENDPOINT="http+path://127.0.0.1:$port" AWS_ACCESS_KEY_ID=S3RVER \
    AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  kill "$S3RVER_PID"
  wait "$S3RVER_PID" 2> /dev/null || true
}
daemon_s=$(run daemon)
inproc_s=$(run in-process)
cat <<REPORT
machine: $(machine)
$READY segments of 16 MiB (pgbench WAL), archived to the s3rver fork over HTTP on loopback

| archive_command path | seconds | throughput |
| --- | ---: | --- |
| through wal-ed | $daemon_s | $(archive_rate "$daemon_s") |
| in-process (no daemon) | $inproc_s | $(archive_rate "$inproc_s") |
REPORT

#!/usr/bin/env bash
# Fault matrix: PostgreSQL crashes (pg_ctl -m immediate stop) while the
# daemon has segments in flight to a slow S3 store (the s3rver peer behind
# fault_proxy.py, every request delayed), then starts again: crash recovery
# re-archives what it had not seen acknowledged. Nothing is lost, every
# archived segment is byte for byte the one in pg_wal, verify is clean and
# a restore matches the primary.
source "$(dirname "$0")/lib.sh"

iterations=$(fault_iterations 5 100)
start_s3_peer
start_fault_proxy "$S3_PORT"
start_daemon
primary=$T/primary
fault_primary "$primary" "$(free_port)"

queued() { wal_e status 2> /dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["queue_depth"])'; }
in_flight() { [ "$(queued)" -ge 2 ]; }
for ((i = 0; i < iterations; i++)); do
  proxy_mode "delay 0.3"
  start_writer "$primary"
  wait_for 120 in_flight || fail "no segments queued in the daemon behind the slow store"
  log "iteration $i: crashing PostgreSQL with $(queued) segments in the daemon's queue"
  touch "$T/writer.stop"
  as_user "$PG_BIN/pg_ctl" -D "$primary" -m immediate -w stop > /dev/null
  stop_writer
  pg_start "$primary" $(wale_env)
  proxy_mode pass
  archive_everything "$primary"
done
finish_scenario "PostgreSQL crash (immediate stop) with segments in flight" "$iterations" "$primary"
stop_daemon
log PASS

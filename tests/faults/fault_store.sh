#!/usr/bin/env bash
# Fault matrix: a misbehaving S3 store. fault_proxy.py, in front of the
# s3rver peer, hits a share of the requests with each fault in turn while
# pgbench writes and PostgreSQL archives through the daemon: connection
# resets after the request reached the store, stalls past
# WALE_STORE_TIMEOUT, truncated bodies (requests and answers), 500
# InternalError, 503 SlowDown, and answers to PUT whose ETag names other
# bytes. Archiving retries and loses nothing, and a wrong ETag is never
# taken as success. Then listing pages that end early (IsTruncated true
# with no continuation token): verify, backup-list and delete fail with
# one error line instead of answering from half a listing, and delete
# removes nothing. The restore at the end runs with answers truncated.
source "$(dirname "$0")/lib.sh"

rounds=$(fault_iterations 1 10)
start_s3_peer
start_fault_proxy "$S3_PORT"
start_daemon WALE_STORE_TIMEOUT=4
primary=$T/primary
fault_primary "$primary" "$(free_port)" --env WALE_STORE_TIMEOUT=4

injected=0
# fault_phase "MODE P" FAULTS: the mode until the proxy has injected FAULTS
# faults, then everything written so far archived without faults.
fault_phase() {
  local before
  before=$(proxy_faults)
  log "store fault: $1"
  proxy_mode "$1"
  wait_for 120 bash -c "[ \$(cat '$PROXY_DIR/faults') -ge $((before + $2)) ]" || fail "the proxy injected fewer than $2 faults in mode $1"
  proxy_mode pass
  archive_everything "$primary"
  injected=$((injected + $(proxy_faults) - before))
}

start_writer "$primary"
for ((round = 0; round < rounds; round++)); do
  fault_phase "reset 0.3" 6
  fault_phase "stall 0.2" 2
  fault_phase "truncate 0.3" 6
  fault_phase "500 0.3" 6
  fault_phase "503 0.3" 6
  fault_phase "etag 1" 4
done
grep -q "not the MD5 of the bytes sent" "$T/daemon.log" "$primary/server.log" || fail "no upload was refused for its wrong ETag"
grep -q "the store is not answering" "$T/daemon.log" "$primary/server.log" || fail "no stall outlasted WALE_STORE_TIMEOUT"
stop_writer
archive_everything "$primary"

log "listing pages that end early"
objects_before=$(probe list "" 2> /dev/null | wc -l)
proxy_mode shortlist
for command in "verify" "backup-list" "delete --confirm retain 1" "delete --confirm everything"; do
  assert_fails 1 "continues but gave no token" wal_e $command
done
proxy_mode pass
assert_eq "$(probe list "" 2> /dev/null | wc -l)" "$objects_before" "objects in the store after delete saw short listings"
injected=$((injected + 4))

# The restore reads through answers cut short (the comparison with pg_wal
# before it reads them whole: wale-store-probe gives up after 5 attempts).
truncate_answers() { proxy_mode "truncate 0.2"; }
FAULT_BEFORE_RESTORE=truncate_answers
finish_scenario "S3 store faults (reset, stall, truncate, 500, 503, wrong ETag, short listing)" "$injected faults" "$primary"
proxy_mode pass
stop_daemon
log PASS

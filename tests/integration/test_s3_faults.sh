#!/usr/bin/env bash
# Acceptance (S3): faults. With the store stopped in the middle of
# archiving, wal-push calls fail after the configured timeout (PostgreSQL
# retries); once the store is back the backlog is uploaded; a store that
# answers 503 SlowDown for a while is ridden out with backoff; and nothing
# is lost or stored with content other than the segment's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"

start_s3_peer
start_fault_proxy "$S3_PORT"
start_daemon WALE_STORE_TIMEOUT=4
primary=$T/primary
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 2GB" --set "max_wal_size = 2GB" \
  --env WALE_STORE_TIMEOUT=4 --wal-segsize=1

psql_at "$primary" "CREATE TABLE t (x int, pad text)"
write_wal() { psql_at "$primary" "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, $1) g" > /dev/null; }
write_wal 20000
archive_everything "$primary"

log "stopping the store in the middle of archiving"
stop_s3_peer
write_wal 60000
psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
wait_for 60 bash -c "[ \$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc 'SELECT failed_count FROM pg_stat_archiver') -ge 2 ]" \
  || fail "wal-push did not fail while the store was down"
grep -q "archive command failed with exit code 1" "$primary/server.log" || fail "wal-push did not exit 1 while the store was down"
grep -q "the store is not answering" "$primary/server.log" || fail "no timeout message reached PostgreSQL's log"
log "PostgreSQL saw $(psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver") failed attempts; restarting the store"
start_s3_peer
archive_everything "$primary"
log "backlog archived after the store came back"

log "the store answers 503 SlowDown for 3 s"
proxy_mode 503
write_wal 20000
psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
sleep 3
proxy_mode pass
archive_everything "$primary"
grep -q "SlowDown\|503" "$T/daemon.log" "$primary/server.log" || fail "the 503 phase did not reach the archiver"

log "checking every archived segment against pg_wal"
checked=$(assert_archive_matches_pg_wal "$primary")
log "$checked segments match pg_wal byte for byte"
pg_stop "$primary"
stop_daemon
log PASS

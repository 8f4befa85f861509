#!/usr/bin/env bash
# Acceptance (S3): the daemon keeps its connections. Archiving 200+
# segments opens no more TCP connections to the store than the pool size
# (counted by fault_proxy.py in front of the peer), and after an idle gap
# longer than the peer's keep-alive timeout (5 s) the next upload reconnects
# silently.
# CI: release build (connection reuse at the shipped speed).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
pool=8
start_s3_peer
start_fault_proxy "$S3_PORT"
DAEMON_ARGS=(--pool-size "$pool")
start_daemon

primary=$T/primary
pg_init "$primary" 5432 --wal-segsize=1
pg_conf "$primary" "archive_mode = on"
# The backlog builds up first, then is archived in one sustained burst:
# connections are counted while the daemon is busy, not across idle gaps
# (a kept-alive connection the peer closes after 5 s idle must be replaced).
pg_conf "$primary" "archive_command = 'false'"
pg_conf "$primary" "wal_keep_size = 1GB"
pg_start "$primary" $(wale_env)
pgbench_at "$primary" -i -s 20 -q > "$T/pgbench.log" 2>&1
backlog=$(ls "$primary/pg_wal/archive_status" | grep -c '\.ready$')
before=$(proxy_connections)
start=$SECONDS
psql_at "$primary" "ALTER SYSTEM SET archive_command = '$BIN/wal-e wal-push %p'"
psql_at "$primary" "SELECT pg_reload_conf()" > /dev/null
archive_everything "$primary"
# Counted before the listing below, whose own connection goes through the proxy too.
opened=$(( $(proxy_connections) - before ))
segments=$(archived_wal_files | grep -cE '^[0-9A-F]{24}$')
log "a backlog of $backlog: $segments segments archived in $((SECONDS - start)) s over $opened connections (pool size $pool)"
[ "$segments" -ge 200 ] || fail "only $segments segments; the test needs 200"
[ "$opened" -le "$pool" ] || fail "the daemon opened $opened connections for a pool of $pool"

failed_before=$(psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver")
log "idle for 7 s: the peer closes kept-alive connections after 5 s"
sleep 7
psql_at "$primary" "CREATE TABLE after_idle AS SELECT 1 AS x" > /dev/null
archive_everything "$primary"
assert_eq "$(psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver")" "$failed_before" "failed archive attempts after the idle gap"
grep -q "retrying" "$T/daemon.log" && fail "the reconnect after the idle gap was not silent"
pg_stop "$primary"
log PASS

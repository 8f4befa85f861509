#!/usr/bin/env bash
# Issue 12, part 2 (monitoring): `wal-e status --prometheus` and the daemon's
# optional HTTP endpoint (--metrics-listen, off by default, loopback) serve
# the same metrics in Prometheus' text exposition format, checked strictly
# by prometheus_check.py; a scrape before and after archiving segments
# through a real PostgreSQL shows the counters and gauges move.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"

log "bad --metrics-listen values are refused, naming the setting"
for bad in WALE_METRICS_LISTEN=9x WALE_METRICS_LISTEN=db.example:9187 WALE_METRICS_LISTEN=127.0.0.1:0; do
  assert_fails 2 "WALE_METRICS_LISTEN" as_user env "${WALE_ENV[@]}" "$bad" "$BIN/wal-ed" --socket "$T/bad.sock" --state-dir "$T/bad-state"
done

log "off by default"
start_daemon
grep "MSG: wal-ed is ready" -A1 "$T/daemon.log" | grep -q "Metrics on" && fail "a daemon without --metrics-listen serves metrics"
stop_daemon

PORT=$(free_port)
log "a port taken by another program is a clear error"
"$PY" -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' "$PORT" &
blocker=$!
remember_pid $blocker
wait_port "$PORT"
assert_fails 2 "cannot serve metrics on 127.0.0.1:$PORT" as_user env "${WALE_ENV[@]}" "$BIN/wal-ed" --socket "$T/bad.sock" \
  --state-dir "$T/bad-state" --metrics-listen "$PORT"
kill "$blocker"
wait_for 10 bash -c "! kill -0 $blocker 2> /dev/null"

DAEMON_ARGS=(--metrics-listen "$PORT")
start_daemon
grep "MSG: wal-ed is ready" -A1 "$T/daemon.log" | grep -q "Metrics on http://127.0.0.1:$PORT/metrics" || fail "the ready line does not say where metrics are"

# scrape NAME: the endpoint's page, checked, as JSON in $T/NAME.json.
scrape() {
  curl -sf "http://127.0.0.1:$PORT/metrics" -D "$T/$1.headers" > "$T/$1.prom" || fail "scraping the endpoint failed"
  grep -qi '^content-type: text/plain; version=0.0.4' "$T/$1.headers" || fail "wrong content type: $(cat "$T/$1.headers")"
  "$PY" "$WALE_SOURCE_DIR/tests/integration/prometheus_check.py" < "$T/$1.prom" > "$T/$1.json" || fail "the page breaks the exposition format"
}
# metric NAME SERIES: one value of a checked scrape.
metric() { "$PY" -c 'import json,sys; print(int(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$T/$1.json" "$2"; }

scrape before
for series in wale_segments_uploaded_total wale_stored_bytes_total wale_read_bytes_total wale_queue_depth wale_backlog_bytes \
  wale_oldest_ready_age_seconds wale_last_archived_age_seconds 'wale_store_errors_total{kind="transient"}' wale_prefetch_served_total wale_prefetch_wait_seconds_total \
  wale_resident_memory_bytes wale_segments_already_stored_total wale_segments_failed_total wale_segments_dropped_total; do
  metric before "$series" > /dev/null || fail "the first scrape has no $series"
done
[ "$(metric before wale_resident_memory_bytes)" -gt 0 ] || fail "RSS is 0"

log "wal-e status --prometheus prints the same format"
wal_e status --prometheus > "$T/status.prom" || fail "wal-e status --prometheus failed"
"$PY" "$WALE_SOURCE_DIR/tests/integration/prometheus_check.py" < "$T/status.prom" > "$T/status.json" || fail "status --prometheus breaks the format"
assert_eq "$(metric status wale_segments_uploaded_total)" "$(metric before wale_segments_uploaded_total)" "status and endpoint agree"

log "only GET and HEAD /metrics"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" 404 "status of GET /"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")" 405 "status of POST /metrics"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$PORT/metrics")" 200 "status of HEAD /metrics"

log "archiving 8 segments through PostgreSQL"
primary=$T/primary
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 1GB" --wal-segsize=1
psql_at "$primary" "CREATE TABLE t (x int)"
for i in $(seq 8); do psql_at "$primary" "INSERT INTO t VALUES ($i); SELECT pg_switch_wal()" > /dev/null; done
archive_everything "$primary"
last=$(psql_at "$primary" "SELECT last_archived_wal FROM pg_stat_archiver")
# The daemon counts a segment once it is durable; PostgreSQL may ask for
# the last one just before the counter moves.
uploaded_at_least() { scrape after; [ "$(metric after wale_segments_uploaded_total)" -ge $(($(metric before wale_segments_uploaded_total) + 8)) ]; }
wait_for 30 uploaded_at_least || fail "wale_segments_uploaded_total did not grow by 8: $(metric after wale_segments_uploaded_total)"
for series in wale_stored_bytes_total wale_read_bytes_total wale_last_archived_timestamp_seconds; do
  [ "$(metric after "$series")" -gt "$(metric before "$series")" ] || fail "$series did not grow"
done
[ "$(metric after wale_read_bytes_total)" -ge $((8 * 1048576)) ] || fail "wale_read_bytes_total counts less than 8 segments"
grep -q "^wale_last_archived_segment_info{segment=\"[0-9A-F]*\"} 1$" "$T/after.prom" || fail "no last archived segment"
archived_last=$(sed -n 's/^wale_last_archived_segment_info{segment="\([0-9A-F]*\)"} 1$/\1/p' "$T/after.prom")
[[ ! "$archived_last" < "$last" ]] || fail "the last archived segment $archived_last is older than PostgreSQL's $last"
# The backlog is measured every few seconds, not at each upload.
backlog_gauge_zero() { scrape after; grep -q "^wale_pg_wal_backlog_segments{pg_wal=\"$primary/pg_wal\"} 0$" "$T/after.prom"; }
wait_for 30 backlog_gauge_zero || fail "no backlog gauge of 0 for $primary/pg_wal: $(grep wale_pg_wal_backlog_segments "$T/after.prom")"
log "uploaded $(metric before wale_segments_uploaded_total) -> $(metric after wale_segments_uploaded_total), stored bytes $(metric before wale_stored_bytes_total) -> $(metric after wale_stored_bytes_total)"

pg_stop "$primary"
stop_daemon
log PASS

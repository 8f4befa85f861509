#!/usr/bin/env bash
# Where wal-ed's CPU goes when recovery fetches from the S3 peer over HTTPS:
# N segments of 16 MiB (pgbench WAL) are pushed to the SigV4-checking s3rver
# fork behind stunnel (TLS), then fetched one `wal-e wal-fetch` after the
# other, as restore_command does, into a data directory with standby.signal
# (so wal-ed prefetches), through a fresh daemon, with the page cache
# dropped first. No PostgreSQL replays: the figures are what the fetch
# path costs, per segment, for wal-ed, the peer and stunnel. With PERF=1,
# perf samples wal-ed during the fetches and the report adds its profile
# by library and its top symbols; PERF_DATA=FILE keeps the samples there.
#   [PERF=1 [PERF_DATA=FILE]] bench/s3_fetch_cpu.sh [N=60]
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" s3-fetch-cpu
source "$(dirname "$0")/lib/archive.sh"
source "$(dirname "$0")/lib/peers.sh"
N=${1:-60}
make_ready_segments "$N"
start_s3_peer
start_tls_proxy "$S3_PORT"
s3_tls_endpoint localhost
WALE_ENV+=(WALE_S3_CA_FILE="$CA_FILE")
segs=$(ls "$W/snapshot/pg_wal/archive_status" | sed -n 's/\.ready$//p' | sort | head -n "$N")

start_daemon "${WALE_ENV[@]}"
for s in $segs; do
  (cd "$W/snapshot" && as_pg env "${WALE_ENV[@]}" WALE_SOCKET="$W/wal-ed.sock" "$BIN/wal-e" wal-push "pg_wal/$s" 2>> "$W/push.log")
done
stop_daemon

mkdir -p "$W/rec/pg_wal"
touch "$W/rec/standby.signal"
chown -R postgres: "$W/rec"
start_daemon "${WALE_ENV[@]}"
sync
echo 3 > /proc/sys/vm/drop_caches
perf_pid=
if [ -n "${PERF:-}" ]; then
  perf record -F 999 -g -p "$DAEMON" -o "$W/perf.data" 2> /dev/null &
  perf_pid=$!
  sleep 0.5
fi
d0=$(cpu_seconds "$DAEMON") p0=$(cpu_seconds "$S3_PID") s0=$(cpu_seconds "$TLS_PID") t0=$(now)
for s in $segs; do
  (cd "$W/rec" && as_pg env "${WALE_ENV[@]}" WALE_SOCKET="$W/wal-ed.sock" "$BIN/wal-e" wal-fetch "$s" pg_wal/RECOVERYXLOG 2>> "$W/fetch.log")
  rm -f "$W/rec/pg_wal/RECOVERYXLOG"
done
secs=$(elapsed "$t0")
d1=$(cpu_seconds "$DAEMON") p1=$(cpu_seconds "$S3_PID") s1=$(cpu_seconds "$TLS_PID")
if [ -n "$perf_pid" ]; then
  kill -TERM "$perf_pid"  # a background job ignores SIGINT
  wait "$perf_pid" 2> /dev/null || true
  if [ -n "${PERF_DATA:-}" ]; then cp "$W/perf.data" "$PERF_DATA"; fi
fi
stored=$(du -cb "$W"/s3/*/archive/wal_005/*._S3rver_object | tail -n 1 | cut -f1)
per() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.2f s (%.1f ms a segment)", b - a, 1000 * (b - a) / n }'; }
cat <<REPORT
machine: $(machine)
$N segments of 16 MiB (pgbench WAL, $((stored / N / 1024)) KiB a stored object), fetched one after another from
the s3rver fork behind stunnel (TLS), prefetch on, no replay: $secs s

| process | CPU during the fetches |
| --- | ---: |
| wal-ed | $(per "$d0" "$d1") |
| the S3 peer (node) | $(per "$p0" "$p1") |
| stunnel | $(per "$s0" "$s1") |
REPORT
if [ -n "$perf_pid" ]; then
  echo
  echo "wal-ed's samples by library:"
  perf report -i "$W/perf.data" --no-children --sort dso --stdio -g none 2> /dev/null | grep '%' | head -n 8
  echo "wal-ed's samples by kind (symbol names):"
  perf report -i "$W/perf.data" --no-children --sort sym --stdio -g none 2> /dev/null | grep '%' |
    awk '{ p = $1; sub("%", "", p)
           if ($0 ~ /lzo/) k = "lzop decoding (liblzo2)"
           else if ($0 ~ /\[k\]/) k = "kernel (socket reads, page cache writes, scheduling)"
           else if ($0 ~ /boost::|ssl|SSL|ERR_|CRYPTO_|BIO_|aesni|gcm/) k = "Asio/Beast/OpenSSL per-read work"
           else k = "other"
           s[k] += p }
         END { for (k in s) printf "  %5.1f %%  %s\n", s[k], k }' | sort -rn
fi

#!/usr/bin/env bash
# The compressions WALE_COMPRESSION offers, on real data: ratio and speed of
# wal-e's own lzop, lz4 and zstd stages (tests/tools/codec_probe.cpp, the
# code archive objects go through) next to the lzop, lz4 and zstd tools,
# one process per WAL segment, in MB per CPU second, on
#   - the WAL of a pgbench run (16 MiB segments: initialisation, then TPC-B
#     with a checkpoint every 48 MiB of WAL, i.e. with full-page images), and
#   - a base backup: the tar stream of the same cluster's data directory;
# then wal-e backup-push of that cluster with each WALE_COMPRESSION
# (in-process, file:// store: reading, tar, compression and fsync), wall
# clock and CPU time.
#   bench/compression.sh [SEGMENTS=32] [SCALE=20]
# Run as root on Debian 12 with PostgreSQL 15 (lzop, lz4, zstd installed).
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" compression
segments=${1:-32}
scale=${2:-20}
cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m fast stop > /dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
PROBE=$here/build/bin/wale-codec-probe
for tool in lzop lz4 zstd "$PROBE"; do command -v "$tool" > /dev/null || { echo "missing: $tool" >&2; exit 1; }; done

mkdir -p "$W/wal" && chown postgres: "$W/wal"
start_cluster 5451 "cp %p $W/wal/%f" 1GB
cat >> "$W/pg/postgresql.conf" <<CONF
checkpoint_timeout = 30min
CONF
as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -w reload > /dev/null
psql_pg() { as_pg psql -h "$W" -p 5451 -d postgres -Atqc "$1"; }
echo "pgbench -i -s $scale, then TPC-B until $segments segments are archived ..." >&2
as_pg "$PG_BIN/pgbench" -h "$W" -p 5451 -i -s "$scale" -q postgres > /dev/null 2>&1
while [ "$(ls "$W/wal" | grep -cE '^[0-9A-F]{24}$')" -lt "$segments" ]; do
  as_pg "$PG_BIN/pgbench" -h "$W" -p 5451 -n -c 2 -T 5 postgres > /dev/null 2>&1
  psql_pg "CHECKPOINT" > /dev/null
done
psql_pg "CHECKPOINT" > /dev/null
ls "$W/wal" | grep -E '^[0-9A-F]{24}$' | head -n "$segments" | sed "s#^#$W/wal/#" > "$W/segments"
wal_bytes=$(xargs cat < "$W/segments" | wc -c)
tar -cf "$W/base.tar" -C "$W/pg" --exclude=./pg_wal . 2> /dev/null || true
base_bytes=$(stat -c %s "$W/base.tar")
sync

# run COMMAND INPUT-LIST OUT-DIR: COMMAND (reading stdin, writing stdout)
# on every file of INPUT-LIST into OUT-DIR; prints the CPU seconds (user +
# system) the commands took: on a shared machine that is steadier than the
# wall clock, and with one process at a time it is what a core spends.
run() {
  local command=$1 list=$2 out=$3 f cpu
  rm -rf "$out" && mkdir -p "$out"
  while read -r f; do cat "$f" > /dev/null; done < "$list"  # the inputs in the page cache, for every candidate alike
  cpu=$( { TIMEFORMAT='%U %S'; time (while read -r f; do $command < "$f" > "$out/$(basename "$f")"; done < "$list"); } 2>&1 )
  awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { printf "%.3f", u + s }'
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", b / 1e6 / s; else print "-" }'; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f %%", 100 * a / b }'; }

# measure INPUT-NAME LIST BYTES LABEL COMPRESS DECOMPRESS: one table row.
measure() {
  local input=$1 list=$2 bytes=$3 label=$4 compress=$5 decompress=$6 c_s d_s stored
  c_s=$(run "$compress" "$list" "$W/packed")
  stored=$(du -cb "$W/packed" | tail -n 1 | cut -f1)
  find "$W/packed" -type f | sort > "$W/packed.list"
  d_s=$(run "$decompress" "$W/packed.list" "$W/unpacked")
  # Every candidate must give back exactly what it was given.
  cmp -s <(xargs cat < "$list") <(find "$W/unpacked" -type f | sort | xargs cat) || { echo "$label: round trip differs" >&2; exit 1; }
  echo "| $input | $label | $(percent "$stored" "$bytes") | $(mbps "$bytes" "$c_s") | $(mbps "$bytes" "$d_s") |"
}

echo "$W/base.tar" > "$W/base.list"
rows=()
for input in wal base; do
  if [ $input = wal ]; then list=$W/segments bytes=$wal_bytes name="pgbench WAL"; else list=$W/base.list bytes=$base_bytes name="base backup (tar)"; fi
  rows+=("$(measure "$name" "$list" "$bytes" "wal-e lzop (WAL-E's format)" "$PROBE compress lzop" "$PROBE decompress lzop")")
  rows+=("$(measure "$name" "$list" "$bytes" "lzop (default level)" "lzop -c" "lzop -dc")")
  rows+=("$(measure "$name" "$list" "$bytes" "wal-e lz4" "$PROBE compress lz4" "$PROBE decompress lz4")")
  rows+=("$(measure "$name" "$list" "$bytes" "lz4 -1" "lz4 -1 -c" "lz4 -dc")")
  rows+=("$(measure "$name" "$list" "$bytes" "wal-e zstd (level 1)" "$PROBE compress zstd" "$PROBE decompress zstd")")
  rows+=("$(measure "$name" "$list" "$bytes" "zstd -1" "zstd -1 -c -q" "zstd -dc -q")")
  rows+=("$(measure "$name" "$list" "$bytes" "zstd -3 (its default)" "zstd -3 -c -q" "zstd -dc -q")")
done

# backup-push end to end, one store per compression.
as_pg psql -h "$W" -p 5451 -d postgres -Atqc "CHECKPOINT" > /dev/null
db_bytes=$(du -sb --exclude=pg_wal "$W/pg" | cut -f1)
push_rows=()
for c in lzop lz4 zstd; do
  mkdir -p "$W/store-$c" && chown postgres: "$W/store-$c"
  tar -cf - -C "$W" pg > /dev/null 2>&1 || true
  start=$(now)
  cpu=$( { TIMEFORMAT='%U %S'; time (as_pg env WALE_FILE_PREFIX="file://localhost$W/store-$c" WALE_SOCKET="$W/none.sock" \
    WALE_LOG_DESTINATION=stderr WALE_COMPRESSION=$c "$BIN/wal-e" backup-push --fast-checkpoint "$W/pg" 2> "$W/push-$c.log"); } 2>&1 )
  s=$(elapsed "$start")
  cpu=$(awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { printf "%.2f", u + s }')
  stored=$(du -sb "$W/store-$c/basebackups_005" | cut -f1)
  push_rows+=("| WALE_COMPRESSION=$c | $s | $cpu | $(mbps "$db_bytes" "$s") | $(percent "$stored" "$db_bytes") |")
done

cat <<REPORT
machine: $(machine)
WAL: $(wc -l < "$W/segments") segments of 16 MiB from pgbench (scale $scale: -i, then TPC-B), $(awk -v b="$wal_bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB; base backup: tar of the data directory, $(awk -v b="$base_bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB.
One process per file (per segment for the WAL); speeds in MB of uncompressed data per CPU second (user + system); size in % of the original.

| input | codec | size | compress MB/CPU-s | decompress MB/CPU-s |
| --- | --- | ---: | ---: | ---: |
$(printf '%s\n' "${rows[@]}")

wal-e backup-push of the same cluster ($(awk -v b="$db_bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB without pg_wal), in-process, file:// store, --pool-size 4:

| compression | seconds | CPU seconds | MB/s of database | stored, % of database |
| --- | ---: | ---: | ---: | ---: |
$(printf '%s\n' "${push_rows[@]}")
REPORT

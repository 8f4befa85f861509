#!/usr/bin/env bash
# Acceptance (recovery prefetch): a restore through the daemon with
# prefetch on gives the same data as with prefetch off, and segments are
# served from the prefetch area; a prefetched file that was truncated or
# damaged after download is never handed to PostgreSQL (it is downloaded
# again); the prefetch area is removed when recovery ends.
source "$(dirname "$0")/lib.sh"

start_daemon
primary=$T/primary
start_archiving_primary "$primary" 5432 --wal-segsize=1
as_user "$PG_BIN/pg_basebackup" -h "$PGSOCK" -p 5432 -D "$T/base" -X none -c fast > "$T/basebackup.log" 2>&1
pgbench_at "$primary" -i -s 3 -q > "$T/pgbench.log" 2>&1
archive_everything "$primary"
table_checksums "$primary" pgbench_accounts pgbench_history > "$T/primary.sums"
pg_stop "$primary"

restore_copy() {  # restore_copy DIR PORT PREFETCH
  local dir=$1 port=$2 prefetch=$3
  as_user cp -a "$T/base" "$dir"
  sed -i "s/^port = .*/port = $port/" "$dir/postgresql.conf"
  pg_conf "$dir" "archive_mode = off"
  pg_conf "$dir" "restore_command = '$BIN/wal-e wal-fetch --prefetch $prefetch %f %p'"
  as_user touch "$dir/recovery.signal"
  pg_start "$dir" $(wale_env)
  wait_for 300 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p $port -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
    || fail "the copy in $dir did not finish recovery"
  table_checksums "$dir" pgbench_accounts pgbench_history > "$dir.sums"
  diff -u "$T/primary.sums" "$dir.sums" || fail "the copy restored with --prefetch $prefetch differs from the primary"
  pg_stop "$dir"
}
served() { wal_e status 2> /dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["prefetch"]["served_from_prefetch"])'; }

log "restore with prefetch off"
restore_copy "$T/no-prefetch" 5433 0
assert_eq "$(served)" 0 "segments served from prefetch with --prefetch 0"
log "restore with prefetch 8"
restore_copy "$T/prefetch" 5434 8
count=$(served)
[ "$count" -ge 10 ] || fail "only $count segments were served from the prefetch area"
log "both copies match the primary; $count segments came from the prefetch area"
wait_for 20 bash -c "[ ! -e '$T/prefetch/pg_wal/.wal-e/prefetch' ]" || fail "the prefetch area remained after recovery ended"
log "the prefetch area was removed when recovery ended"

log "prefetch follows the timeline history"
# A second timeline: a copy promoted at a restore point archives timeline 2.
tl2=$T/tl2
as_user cp -a "$T/base" "$tl2"
sed -i "s/^port = .*/port = 5435/" "$tl2/postgresql.conf"
pg_conf "$tl2" "archive_mode = on"
pg_conf "$tl2" "restore_command = '$BIN/wal-e wal-fetch %f %p'"
as_user touch "$tl2/recovery.signal"
pg_start "$tl2" $(wale_env)
wait_for 300 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p 5435 -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
  || fail "the timeline-2 copy did not promote"
psql_at "$tl2" "CREATE TABLE on_tl2 AS SELECT g, md5(g::text) FROM generate_series(1, 200000) g"
archive_everything "$tl2"
table_checksums "$tl2" pgbench_accounts on_tl2 > "$T/tl2.sums"
pg_stop "$tl2"
archived_wal_files | grep -q '^00000002.history$' || fail "no timeline 2 in the archive"
follow=$T/follow
as_user cp -a "$T/base" "$follow"
sed -i "s/^port = .*/port = 5436/" "$follow/postgresql.conf"
pg_conf "$follow" "archive_mode = off"
pg_conf "$follow" "restore_command = '$BIN/wal-e wal-fetch %f %p'"
as_user touch "$follow/recovery.signal"
pg_start "$follow" $(wale_env)
wait_for 300 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p 5436 -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
  || fail "the copy following timeline 2 did not finish recovery"
table_checksums "$follow" pgbench_accounts on_tl2 > "$T/follow.sums"
diff -u "$T/tl2.sums" "$T/follow.sums" || fail "the copy that followed timeline 2 differs"
# (Matched on the STRUCTURED line alone: PostgreSQL's own lines may fall
# between a record's lines in the server log.)
promoted_tl2=$(grep -cE "seg=00000002[0-9A-F]{16} source=prefetch" "$follow/server.log" || true)
[ "$promoted_tl2" -ge 3 ] || fail "timeline-2 segments were not served from the prefetch area ($promoted_tl2)"
# The segment holding the switch point is the first read from timeline 2:
# only a prefetcher that follows the history file has it ready.
switch=$(store_cat wal_005/00000002.history.lzo | awk 'NF >= 2 {print $2; exit}')
first_tl2=$("$PY" -c "import sys; hi, lo = sys.argv[1].split('/'); n = ((int(hi, 16) << 32) | int(lo, 16)) >> 20; print('00000002%08X%08X' % (n >> 12, n & 0xFFF))" "$switch")
grep -q "seg=$first_tl2 source=prefetch" "$follow/server.log" \
  || fail "the first timeline-2 segment $first_tl2 (switch at $switch) was not prefetched"
pg_stop "$follow"
log "recovery across the switch to timeline 2 was served from prefetch ($promoted_tl2 timeline-2 segments)"

log "damaged prefetched files are never handed over"
data=$T/fake
mkdir -p "$data/pg_wal/archive_status"
touch "$data/recovery.signal"
chown -R "$TEST_USER": "$data"
first=$(archived_wal_files | grep -E '^0000000100000000000000[0-9A-F]{2}$' | sed -n 10p)
fetch() { (cd "$data" && wal_e wal-fetch "$1" pg_wal/RECOVERYXLOG 2> /dev/null); }
fetch "$first" || fail "wal-fetch of $first failed"
area=$data/pg_wal/.wal-e/prefetch
next1=$(printf '%s%08X' "${first:0:16}" $((16#${first:16:8} + 1)))
next2=$(printf '%s%08X' "${first:0:16}" $((16#${first:16:8} + 2)))
wait_for 30 test -f "$area/$next2" || fail "nothing was prefetched after $first"
wait_for 30 test -f "$area/$next1" || fail "$next1 was not prefetched"
truncate -s 524288 "$area/$next1"
"$PY" - "$area/$next2" <<'PY'
import os, sys
p = sys.argv[1]
st = os.stat(p)
with open(p, "r+b") as f:
    f.seek(700000)
    b = f.read(1)
    f.seek(700000)
    f.write(bytes([b[0] ^ 0xFF]))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, inode and mtime: only the content differs
PY
for name in "$next1" "$next2"; do
  fetch "$name" || fail "wal-fetch of $name failed"
  probe get "wal_005/$name.lzo" 2> /dev/null | lzop -dc | cmp -s - "$data/pg_wal/RECOVERYXLOG" || fail "a damaged prefetched $name was handed over"
done
discarded=$(wal_e status 2> /dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["prefetch"]["discarded"])')
[ "$discarded" -ge 2 ] || fail "the damaged prefetched files were not discarded (discarded=$discarded)"
rm "$data/recovery.signal"
wait_for 20 bash -c "[ ! -e '$area' ]" || fail "the prefetch area remained after the signal file went away"
stop_daemon
log PASS

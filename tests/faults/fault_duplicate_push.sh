#!/usr/bin/env bash
# Fault matrix: duplicate pushes. While pgbench writes and PostgreSQL
# archives to S3 (the s3rver peer) through the daemon, each segment
# PostgreSQL has just finished is pushed 16 times at once besides its own
# archiver, half through the daemon and half in-process: every push
# succeeds and the store holds one object with the segment's bytes. A push
# of a different body under a stored name, through the daemon and
# in-process, is refused with one error line and the object is left alone
# (README: "with different content the push fails and the stored object is
# left alone").
source "$(dirname "$0")/lib.sh"

iterations=$(fault_iterations 5 100)
start_s3_peer
start_daemon
primary=$T/primary
fault_primary "$primary" "$(free_port)"
other=$T/other
mkdir -p "$other/pg_wal/archive_status"
chown -R "$TEST_USER": "$other"
in_process() { as_user env $(wale_env) WALE_SOCKET="$T/no-daemon.sock" "$BIN/wal-e" "$@"; }
other_through_daemon() { (cd "$other" && wal_e wal-push "pg_wal/$1"); }
other_in_process() { (cd "$other" && in_process wal-push "pg_wal/$1"); }

start_writer "$primary"
pushes=0
for ((i = 0; i < iterations; i++)); do
  seg=$(current_wal "$primary")
  psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
  pids=()
  for ((n = 0; n < 16; n++)); do
    if ((n % 2)); then
      (cd "$primary" && wal_e wal-push "pg_wal/$seg") 2> "$T/dup-$i-$n.err" &
    else
      (cd "$primary" && in_process wal-push "pg_wal/$seg") 2> "$T/dup-$i-$n.err" &
    fi
    pids+=($!)
  done
  for n in "${!pids[@]}"; do
    wait "${pids[$n]}" || { cat "$T/dup-$i-$n.err" >&2; fail "duplicate push $n of $seg failed"; }
  done
  pushes=$((pushes + 16))
  # The segment's own objects (a backup history file that starts with its
  # name, when the base backup started in it, is not one).
  assert_eq "$(wal_object_keys "$seg" | wc -l)" 1 "objects stored for $seg"
  store_cat "wal_005/$seg.lzo" | cmp -s - "$primary/pg_wal/$seg" || fail "the object of $seg is not the segment"

  make_segment "$other/pg_wal/$seg" "$seg"
  chown "$TEST_USER": "$other/pg_wal/$seg"
  assert_fails 1 "wal_005/$seg.lzo already exists with different content; refusing to overwrite it" \
    other_through_daemon "$seg"
  assert_fails 1 "wal_005/$seg.lzo already exists with different content; refusing to overwrite it" \
    other_in_process "$seg"
  store_cat "wal_005/$seg.lzo" | cmp -s - "$primary/pg_wal/$seg" || fail "a different body overwrote $seg"
done
stop_writer
log "$pushes duplicate pushes of $iterations segments: one object each; $((iterations * 2)) different bodies refused"
finish_scenario "duplicate pushes (16 at once, daemon and in-process); a different body refused" "$iterations" "$primary"
stop_daemon
log PASS

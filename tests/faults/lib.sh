# Shared helpers of the fault matrix (sourced by tests/faults/fault_*.sh):
# the integration helpers and peers, a primary that keeps its WAL for the
# final comparison, a writer that keeps pgbench going, the closing checks
# (archive against pg_wal, `wal-e verify`, a full restore) and the summary
# row each scenario prints.
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../integration/peers.sh"

FAULT_START=$SECONDS
# The tables pgbench writes: what the restore must reproduce.
FAULT_TABLES="pgbench_accounts pgbench_branches pgbench_tellers pgbench_history"

# fault_iterations CI LONG: the scenario's iterations: WALE_FAULT_ITERATIONS
# when set, LONG under `run.sh --long` (WALE_FAULT_LONG=1), CI otherwise.
fault_iterations() {
  if [ -n "${WALE_FAULT_ITERATIONS:-}" ]; then echo "$WALE_FAULT_ITERATIONS"
  elif [ -n "${WALE_FAULT_LONG:-}" ]; then echo "$2"
  else echo "$1"; fi
}

# fault_primary DIR PORT [start_archiving_primary options...]: an archiving
# primary with 1 MiB segments (many segments for little writing), every
# segment kept in pg_wal for compare_archive_with_pg_wal, pgbench's tables
# loaded, and a base backup pushed: the restore at the end starts there.
fault_primary() {
  local dir=$1 port=$2; shift 2
  start_archiving_primary "$dir" "$port" --set "wal_keep_size = 4GB" --set "max_wal_size = 4GB" "$@" --wal-segsize=1
  pgbench_at "$dir" -i -s 2 -q > "$T/pgbench-init.log" 2>&1 || { cat "$T/pgbench-init.log" >&2; fail "pgbench -i failed"; }
  FAULT_BASE=$(backup_push "$dir")
}

# start_writer DIR: pgbench transactions in the background until stop_writer
# (a pgbench that fails after stop_writer was asked, as when the test
# crashes PostgreSQL, is no failure).
start_writer() {
  rm -f "$T/writer.stop"
  (
    while [ ! -e "$T/writer.stop" ]; do
      pgbench_at "$1" -n -c 2 -t 100 >> "$T/pgbench-run.log" 2>&1 || [ -e "$T/writer.stop" ] \
        || { echo "pgbench failed" >> "$T/pgbench-run.log"; exit 1; }
    done
  ) &
  WRITER_PID=$!
}
stop_writer() {
  touch "$T/writer.stop"
  wait "$WRITER_PID" || fail "pgbench failed while the faults ran (see $T/pgbench-run.log)"
}

# verify_clean: `wal-e verify` says the archive can restore.
verify_clean() {
  wal_e verify 2> "$T/verify.log" || { cat "$T/verify.log" >&2; fail "wal-e verify failed"; }
  grep -q "MSG: the archive is sound" "$T/verify.log" || { cat "$T/verify.log" >&2; fail "verify did not say the archive is sound"; }
}

# fetch_base DIR PRIMARY: backup-fetch of the base backup fault_primary took,
# with the primary's configuration (PostgreSQL keeps it in the data directory
# but a base backup leaves it to the operator).
fetch_base() {
  wal_e backup-fetch "$1" "$FAULT_BASE" 2> "$T/backup-fetch.log" || { cat "$T/backup-fetch.log" >&2; fail "backup-fetch failed"; }
  as_user cp "$2/postgresql.conf" "$2/pg_hba.conf" "$2/pg_ident.conf" "$1/"
}

# finish_scenario NAME ITERATIONS PRIMARY: the closing checks. Everything the
# primary wrote is archived; every archived segment is compared with pg_wal;
# the primary stops; the command in FAULT_BEFORE_VERIFY runs, if set (what
# an operator does after the fault); verify is clean; the command in
# FAULT_BEFORE_RESTORE runs, if set (a fault the restore must get through);
# the base backup $FAULT_BASE restored and recovered through wal-fetch has
# the primary's tables. The comparison and verify read the store before any
# FAULT_BEFORE_RESTORE fault: they judge, they are not under test. Prints
# the summary row (also appended to $WALE_FAULTS_TABLE when set), then
# fails if anything was lost or differs.
finish_scenario() {
  local name=$1 iterations=$2 primary=$3 checked lost wrong restored=$T/restored
  archive_everything "$primary"
  read -r checked lost wrong < <(compare_archive_with_pg_wal "$primary")
  table_checksums "$primary" $FAULT_TABLES > "$T/primary.sums"
  pg_stop "$primary"
  if [ -n "${FAULT_BEFORE_VERIFY:-}" ]; then $FAULT_BEFORE_VERIFY; fi
  verify_clean
  if [ -n "${FAULT_BEFORE_RESTORE:-}" ]; then $FAULT_BEFORE_RESTORE; fi
  fetch_base "$restored" "$primary"
  recover_copy "$restored" "$(free_port)"
  table_checksums "$restored" $FAULT_TABLES > "$T/restored.sums"
  local restore=0
  diff -u "$T/primary.sums" "$T/restored.sums" >&2 || restore=$(diff "$T/primary.sums" "$T/restored.sums" | grep -c '^>' || true)
  pg_stop "$restored"
  local wrong_cell=$wrong
  [ "$restore" = 0 ] || wrong_cell="$wrong; $restore tables differ"
  fault_row "$name" "$iterations" "$checked" "$lost" "$wrong_cell"
  [ "$lost" = 0 ] || fail "$lost segments PostgreSQL counts archived are not in the store"
  [ "$wrong" = 0 ] || fail "$wrong bytes of archived segments differ from pg_wal"
  [ "$restore" = 0 ] || fail "the restored copy differs from the primary in $restore tables"
  log "$checked segments compared byte for byte; verify is clean; the restore matches the primary"
}

# fault_row NAME ITERATIONS SEGMENTS LOST WRONG: the scenario's line of the
# fault matrix, with its running time.
fault_row() {
  local row="| $1 | $2 | $3 | $4 | $5 | $((SECONDS - FAULT_START)) s |"
  echo "$row"
  if [ -n "${WALE_FAULTS_TABLE:-}" ]; then echo "$row" >> "$WALE_FAULTS_TABLE"; fi
}

# random_sleep LOW HIGH: sleeps a random time between LOW and HIGH milliseconds.
random_sleep() { sleep "$(awk -v lo="$1" -v hi="$2" -v r="$RANDOM" 'BEGIN { printf "%.3f", (lo + (hi - lo) * r / 32767) / 1000 }')"; }

#!/usr/bin/env bash
# Acceptance (a lost journal is survived and reported): the daemon is
# stopped and its journal overwritten (the first 8 KiB), truncated, emptied
# or deleted; on restart it logs a WARNING that says what happened, what was
# lost and that nothing is skipped, keeps a damaged journal as
# journal.sqlite.corrupt-<time>, and PostgreSQL's archiving goes on: every
# segment ends up in the store, byte for byte.
source "$(dirname "$0")/lib.sh"

start_daemon
primary=$T/primary
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 4GB" --set "max_wal_size = 4GB" --wal-segsize=1
pgbench_at "$primary" -i -s 1 -q > "$T/pgbench.log" 2>&1 || fail "pgbench failed"
archive_everything "$primary"

# The daemon log written since the daemon started last.
since_start() { tail -n +"$log_mark" "$T/daemon.log"; }
expect_warning() {
  since_start | grep -E -A 1 "WARNING .*MSG: $1" > "$T/warning" || { since_start >&2; fail "no warning /$1/ after: $how"; }
  since_start | grep -Eq "DETAIL: .*$2" || { since_start >&2; fail "the warning does not say /$2/ after: $how"; }
  since_start | grep -q "Nothing in the store is lost, and no upload is skipped" || fail "the warning does not say what the daemon does"
}

damaged=0
for how in overwrite truncate empty delete; do
  stop_daemon
  journal=$STATE/journal.sqlite
  size=$(stat -c %s "$journal")
  case $how in
    overwrite) head -c 8192 /dev/urandom | dd of="$journal" conv=notrunc status=none ;;
    truncate) truncate -s $((size / 2)) "$journal" ;;
    empty) : > "$journal" ;;
    delete) rm -f "$journal" ;;
  esac
  log "journal of $size bytes: $how, then a restart"
  # WAL written while the daemon is down is archived in-process meanwhile.
  psql_at "$primary" "CREATE TABLE t_$how AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g; SELECT pg_switch_wal()" > /dev/null
  log_mark=$(($(wc -l < "$T/daemon.log") + 1))
  start_daemon
  case $how in
    overwrite) expect_warning "the journal .* is damaged; moved it aside" "SQLite says: file is not a database" ;;
    truncate) expect_warning "the journal .* is damaged; moved it aside" "SQLite says: database disk image is malformed" ;;
    empty) expect_warning "the journal .* is damaged; moved it aside" "it is empty \\(truncated to 0 bytes\\)" ;;
    delete) expect_warning "the journal .* is missing; started a new one" "A daemon used this state directory before" ;;
  esac
  if [ "$how" != delete ]; then
    damaged=$((damaged + 1))
    copies=$(ls "$STATE" | grep -c '^journal\.sqlite\.corrupt-[0-9TZ.]*$' || true)
    assert_eq "$copies" "$damaged" "damaged journals kept in $STATE"
    grep -q "The old files were kept as $STATE/journal.sqlite.corrupt-" "$T/warning" \
      || since_start | grep -q "kept as $STATE/journal.sqlite.corrupt-" || fail "the warning does not name the kept file"
  fi
  # PostgreSQL goes on archiving through the restarted daemon.
  pgbench_at "$primary" -t 300 -c 2 > "$T/pgbench.log" 2>&1 || fail "pgbench failed"
  archive_everything "$primary"
  since_start | grep -q "completed archiving to a file" || fail "nothing was archived through the daemon after: $how"
done
checked=$(assert_archive_matches_pg_wal "$primary")
log "$checked segments compared byte for byte"
[ "$checked" -ge 10 ] || fail "only $checked segments were checked"
pg_stop "$primary"
stop_daemon
log PASS

#!/usr/bin/env bash
# Under systemd (JOURNAL_STREAM names wal-ed's own stderr) the daemon's log
# is journal-friendly: every line starts with its priority (<6> info; the
# unit tests check the others) and STRUCTURED has no time= of its own. What a client
# gets on its stderr stays WAL-E's format, and a command that inherited
# JOURNAL_STREAM with another stderr (PostgreSQL's children under systemd)
# writes WAL-E's format too.
source "$(dirname "$0")/lib.sh"

data=$T/data
mkdir -p "$data/pg_wal/archive_status" "$STORE"
for n in 1 2; do make_segment "$data/pg_wal/00000001000000000000000$n" "00000001000000000000000$n"; done
chown -R "$TEST_USER": "$data" "$STORE"

# The daemon's stderr is $T/daemon.log (start_daemon appends to it).
: > "$T/daemon.log"
chown "$TEST_USER": "$T/daemon.log"
journal_stream=$(stat -c '%d:%i' "$T/daemon.log")
start_daemon JOURNAL_STREAM="$journal_stream"

log "a push through the daemon: the client's lines are WAL-E's"
(cd "$data" && as_user env $(wale_env) JOURNAL_STREAM="$journal_stream" "$BIN/wal-e" wal-push pg_wal/000000010000000000000001) \
  2> "$T/client.err" || { cat "$T/client.err" >&2; fail "push through the daemon failed"; }
grep -qE "^wal_e.worker.upload INFO     MSG: completed archiving to a file$" "$T/client.err" || { cat "$T/client.err" >&2; fail "the client's record is not WAL-E's"; }
grep -qE "^        STRUCTURED: time=[0-9T:.-]+-00 pid=" "$T/client.err" || fail "the client's STRUCTURED line lost its time"

log "an in-process push with JOURNAL_STREAM inherited: WAL-E's lines"
(cd "$data" && as_user env $(wale_env) WALE_SOCKET="$T/none.sock" JOURNAL_STREAM="$journal_stream" \
  "$BIN/wal-e" wal-push pg_wal/000000010000000000000002) 2> "$T/inproc.err" || { cat "$T/inproc.err" >&2; fail "in-process push failed"; }
grep -q "^wal_e.worker.upload INFO     MSG: completed archiving to a file$" "$T/inproc.err" || { cat "$T/inproc.err" >&2; fail "the in-process record is not WAL-E's"; }
! grep -q "^<[0-7]>" "$T/inproc.err" || fail "a command whose stderr is not the journal wrote priority prefixes"

log "the daemon's own log: priorities, no time stamps"
stop_daemon
"$PY" - "$T/daemon.log" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "the daemon wrote nothing"
for line in lines:
    assert re.match(r"<[0-7]>", line), "a line without a priority: %r" % line
    assert "time=" not in line, "a line with its own time stamp: %r" % line
ready = [i for i, l in enumerate(lines) if l.startswith("<6>wal_e.daemon INFO     MSG: wal-ed is ready")]
assert ready, "no <6> ready record"
assert re.match(r"<6>        STRUCTURED: pid=\d+ ", lines[ready[0] + 2]), lines[ready[0] + 2]
assert any(l.startswith("<6>") and "MSG: wal-ed stopped" in l for l in lines), "no <6> stop record"
PY
log PASS

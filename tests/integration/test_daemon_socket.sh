#!/usr/bin/env bash
# Acceptance: the daemon's socket is 0600 and checks the peer's uid; a
# second daemon on the same state directory refuses to start; a daemon
# killed with SIGKILL restarts on the same socket path; a client of another
# protocol version gets a clear refusal, not a hang; the shim's deadlines
# hold against a daemon that never answers; `wal-e status` prints JSON;
# SIGTERM drains and leaves the journal consistent.
source "$(dirname "$0")/lib.sh"

start_daemon
assert_eq "$(stat -c %a "$SOCKET")" 600 "socket mode"

log "status"
wal_e status > "$T/status.json" 2> "$T/status.err" || { cat "$T/status.err" >&2; fail "wal-e status failed"; }
"$PY" - "$T/status.json" "$DAEMON_PID" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for key in ("version", "uptime_seconds", "pid", "queue_depth", "segments_uploaded", "segments_failed",
            "bytes_in", "bytes_out", "last_segment_archived", "last_archived_at", "last_error"):
    assert key in s, "status lacks " + key
assert s["pid"] == int(sys.argv[2]), "status pid %r is not the daemon's" % s["pid"]
PY

if [ "$(id -u)" = 0 ]; then
  log "a client with another uid (root) is refused at the socket"
  set +e
  env WALE_SOCKET="$SOCKET" "$BIN/wal-e" status > "$T/out" 2> "$T/err"
  rc=$?
  set -e
  [ "$rc" != 0 ] || fail "root was served by a daemon that allows only $TEST_USER"
  grep -q "wal-ed refuses uid 0" "$T/err" || { cat "$T/err" >&2; fail "no refusal message"; }
  [ ! -s "$T/out" ] || fail "a refused client got output"
  grep -q "refused a client" "$T/daemon.log" || fail "the daemon did not log the refusal"
fi

log "a second daemon on the same state directory"
set +e
as_user env WALE_FILE_PREFIX="$PREFIX" WALE_LOG_DESTINATION=stderr timeout 10 "$BIN/wal-ed" --socket "$T/run/second.sock" --state-dir "$STATE" 2> "$T/second.err"
rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "a second daemon on the same state directory did not refuse (status $rc)"
assert_one_line_error "$T/second.err" "another wal-ed \\(pid $DAEMON_PID\\) is running"
kill -0 "$DAEMON_PID" || fail "the first daemon died"

log "protocol version mismatch"
as_user timeout 10 "$PY" - "$SOCKET" > "$T/mismatch.out" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
payload = b'{"argv":["status"],"cwd":"/","env":{}}'
s.sendall(b"WALE" + struct.pack(">HBBI", 99, ord("Q"), 0, len(payload)) + payload)
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
assert data[:4] == b"WALE", data
version, ftype, _, length = struct.unpack(">HBBI", data[4:12])
assert chr(ftype) == "R", "expected a refusal frame, got %r" % chr(ftype)
print(data[12:12 + length].decode())
PY
grep -q "protocol version mismatch: wal-e speaks version 99, the wal-ed daemon speaks version 1" "$T/mismatch.out" \
  || { cat "$T/mismatch.out" >&2; fail "no clear version-mismatch refusal"; }

log "the shim's deadline against a daemon that never answers"
"$PY" - "$T/silent.sock" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
PY
silent=$!
remember_pid $silent
wait_for 10 test -S "$T/silent.sock"
start=$SECONDS
set +e
as_user env WALE_SOCKET="$T/silent.sock" WALE_SHIM_TIMEOUT=2 "$BIN/wal-e" wal-push pg_wal/000000010000000000000001 2> "$T/err"
rc=$?
set -e
assert_eq "$rc" 1 "status of a push to a silent daemon"
[ $((SECONDS - start)) -le 6 ] || fail "the shim waited $((SECONDS - start)) s despite WALE_SHIM_TIMEOUT=2"
assert_one_line_error "$T/err" "no answer from wal-ed on .* within 2 s"
kill $silent

log "SIGKILL, then a restart on the same socket path"
old=$DAEMON_PID
kill9_daemon
[ -S "$SOCKET" ] || fail "expected the killed daemon's socket file to remain"
start_daemon
[ "$DAEMON_PID" != "$old" ] || fail "no new daemon"
wal_e status 2> /dev/null | grep -q "\"pid\": $DAEMON_PID" || fail "the restarted daemon does not answer on $SOCKET"

log "systemd readiness notification (the rest of systemd's interface: test_systemd.sh)"
start_notify_listener
stop_daemon
start_daemon NOTIFY_SOCKET="$NOTIFY_SOCKET_PATH"
wait_for 10 grep -qx "READY=1" "$T/notify.out" || fail "wal-ed did not send READY=1 to \$NOTIFY_SOCKET"

log "SIGTERM drains and leaves the journal consistent"
stop_daemon
[ ! -e "$SOCKET" ] || fail "the socket remained after a clean stop"
grep -q "wal-ed stopped" "$T/daemon.log" || fail "the daemon did not log a clean stop"
"$PY" -c "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0]; sys.exit(r != 'ok')" \
  "$STATE/journal.sqlite" || fail "the journal is not consistent after SIGTERM"
log PASS

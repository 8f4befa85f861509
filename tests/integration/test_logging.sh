#!/usr/bin/env bash
# Log lines in WAL-E's format (MSG / DETAIL / HINT / STRUCTURED, spec §8.1),
# --terse, WALE_LOG_DESTINATION (stderr, syslog) and WALE_SYSLOG_FACILITY,
# in-process and through the daemon.
source "$(dirname "$0")/lib.sh"

data=$T/data
mkdir -p "$data/pg_wal/archive_status"
for n in 1 2 3; do make_segment "$data/pg_wal/00000001000000000000000$n" "00000001000000000000000$n"; done
mkdir -p "$STORE" && chown -R "$TEST_USER": "$data" "$STORE"
syslog_socket=$T/syslog.sock
"$PY" - "$syslog_socket" "$T/syslog.out" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", 0) as out:
    while True:
        out.write(s.recv(65536) + b"\n--\n")
PY
remember_pid $!
wait_for 10 test -S "$syslog_socket"

run() {  # run SOCKET VAR=VALUE... -- ARGS: a wal-e command from $data, stderr to $T/err
  local sock=$1; shift
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  (cd "$data" && as_user env "${WALE_ENV[@]}" WALE_SOCKET="$sock" WALE_SYSLOG_SOCKET="$syslog_socket" "${vars[@]}" \
    "$BIN/wal-e" "$@") > "$T/out" 2> "$T/err"
}

# Every record is WAL-E's: "<logger padded to 12> <LEVEL padded to 8> MSG: ...",
# continuation lines indented by 8 spaces, STRUCTURED last with time and pid
# first and the other pairs sorted.
check_format() {
  "$PY" - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
head = re.compile(r"^(wal_e\.[a-z_.]+) *(DEBUG|INFO|WARNING|ERROR|CRITICAL) +MSG: \S")
records, current = [], None
for line in lines:
    m = head.match(line)
    if m:
        assert len(m.group(1)) >= 12 or line[12] == " ", "logger not padded to 12: %r" % line
        current = [line]; records.append(current); continue
    assert current is not None and line.startswith("        "), "stray line: %r" % line
    current.append(line)
assert records, "no records"
for r in records:
    labels = [l.strip().split(":")[0] for l in r[1:]]
    assert labels[-1] == "STRUCTURED", "STRUCTURED must end a record: %r" % r
    assert all(x in ("DETAIL", "HINT", "STRUCTURED") for x in labels), r
    s = r[-1].strip()
    m = re.match(r"STRUCTURED: time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}-00 pid=\d+((?: \S+=\S*)*)$", s)
    assert m, "STRUCTURED line: %r" % s
    pairs = m.group(1).split()
    assert pairs == sorted(pairs), "pairs not sorted: %r" % pairs
print(len(records))
PY
}

for via in "$T/none.sock" daemon; do
  if [ "$via" = daemon ]; then start_daemon; via=$SOCKET; path=daemon; else path=in-process; fi
  log "checking ($path)"
  run "$via" WALE_LOG_DESTINATION=stderr -- wal-push pg_wal/000000010000000000000001 || fail "push failed"
  [ "$(check_format "$T/err")" -ge 1 ] || fail "no records on stderr"
  grep -q "MSG: completed archiving to a file" "$T/err" || fail "no completion record"
  grep -qE "STRUCTURED: .* action=push-wal key=.* prefix=.* seg=000000010000000000000001 state=complete" "$T/err" \
    || fail "the structured fields of a push differ from WAL-E's"

  run "$via" WALE_LOG_DESTINATION=stderr -- --terse wal-push pg_wal/000000010000000000000002 || fail "terse push failed"
  [ ! -s "$T/err" ] || { cat "$T/err" >&2; fail "--terse printed INFO records"; }
  set +e
  run "$via" WALE_LOG_DESTINATION=stderr -- --terse wal-push pg_wal/00000001000000000000000F
  set -e
  assert_one_line_error "$T/err" "does not exist"

  : > "$T/syslog.out"
  run "$via" WALE_LOG_DESTINATION=syslog WALE_SYSLOG_FACILITY=local3 -- backup-list || fail "backup-list failed"
  [ ! -s "$T/err" ] || { cat "$T/err" >&2; fail "WALE_LOG_DESTINATION=syslog still wrote to stderr ($path)"; }
  wait_for 5 grep -q "starting WAL-E" "$T/syslog.out" || fail "nothing reached syslog ($path)"
  if [ "$path" = in-process ]; then
    wait_for 5 grep -q "starting WAL-E" "$T/syslog.out" || fail "nothing reached syslog"
    # local3 (19) * 8 + info (6) = 158
    grep -q "^<158>wal-e\[[0-9]*\]: wal_e.main   INFO     MSG: starting WAL-E" "$T/syslog.out" || { cat "$T/syslog.out" >&2; fail "wrong syslog priority or text"; }
    run "$via" WALE_LOG_DESTINATION=stderr,syslog WALE_SYSLOG_FACILITY=nonsense -- backup-list || fail "backup-list failed"
    grep -q "WALE_SYSLOG_FACILITY='nonsense' is not a syslog facility" "$T/err" || fail "no warning for a bad facility"
    grep -q "^<14>wal-e" "$T/syslog.out" || fail "a bad facility did not fall back to user"
  fi
done
stop_daemon
log PASS

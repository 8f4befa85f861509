# Shared helpers for the integration tests (sourced, never run): a scratch
# directory, the unprivileged user everything runs as, PostgreSQL 15
# clusters, the wal-ed daemon, and assertions. Every process a test starts
# is stopped by PID when the test exits, however it exits.
set -Eeuo pipefail

WALE_SOURCE_DIR=${WALE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WALE_BUILD_DIR=${WALE_BUILD_DIR:-$WALE_SOURCE_DIR/build}
WALE_BUILD_DIR=$(cd "$WALE_BUILD_DIR" && pwd)
BIN=$WALE_BUILD_DIR/bin
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)}
TEST_USER=${WALE_TEST_USER:-postgres}
TEST_NAME=$(basename "$0" .sh)
# The system Python: the test user cannot use a per-user one of root.
PY=/usr/bin/python3

[ -x "$BIN/wal-e" ] && [ -x "$BIN/wal-ed" ] || { echo "$TEST_NAME: build first: $BIN/wal-e and wal-ed are missing" >&2; exit 1; }
[ -x "$PG_BIN/postgres" ] || { echo "$TEST_NAME: PostgreSQL 15 server programs not found in $PG_BIN" >&2; exit 1; }

log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "$TEST_NAME" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

# Runs a command as the test user, keeping the environment. PostgreSQL
# refuses to run as root, and so does wal-ed.
as_user() {
  if [ "$(id -u)" = 0 ]; then
    HOME=$T setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups -- "$@"
  else
    "$@"
  fi
}

# --- scratch directory and cleanup -----------------------------------------

T=$(mktemp -d "/tmp/wale-$TEST_NAME.XXXXXX")
chmod 0755 "$T"
[ "$(id -u)" = 0 ] && chown "$TEST_USER": "$T"
: > "$T/.pids"
: > "$T/.clusters"

cleanup() {
  local rc=$?
  set +e
  while read -r dir; do
    [ -f "$dir/postmaster.pid" ] && as_user "$PG_BIN/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1
  done < "$T/.clusters"
  while read -r pid; do kill -9 "$pid" 2>/dev/null; done < "$T/.pids"
  if [ $rc -ne 0 ]; then
    log "logs follow (scratch directory $T)"
    for f in "$T"/*.log "$T"/*/log/*.log "$T"/*/server.log; do
      [ -f "$f" ] && { echo "==== $f (last 40 lines)" >&2; tail -n 40 "$f" >&2; }
    done
  fi
  if [ -z "${WALE_KEEP_TEST_DIR:-}" ]; then rm -rf "$T"; else log "kept $T"; fi
  exit $rc
}
trap cleanup EXIT
# A command that fails under set -e names itself and its line before the logs.
# (Only under errexit: assert_fails and its kind expect failures.)
on_error() {
  local rc=$? where=$1
  [[ $- == *e* && $BASH_COMMAND != exit* && -z ${ERROR_REPORTED:-} ]] || return 0
  ERROR_REPORTED=1
  log "FAIL: \"$BASH_COMMAND\" exited $rc ($where)"
}
trap 'on_error "${BASH_SOURCE[0]##*/} line $LINENO"' ERR
trap 'exit 130' INT TERM

remember_pid() { echo "$1" >> "$T/.pids"; }

# spawn_as_user LOG CMD...: runs CMD in the background as the test user,
# its output appended to LOG. SPAWNED_PID is CMD's own pid (exec, never a
# shell in between), remembered so that cleanup stops it.
spawn_as_user() {
  local out=$1; shift
  (
    if [ "$(id -u)" = 0 ]; then exec env HOME="$T" setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups -- "$@"; fi
    exec "$@"
  ) >> "$out" 2>&1 < /dev/null &
  SPAWNED_PID=$!
  disown "$SPAWNED_PID"
  remember_pid "$SPAWNED_PID"
}

# Waits up to $1 seconds for the command in "$@" (after $1) to succeed.
wait_for() {
  local secs=$1; shift
  local end=$((SECONDS + secs))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.1
  done
}

# --- assertions ---------------------------------------------------------------

assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"; }

# assert_status EXPECTED CMD...: runs CMD, checks its exit status.
assert_status() {
  local expected=$1; shift
  set +e; "$@"; local rc=$?; set -e
  [ "$rc" = "$expected" ] || fail "expected exit status $expected, got $rc from: $*"
}

# Checks that a failed command's stderr (file $1) holds exactly one error
# line, that it mentions $2 (an extended regular expression), and that
# nothing but WAL-E's STRUCTURED continuation lines follows it.
assert_one_line_error() {
  local file=$1 pattern=$2
  local errors others
  errors=$(grep -cE '(ERROR|CRITICAL) +MSG: |^wal-e: ' "$file" || true)
  [ "$errors" = 1 ] || { cat "$file" >&2; fail "expected exactly one error line in $file, found $errors"; }
  grep -E '(ERROR|CRITICAL) +MSG: |^wal-e: ' "$file" | grep -qE "$pattern" || { cat "$file" >&2; fail "the error line does not match /$pattern/"; }
  others=$(grep -vE '(ERROR|CRITICAL) +MSG: |^wal-e: |^        STRUCTURED: ' "$file" | grep -vE 'INFO|WARNING|^        (DETAIL|HINT): ' || true)
  [ -z "$others" ] || { cat "$file" >&2; fail "unexpected extra lines after the error"; }
}

# assert_fails STATUS PATTERN CMD...: runs CMD (stdout to $T/out, stderr to
# $T/err), checks its exit status and that it failed with one error line
# matching PATTERN (see assert_one_line_error).
assert_fails() {
  local status=$1 pattern=$2; shift 2
  set +e
  "$@" > "$T/out" 2> "$T/err"
  local rc=$?
  set -e
  [ "$rc" = "$status" ] || { cat "$T/err" >&2; fail "$* exited $rc, expected $status"; }
  assert_one_line_error "$T/err" "$pattern"
}

# make_segment FILE NAME [SIZE=1048576]: a file that looks like WAL segment
# NAME to wal-fetch's checks (a long page header at its own position, the
# segment size), filled with random bytes.
make_segment() {
  "$PY" - "$1" "$2" "${3:-1048576}" <<'PYEOF'
import os, struct, sys
path, name, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
log, seg = int(name[8:16], 16), int(name[16:24], 16)
number = log * (2**32 // size) + seg
header = struct.pack("<HHIQI4xQII", 0xD110, 0x0002, int(name[:8], 16), number * size, 0, 7, size, 8192)
with open(path, "wb") as f:
    f.write(header + os.urandom(size - len(header)))
PYEOF
}

# --- PostgreSQL -----------------------------------------------------------------

PGSOCK=$T/sock
mkdir -p "$PGSOCK"
[ "$(id -u)" = 0 ] && chown "$TEST_USER": "$PGSOCK"

# pg_init DIR PORT [initdb options...]: a new cluster listening only on a
# Unix socket in $PGSOCK, with archiving settings left to the test.
pg_init() {
  local dir=$1 port=$2; shift 2
  as_user "$PG_BIN/initdb" -D "$dir" -A trust -U postgres --no-sync --no-instructions "$@" > "$T/initdb-$(basename "$dir").log" 2>&1
  cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$PGSOCK'
fsync = off
synchronous_commit = off
full_page_writes = on
shared_buffers = 64MB
max_wal_senders = 4
wal_level = replica
logging_collector = off
log_min_messages = warning
CONF
}

pg_conf() { printf '%s\n' "$2" >> "$1/postgresql.conf"; }

pg_port() { sed -n "s/^port = //p" "$1/postgresql.conf" | tail -n 1; }

# pg_start DIR [VAR=VALUE ...]: starts the cluster with extra environment
# (what archive_command and restore_command will see).
pg_start() {
  local dir=$1; shift
  echo "$dir" >> "$T/.clusters"
  as_user env "$@" "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 120 start > /dev/null
}

pg_stop() { as_user "$PG_BIN/pg_ctl" -D "$1" -m "${2:-fast}" -w -t 120 stop > /dev/null; }

# The archive module of this build (module/): archive_library = 'wal_e_archive'.
MODULE_DIR=$WALE_BUILD_DIR/lib/postgresql/15

# start_archiving_primary DIR PORT [--module] [--set 'NAME = VALUE']... [--env VAR=VALUE]... [initdb options...]:
# a new cluster (pg_init) that archives with `wal-e wal-push` (with
# --module: through the archive module, to the daemon on $SOCKET), has the
# settings given with --set, and is started with the environment of
# wale_env and the variables given with --env.
start_archiving_primary() {
  local dir=$1 port=$2; shift 2
  local settings=() env=() setting module=0
  while [ $# -gt 0 ]; do
    case $1 in
      --module) module=1; shift ;;
      --set) settings+=("$2"); shift 2 ;;
      --env) env+=("$2"); shift 2 ;;
      *) break ;;
    esac
  done
  pg_init "$dir" "$port" "$@"
  pg_conf "$dir" "archive_mode = on"
  if [ "$module" = 1 ]; then
    [ -f "$MODULE_DIR/wal_e_archive.so" ] \
      || fail "$MODULE_DIR/wal_e_archive.so was not built: cmake found no PostgreSQL 15 server headers (install postgresql-server-dev-15)"
    pg_conf "$dir" "archive_library = 'wal_e_archive'"
    pg_conf "$dir" "dynamic_library_path = '$MODULE_DIR:\$libdir'"
    pg_conf "$dir" "wal_e.socket = '$SOCKET'"
  else
    pg_conf "$dir" "archive_command = '$BIN/wal-e wal-push %p'"
  fi
  for setting in "${settings[@]}"; do pg_conf "$dir" "$setting"; done
  pg_start "$dir" $(wale_env) "${env[@]}"
}

# psql_at DIR SQL: runs SQL on the cluster, unaligned tuples only.
psql_at() { as_user psql -X -h "$PGSOCK" -p "$(pg_port "$1")" -d postgres -Atq -v ON_ERROR_STOP=1 -c "$2"; }

pgbench_at() { local dir=$1; shift; as_user "$PG_BIN/pgbench" -h "$PGSOCK" -p "$(pg_port "$dir")" "$@" postgres; }

# The current WAL file name of a primary.
current_wal() { psql_at "$1" "SELECT pg_walfile_name(pg_current_wal_lsn())"; }

# Waits until the archiver reaches the WAL file that is current now, after
# a switch: everything written so far is then in the archive.
archive_everything() {
  local dir=$1 target
  target=$(psql_at "$dir" "SELECT pg_walfile_name(pg_current_wal_lsn())")
  psql_at "$dir" "SELECT pg_switch_wal()" > /dev/null
  local end=$((SECONDS + 300)) last
  while :; do
    last=$(psql_at "$dir" "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
    [[ "$last" > "$target" || "$last" == "$target" ]] && return 0
    [ $SECONDS -lt $end ] || fail "archiving did not reach $target within 300 s (last archived: '$last')" \
      "$(why_not_archived "$dir")"
    sleep 0.2
  done
}

# why_not_archived DIR: the last refusal wal-push gave PostgreSQL and the
# daemon's last warnings with their details, for a failure message (a log's
# last lines are often the same retry over and over).
why_not_archived() {
  echo
  echo "  PostgreSQL's last wal-push error: $(grep -E '^wal_e\.[a-z.]+ +ERROR' "$1/server.log" | tail -n 1)"
  [ -f "$T/daemon.log" ] || return 0
  echo "  wal-ed's last warnings and errors:"
  grep -A 1 -E '^wal_e\.[a-z.]+ +(WARNING|ERROR)' "$T/daemon.log" | grep -v '^--' | tail -n 6 | sed 's/^/    /'
}

# recover_copy COPY PORT: COPY, a base backup taken without WAL, recovers
# through `wal-e wal-fetch` to the end of the archive (recovery.signal) on
# PORT and is promoted; archiving stays on, so that the new timeline's
# history file is archived. Returns once the copy is promoted.
recover_copy() {
  local copy=$1 port=$2
  rm -f "$copy/postgresql.auto.conf"
  sed -i "s/^port = .*/port = $port/" "$copy/postgresql.conf"
  pg_conf "$copy" "archive_mode = on"
  pg_conf "$copy" "restore_command = '$BIN/wal-e wal-fetch %f %p'"
  as_user touch "$copy/recovery.signal"
  pg_start "$copy" $(wale_env)
  wait_for 300 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p $port -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
    || fail "the copy in $copy did not finish recovery"
}

# One line per table: name, row count, md5 of the rows (the fixture's query).
table_checksums() {
  local dir=$1; shift
  local t
  for t in "$@"; do
    printf '%s %s\n' "$t" "$(psql_at "$dir" "SELECT count(*) || ' ' || md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text COLLATE \"C\"), '')) FROM $t x")"
  done
}

# --- wal-ed -------------------------------------------------------------------

SOCKET=$T/run/wal-ed.sock
STATE=$T/state
STORE=$T/store
PREFIX=file://localhost$STORE
# The store configuration archive_command, restore_command and the daemon
# get: a local directory unless a test points it at a blob-store peer
# (peers.sh).
WALE_ENV=(WALE_FILE_PREFIX="$PREFIX")
# Extra wal-ed arguments for start_daemon, and a command to run it under
# (e.g. prlimit --nofile=320:320 --).
DAEMON_ARGS=()
DAEMON_PREFIX=()

# start_daemon [VAR=VALUE ...]: starts wal-ed as the test user on $SOCKET
# with the store of WALE_ENV and the arguments in DAEMON_ARGS; waits until
# it answers.
start_daemon() {
  mkdir -p "$T/run" "$STORE"
  [ "$(id -u)" = 0 ] && chown "$TEST_USER": "$T/run" "$STORE"
  # exec in a subshell, so that $! is wal-ed itself and not a shell.
  (
    cmd=(env "${WALE_ENV[@]}" WALE_LOG_DESTINATION=stderr "$@" "${DAEMON_PREFIX[@]}" "$BIN/wal-ed" --socket "$SOCKET" --state-dir "$STATE" "${DAEMON_ARGS[@]}")
    if [ "$(id -u)" = 0 ]; then exec setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups -- "${cmd[@]}"; fi
    exec "${cmd[@]}"
  ) >> "$T/daemon.log" 2>&1 &
  DAEMON_PID=$!
  disown "$DAEMON_PID"  # no "Killed" notices from bash when a test kills it
  remember_pid "$DAEMON_PID"
  wait_for 20 daemon_ready || fail "wal-ed (pid $DAEMON_PID) did not become ready (see $T/daemon.log)"
}

# start_notify_listener: stands in for systemd's notification socket at
# $NOTIFY_SOCKET_PATH: every datagram wal-ed sends there (READY=1,
# WATCHDOG=1, RELOADING=1, STOPPING=1, ...) is appended to $T/notify.out,
# one line per variable. Start the daemon with NOTIFY_SOCKET=$NOTIFY_SOCKET_PATH.
NOTIFY_SOCKET_PATH=$T/run/notify.sock
start_notify_listener() {
  mkdir -p "$T/run"
  [ "$(id -u)" = 0 ] && chown "$TEST_USER": "$T/run"
  : > "$T/notify.out"
  [ "$(id -u)" = 0 ] && chown "$TEST_USER": "$T/notify.out"
  spawn_as_user "$T/notify-listener.log" "$PY" -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(4096).decode() + "\n")
        out.flush()' "$NOTIFY_SOCKET_PATH" "$T/notify.out"
  wait_for 10 test -S "$NOTIFY_SOCKET_PATH" || fail "the notification listener did not start"
}
# notifications VARIABLE: how many times wal-ed sent it so far.
notifications() { grep -c "^$1\$" "$T/notify.out" || true; }

# True once the daemon started last has logged that it is ready.
daemon_ready() {
  grep -A 2 "MSG: wal-ed is ready" "$T/daemon.log" 2>/dev/null | grep -q "pid=$DAEMON_PID " && test -S "$SOCKET"
}

stop_daemon() {
  kill -TERM "$DAEMON_PID" 2>/dev/null || true
  wait_for 60 bash -c "! kill -0 $DAEMON_PID 2>/dev/null" || fail "wal-ed did not stop on SIGTERM"
}

kill9_daemon() {
  kill -9 "$DAEMON_PID"
  wait_for 10 bash -c "! kill -0 $DAEMON_PID 2>/dev/null" || fail "wal-ed survived SIGKILL"
}

# status_value EXPR: a value from `wal-e status`, EXPR being Python over
# the parsed JSON `s` (e.g. 's["backlog_bytes"]', 'len(s["gaps"])').
status_value() {
  wal_e status 2> /dev/null | "$PY" -c 'import json, sys; s = json.load(sys.stdin); v = eval(sys.argv[1]); print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1"
}

# The environment archive_command and restore_command get.
wale_env() { echo "${WALE_ENV[@]}" "WALE_SOCKET=$SOCKET" "WALE_LOG_DESTINATION=stderr"; }

wal_e() { as_user env $(wale_env) "$BIN/wal-e" "$@"; }

# Looks inside the archive through the storage interface, whatever the
# backend: probe list PREFIX | get KEY | head KEY | ... (tests/tools/store_probe.cpp)
probe() { as_user env "${WALE_ENV[@]}" "$BIN/wale-store-probe" "$@"; }

# The plain content of an archived object: downloaded, decrypted when the
# configuration has a GPG key, decompressed by the command-line tool its
# suffix names (what WAL-E's `gpg -d | lzop -d` would give).
store_cat() {
  local key_id="" v decompress
  for v in "${WALE_ENV[@]}"; do [[ "$v" == WALE_GPG_KEY_ID=* ]] && key_id=${v#WALE_GPG_KEY_ID=}; done
  case $1 in
    *.lz4) decompress="lz4 -dc" ;;
    *.zst) decompress="zstd -dcq" ;;
    *) decompress="lzop -dc" ;;
  esac
  if [ -n "$key_id" ]; then
    probe get "$1" 2> /dev/null | as_user env "${WALE_ENV[@]}" gpg --batch -q -d 2> /dev/null | $decompress
  else
    probe get "$1" 2> /dev/null | $decompress
  fi
}

# The WAL file names archived, one per line, in listing order, whatever the
# compression suffix (.lzo, .lz4, .zst); a file stored twice is listed once.
archived_wal_files() {
  probe list wal_005/ 2> /dev/null | cut -f1 | sed -n 's#^wal_005/\(.*\)\.\(lzo\|lz4\|zst\)$#\1#p' | awk '!seen[$0]++'
}

# The keys a WAL file is archived under, one per compression suffix (not a
# backup history file or a .partial that shares its name's start).
wal_object_keys() { probe list "wal_005/$1." 2> /dev/null | cut -f1 | grep -E "^wal_005/$1\.(lzo|lz4|zst)$" || true; }
# The key a WAL file is archived under (the first listed, if there are two).
wal_object_key() { wal_object_keys "$1" | sed -n 1p; }

# backup_push DIR [OPTIONS...]: takes a base backup of the cluster in DIR
# with a fast checkpoint; prints the backup's name.
backup_push() {
  local dir=$1; shift
  wal_e backup-push --fast-checkpoint "$@" "$dir" 2> "$T/backup-push.log" || { cat "$T/backup-push.log" >&2; fail "backup-push of $dir failed"; }
  local name
  name=$(sed -n 's/.*DETAIL: Backing up .* as \(base_[0-9A-F]*_[0-9]*\)\.$/\1/p' "$T/backup-push.log")
  [ -n "$name" ] || fail "no backup name in the backup-push log"
  echo "$name"
}

# compare_archive_with_pg_wal DIR: compares every WAL segment in the archive
# with the one in DIR/pg_wal and looks up every segment PostgreSQL marked
# archived (.done) in the archive; prints "COMPARED LOST WRONG_BYTES": the
# segments compared, those marked archived but missing from the store (or
# archived but gone from pg_wal), and the bytes that differ in the rest
# (cmp's count, plus any difference in length). Needs the segments kept in
# pg_wal (a large wal_keep_size).
compare_archive_with_pg_wal() {
  local dir=$1 name key checked=0 lost=0 wrong=0 archived differing done_marks
  # The marks first, the listing second: a segment archived in between is
  # then in the listing, never counted lost.
  done_marks=$(ls "$dir/pg_wal/archive_status" | sed -n 's/^\([0-9A-F]\{24\}\)\.done$/\1/p')
  archived=$(archived_wal_files | grep -E '^[0-9A-F]{24}$' || true)
  for name in $archived; do
    if [ ! -f "$dir/pg_wal/$name" ]; then
      log "$name is archived but gone from pg_wal"
      lost=$((lost + 1))
      continue
    fi
    key=$(wal_object_key "$name")
    [ -n "$key" ] || fail "cannot look up the archived $name in the store (wale-store-probe list failed)"
    store_cat "$key" > "$T/.compared" || true
    if ! cmp -s "$T/.compared" "$dir/pg_wal/$name"; then
      differing=$(( $(cmp -l "$T/.compared" "$dir/pg_wal/$name" 2> /dev/null | wc -l) \
                    + $(stat -c %s "$dir/pg_wal/$name") - $(stat -c %s "$T/.compared") ))
      log "$name differs from pg_wal (${differing#-} bytes)"
      wrong=$((wrong + ${differing#-}))
    fi
    checked=$((checked + 1))
  done
  rm -f "$T/.compared"
  for name in $done_marks; do
    grep -qx "$name" <<< "$archived" || { log "$name is marked archived but not in the store"; lost=$((lost + 1)); }
  done
  echo "$checked $lost $wrong"
}

# assert_archive_matches_pg_wal DIR: compare_archive_with_pg_wal finds
# nothing lost and nothing different. Prints the number of segments compared.
assert_archive_matches_pg_wal() {
  local checked lost wrong
  read -r checked lost wrong < <(compare_archive_with_pg_wal "$1")
  [ "$lost" = 0 ] || fail "$lost segments marked archived are not in the store (see above)"
  [ "$wrong" = 0 ] || fail "$wrong bytes of archived segments differ from pg_wal (see above)"
  echo "$checked"
}

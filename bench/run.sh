#!/usr/bin/env bash
# The benchmark suite: wal-e (wal-ed + the wal-e shim) next to pgBackRest
# and the plain limits, in one run, on the same WAL, on this machine.
#
#   bench/run.sh [--quick] [--only N[,N...]] [--keep] [--cache warm|cold]
#                [--build DIR] [--runs N] [--repeat N] [--segments N]
#                [--out FILE]
#
#   1 archive round trip for a segment already stored (median of --runs)
#   2 backlog drain: N segments already .ready when archiving starts, in
#     the tuned set-up and in the one a user has (a fresh copy of the
#     cluster, synced, nothing warmed, PostgreSQL's default fsync, wal-ed's
#     defaults, the store in archive_command's env), to a file:// store
#     and (tuned) to the S3 peer; and through the archive module wal_e_archive
#   3 live load: pgbench writing for a fixed time; the largest .ready backlog
#   4 recovery: a standby replaying N archived segments through
#     restore_command, from a file:// store and from an S3 peer (HTTPS),
#     in the tuned set-up and in the one a user has (PostgreSQL's defaults
#     for fsync and max_wal_size, nothing warmed, the store in an envdir
#     named in restore_command, wal-ed's defaults)
#   5 peak memory (RSS) of every archiving process involved
#
# Run as root on Debian 12 with PostgreSQL 15: it installs what is missing
# (pgbackrest, time, lzop, stunnel4 from apt; the S3 peer with npm ci in
# tests/peers), runs PostgreSQL and every archiver as postgres in a scratch
# directory under /tmp (removed at the end unless --keep or a failure), and
# prints one Markdown report, also saved to bench/results/latest.md (or
# --out). The suite only measures: no figure makes it fail.
#
# --quick: 40 segments for scenario 2, 30 for scenario 4, 20 s of pgbench,
#          one round (a few minutes in all); the full run: 151, 200, 60 s
#          and three rounds (about 25 minutes on 2 cores).
# --segments N: the backlog of scenario 2 (.ready segments of 16 MiB).
# --repeat N: rounds of scenarios 2 and 4 (every candidate once per round,
#          the order rotated from round to round); the report gives the
#          median and the range. wal-e in-process drains in round 1 only.
# --cache warm (default): before every timed run, dirty pages are written
#          back (sync) and the run's inputs are read once, so that every
#          candidate starts with them in the page cache; cold: sync, then
#          drop the page cache (echo 3 > /proc/sys/vm/drop_caches).
# --build DIR: the wal-e build to measure (default build/; it is built with
#          scripts/build.sh if its binaries are missing).
# --candidates LIST: scenario 2 drains only these candidates (comma-separated,
#          e.g. lzop,wale_module,wale_module_user,pgbr_user,wale_user_floor;
#          lzop is both lzop limits), and scenario 4 runs only the
#          STORE:CANDIDATE pairs listed (local:cp, file:wale, file:pgbr_async,
#          file:pgbr_sync, s3:wale, s3:pgbr_async, s3:pgbr_sync); a scenario
#          none of whose candidates is listed runs them all.
# --recovery-max-wal-size SIZE: max_wal_size of scenario 4's recovering
#          clusters in the tuned set-up (default: the generating cluster's
#          96MB, a restartpoint every few segments replayed); the user's
#          set-up keeps PostgreSQL's own default, 1GB.
# --recovery-setups LIST: scenario 4's set-ups, tuned and/or user
#          (comma-separated; default: both, in the same rounds).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

QUICK=0 ONLY=1,2,3,4,5 CANDIDATES= KEEP=0 CACHE=warm BUILD_DIR=$SOURCE_DIR/build RUNS=50 OUT=$BENCH_DIR/results/latest.md REPEAT= SEGMENTS= S4_MAX_WAL_SIZE=96MB S4_SETUPS=tuned,user
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --only) ONLY=$2; shift ;;
    --candidates) CANDIDATES=$2; shift ;;
    --keep) KEEP=1 ;;
    --cache) CACHE=$2; shift ;;
    --build) BUILD_DIR=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --segments) SEGMENTS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --recovery-max-wal-size) S4_MAX_WAL_SIZE=$2; shift ;;
    --recovery-setups) S4_SETUPS=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $CACHE in warm|cold) ;; *) die "--cache is warm or cold" ;; esac
[[ ",$S4_SETUPS," =~ ^(,(tuned|user))+,$ ]] || die "--recovery-setups is tuned, user or tuned,user"
runs_scenario() { [[ ",$ONLY," == *",$1,"* ]]; }
# --candidates' entries with a colon are scenario 4's, the others scenario 2's;
# a scenario whose list is empty runs every candidate.
S4_RUNS=(local:cp file:wale file:pgbr_async file:pgbr_sync s3:wale s3:pgbr_async s3:pgbr_sync)
S2_LIST= S4_LIST=
for cand in ${CANDIDATES//,/ }; do if [[ $cand == *:* ]]; then S4_LIST+=,$cand; else S2_LIST+=,$cand; fi; done
drains() { [ -z "$S2_LIST" ] || [[ "$S2_LIST," == *",$1,"* ]]; }
recovers() { [ -z "$S4_LIST" ] || [[ "$S4_LIST," == *",$1,"* ]]; }

[ "$(id -u)" = 0 ] || die "run as root (PostgreSQL and the archivers run as $RUN_USER)"
[ -x "$PG_BIN/postgres" ] || die "PostgreSQL 15 is not installed ($PG_BIN)"
id "$RUN_USER" > /dev/null 2>&1 || die "no user $RUN_USER"

if [ "$QUICK" = 1 ]; then
  N_DRAIN=${SEGMENTS:-40} N_RECOVERY=30 SCALE=10 LOAD_SECS=20 DRAIN_TIMEOUT=600 REPEAT=${REPEAT:-1}
else
  N_DRAIN=${SEGMENTS:-151} N_RECOVERY=200 SCALE=50 LOAD_SECS=60 DRAIN_TIMEOUT=1800 REPEAT=${REPEAT:-3}
fi
[[ $N_DRAIN =~ ^[1-9][0-9]*$ ]] || die "--segments is a number of segments (1 or more)"
# rotate K WORD...: the words, starting from the K-th (0-based, modulo)
rotate() { local k=$1; shift; local a=("$@") i; for ((i = 0; i < ${#a[@]}; i++)); do printf '%s\n' "${a[$(((i + k) % ${#a[@]}))]}"; done; }

# --- what the suite needs -------------------------------------------------------------

missing=()
command -v pgbackrest > /dev/null || missing+=(pgbackrest)
[ -x /usr/bin/time ] || missing+=(time)
command -v lzop > /dev/null || missing+=(lzop)
command -v stunnel4 > /dev/null || missing+=(stunnel4)
command -v openssl > /dev/null || missing+=(openssl)
command -v envdir > /dev/null || missing+=(daemontools)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt)"
  apt-get update -qq > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
BUILD_DIR=$(cd "$BUILD_DIR" 2> /dev/null && pwd || echo "$BUILD_DIR")
BIN=$BUILD_DIR/bin
MODULE_DIR=$BUILD_DIR/lib/postgresql/15
if [ ! -x "$BIN/wal-e" ] || [ ! -x "$BIN/wal-ed" ]; then
  log "building wal-e into $BUILD_DIR"
  "$SOURCE_DIR/scripts/build.sh" "$BUILD_DIR"
fi

W=$(mktemp -d /tmp/wal-e-bench.XXXXXX)
chmod 0755 "$W"
mkdir -p "$W/logs" "$W/sock" "$W/run" "$W/out"
: > "$W/.pids"; : > "$W/.clusters"; : > "$W/results.tsv"
chown -R "$RUN_USER": "$W"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
SUITE_START=$SECONDS
log "scratch directory $W; mode $([ "$QUICK" = 1 ] && echo quick || echo full); scenarios $ONLY; cache $CACHE"

# --- the machine and the versions -------------------------------------------------------

res meta.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
res meta.mode "$([ "$QUICK" = 1 ] && echo quick || echo full)"
res meta.cache "$CACHE"
res meta.cpu "$(nproc) × $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
res meta.ram "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
res meta.kernel "$(uname -sr)"
res meta.disk "$(df -h --output=source,fstype "$W" | tail -n 1 | awk '{print $1" ("$2")"}')"
res meta.load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
res meta.wale "wal-e $("$BIN/wal-e" version 2> /dev/null), source tree at $(cd "$SOURCE_DIR" && git rev-parse --short HEAD 2> /dev/null)$(cd "$SOURCE_DIR" && git diff --quiet HEAD 2> /dev/null || echo '+uncommitted changes'), $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2> /dev/null) build in $BUILD_DIR (wal-ed built $(date -u -r "$BIN/wal-ed" '+%Y-%m-%d %H:%M UTC'))"
res meta.pgbackrest "$(pgbackrest version)"
res meta.postgres "$("$PG_BIN/postgres" --version)"
res meta.lzop "$(lzop --version 2>&1 | sed -n 's/^lzop \([0-9.]*\).*/lzop \1/p' | head -n 1)"
res meta.stunnel "$(stunnel4 -version 2>&1 | sed -n 's/^stunnel \([0-9.]*\).*/stunnel \1/p' | head -n 1)"
res meta.s3peer "s3rver $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$PEERS_DIR/node_modules/s3rver/package.json" 2> /dev/null | head -n 1) (node $(node --version 2> /dev/null)) behind stunnel (TLS)"
res meta.sizes "drain $N_DRAIN segments, recovery $N_RECOVERY segments, pgbench scale $SCALE, live load ${LOAD_SECS} s, round trips $RUNS runs, $REPEAT round(s) of scenarios 2 and 4"

# --- the WAL, generated once ---------------------------------------------------------------
#
# A PostgreSQL 15 cluster (16 MiB segments) archives with an empty
# archive_command (archiving on but paused: every completed segment stays
# .ready). pgbench -i at scale $SCALE, a checkpoint, a cold copy of the
# stopped cluster ($W/base: the base backup of scenarios 3 and 4), then
# TPC-B (4 clients) until enough segments are complete; checkpoints every
# 48 MiB of WAL (max_wal_size = 96MB) give the full-page images a busy
# server writes. The stopped cluster is $W/gen: scenario 2 runs copies of
# it with the newest $N_DRAIN segments .ready (older ones are marked .done);
# scenario 4 replays the $N_RECOVERY segments that follow the base's
# checkpoint.

need_drain=0; runs_scenario 2 && need_drain=$N_DRAIN
need_recovery=0; runs_scenario 4 && need_recovery=$N_RECOVERY
[ $need_drain -eq 0 ] && [ $need_recovery -eq 0 ] && need_drain=12  # scenarios 1, 3, 5 need a few

seg_name() { printf '00000001%08X%08X' $(($1 / 256)) $(($1 % 256)); }   # 16 MiB segments: 256 per xlogid
seg_number() { echo $((16#${1:8:8} * 256 + 16#${1:16:8})); }
lsn_of() { printf '%X/%X' $(($1 >> 32)) $(($1 & 0xFFFFFFFF)); }

generate_wal() {
  local t0=$SECONDS
  log "generating the WAL (pgbench -i -s $SCALE, then TPC-B)"
  pg_init "$W/gen"
  pg_set "$W/gen" "max_wal_size = 96MB"
  pg_set "$W/gen" "min_wal_size = 32MB"
  pg_start "$W/gen"
  pgbench_run -i -s "$SCALE" -q > "$W/logs/pgbench-init.log" 2>&1
  psql_q "CHECKPOINT"
  # pgBackRest stanzas need a running cluster: one posix repository as a
  # template copied for every run, and the S3 one of scenario 4.
  pgbr_conf "$W/pgbr-template/pgbackrest.conf" "$W/gen" posix "$W/pgbr-template/repo" n
  pgbr "$W/pgbr-template/pgbackrest.conf" stanza-create > "$W/logs/stanza-create.log" 2>&1
  if runs_scenario 2 || runs_scenario 4; then
    start_s3_peer
    pgbr_conf "$W/pgbr-s3/pgbackrest.conf" "$W/gen" s3 /pgbr n
    pgbr "$W/pgbr-s3/pgbackrest.conf" stanza-create >> "$W/logs/stanza-create.log" 2>&1
  fi
  pg_stop "$W/gen"
  cp -a "$W/gen" "$W/base"
  rm -f "$W/base/server.log"
  REDO_SEG=$(as_user "$PG_BIN/pg_controldata" "$W/base" | sed -n "s/^Latest checkpoint's REDO WAL file: *//p")
  local first_rec last_rec ready highest
  first_rec=$(seg_number "$REDO_SEG")
  last_rec=$((first_rec + need_recovery - 1))
  pg_start "$W/gen"
  : > "$W/logs/pgbench-gen.log"
  while :; do
    ready=$(ready_count "$W/gen")
    highest=$(find "$W/gen/pg_wal/archive_status" -name '*.ready' -printf '%f\n' | sort | tail -n 1)
    highest=$(seg_number "${highest%.ready}")
    if [ "$ready" -ge "$need_drain" ] && { [ "$need_recovery" -eq 0 ] || [ "$highest" -ge "$last_rec" ]; }; then break; fi
    pgbench_run -c 4 -j 2 -T 10 -n >> "$W/logs/pgbench-gen.log" 2>&1
    log "  $ready segments so far"
  done
  pg_stop "$W/gen"
  # The newest $N_DRAIN stay .ready; the older ones count as archived.
  local all extra f
  all=$(ready_count "$W/gen")
  extra=$((all - N_DRAIN))
  if [ "$extra" -gt 0 ]; then
    for f in $(find "$W/gen/pg_wal/archive_status" -name '*.ready' -printf '%f\n' | sort | head -n "$extra"); do
      mv "$W/gen/pg_wal/archive_status/$f" "$W/gen/pg_wal/archive_status/${f%.ready}.done"
    done
  fi
  DRAIN_SEGS=($(find "$W/gen/pg_wal/archive_status" -name '*.ready' -printf '%f\n' | sort | sed 's/\.ready$//'))
  local lzo lz4 sample
  # Compressibility of the WAL: a sample of 8 segments across it.
  lzo=0 lz4=0
  local samples=($(printf '%s\n' "${DRAIN_SEGS[@]}" | awk -v n=${#DRAIN_SEGS[@]} '(NR - 1) % int((n + 7) / 8) == 0'))
  local nsample=${#samples[@]}
  for sample in "${samples[@]}"; do
    lzo=$((lzo + $(lzop -1 -c "$W/gen/pg_wal/$sample" | wc -c)))
    if command -v lz4 > /dev/null; then lz4=$((lz4 + $(lz4 -1 -c "$W/gen/pg_wal/$sample" 2> /dev/null | wc -c))); fi
  done
  res wal.segments_total "$(find "$W/gen/pg_wal" -maxdepth 1 -name '0000*' | wc -l)"
  res wal.lzop1_ratio "$("$PY" -c "print(f'{$lzo / ($nsample * $SEG) * 100:.1f}')")"
  [ "$lz4" -gt 0 ] && res wal.lz4_ratio "$("$PY" -c "print(f'{$lz4 / ($nsample * $SEG) * 100:.1f}')")"
  res wal.tps "$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$W/logs/pgbench-gen.log" | awk '{s += $1; n++} END {if (n) printf "%.0f", s / n}')"
  res wal.seconds $((SECONDS - t0))
  log "WAL ready: ${#DRAIN_SEGS[@]} segments .ready, base checkpoint in $REDO_SEG ($((SECONDS - t0)) s)"
}

# --- archiving candidates -----------------------------------------------------------------

NONE_SOCKET=$W/run/none.sock  # no daemon there: wal-e runs in-process
STORE_ENV=()                  # the store environment of the current run (archive/restore command and wal-ed)

# Scenario 2's candidates are a kind of archiver in a set-up:
#   wale, wale_inproc, pgbr_async, pgbr_sync, cp   the tuned set-up (below)
#   wale_user, pgbr_user                           the user's set-up (wal-e, pgBackRest async)
#   wale_floor, wale_user_floor                    wal-e with every segment already stored:
#                                                  PostgreSQL's own loop and the round trip
#   wale_s3                                        wal-e (tuned) to the S3 peer over HTTPS
#   wale_module, wale_module_user                  the archive module, tuned and in the user's set-up
archiver_of() {
  case $1 in
    wale_user|wale_floor|wale_user_floor|wale_s3|wale_module|wale_module_user) echo wale ;;
    pgbr_user) echo pgbr_async ;;
    *) echo "$1" ;;
  esac
}
user_setup() { case $1 in wale_user|pgbr_user|wale_user_floor|wale_module_user) return 0 ;; *) return 1 ;; esac; }

# archive_command_for CANDIDATE DATADIR RUNDIR TAG: sets ARCHIVE_CMD and
# STORE_ENV, prepares the candidate's store (fresh) in RUNDIR and starts
# wal-ed (fresh) for the daemon candidates. In the user's set-up wal-ed has
# nothing but the store, its socket and its state directory (its log where
# a daemon's goes, stderr), and the store is named in archive_command
# (`env WALE_SOCKET=… WALE_FILE_PREFIX=… wal-e wal-push %p`), which
# PostgreSQL's environment does not have; STORE_ENV stays empty.
archive_command_for() {
  local c=$1 data=$2 d=$3 tag=$4
  case $(archiver_of "$c") in
    wale|wale_inproc)
      mkdir -p "$d/store"; chown "$RUN_USER": "$d/store"
      STORE_ENV=(WALE_FILE_PREFIX="file://localhost$d/store" WALE_LOG_DESTINATION=stderr)
      if [ "$c" = wale_s3 ]; then
        start_daemon "$tag" "${S3_DAEMON_ENV[@]}" WALE_S3_PREFIX="s3://$S3_BUCKET/$tag"
        STORE_ENV=(WALE_S3_PREFIX="s3://$S3_BUCKET/$tag" WALE_LOG_DESTINATION=stderr WALE_SOCKET="$DAEMON_SOCKET")
      elif user_setup "$c"; then
        start_daemon_plain "$tag" WALE_FILE_PREFIX="file://localhost$d/store"
        STORE_ENV=()
        ARCHIVE_CMD="env WALE_SOCKET=$DAEMON_SOCKET WALE_FILE_PREFIX=file://localhost$d/store $BIN/wal-e wal-push %p"
        return
      elif [ "$c" != wale_inproc ]; then
        start_daemon "$tag" "${STORE_ENV[@]}"
        STORE_ENV+=(WALE_SOCKET="$DAEMON_SOCKET")
      else
        STORE_ENV+=(WALE_SOCKET="$NONE_SOCKET")
      fi
      ARCHIVE_CMD="$BIN/wal-e wal-push %p" ;;
    pgbr_sync|pgbr_async)
      mkdir -p "$d/pgbr"
      cp -a "$W/pgbr-template/repo" "$d/pgbr/repo"
      pgbr_conf "$d/pgbr/pgbackrest.conf" "$data" posix "$d/pgbr/repo" "$([ "$(archiver_of "$c")" = pgbr_async ] && echo y || echo n)"
      STORE_ENV=()
      ARCHIVE_CMD="pgbackrest --config=$d/pgbr/pgbackrest.conf --stanza=bench archive-push %p" ;;
    cp)
      mkdir -p "$d/cpdir"; chown "$RUN_USER": "$d/cpdir"
      STORE_ENV=()
      ARCHIVE_CMD="cp %p $d/cpdir/%f" ;;
  esac
}

store_of() {  # the directory a candidate archived to
  case $1 in
    wale_s3) echo "$W/s3/$S3_BUCKET/$3" ;;
    *) case $(archiver_of "$1") in wale|wale_inproc) echo "$2/store" ;; pgbr_*) echo "$2/pgbr/repo" ;; cp) echo "$2/cpdir" ;; esac ;;
  esac
}

finish_candidate() {  # stops what a run started
  stop_daemon
  stop_pgbackrest_async
}

record_monitor() {  # record_monitor KEY-PREFIX MONITOR.json
  local k=$1 m=$2
  res "$k.cpu_busy" "$(json_get "$m" 'j["machine_cpu_pct"]["busy"]')"
  res "$k.cpu_iowait" "$(json_get "$m" 'j["machine_cpu_pct"]["iowait"]')"
  res "$k.peak_rss" "$(json_get "$m" '";".join(f"{r}={v}" for r, v in sorted(j["peak_rss_kb"].items()))')"
  res "$k.cpu_seen" "$(json_get "$m" '";".join(f"{r}={v}" for r, v in sorted(j["cpu_seconds_seen"].items()))')"
}

# --- scenario 1: round trip -------------------------------------------------------------------

scenario_1() {
  log "scenario 1: archive round trip for a stored segment ($RUNS runs each, interleaved)"
  res s1.runs "$RUNS"
  local d=$W/s1 seg=${DRAIN_SEGS[0]}
  mkdir -p "$d/data/pg_wal/archive_status" "$d/data/global" "$d/store" "$d/cpdir" "$d/pgbr"
  cp "$W/gen/global/pg_control" "$d/data/global/"
  cp "$W/gen/PG_VERSION" "$d/data/"
  ln "$W/gen/pg_wal/$seg" "$d/data/pg_wal/$seg"
  touch "$d/data/pg_wal/archive_status/$seg.ready"
  cp -a "$W/pgbr-template/repo" "$d/pgbr/repo"
  pgbr_conf "$d/pgbr/pgbackrest.conf" "$d/data" posix "$d/pgbr/repo" n
  chown -R "$RUN_USER": "$d"
  start_daemon s1 WALE_FILE_PREFIX="file://localhost$d/store"
  local env=(WALE_FILE_PREFIX="file://localhost$d/store" WALE_SOCKET="$DAEMON_SOCKET" WALE_LOG_DESTINATION=stderr)
  (cd "$d/data" && as_user env "${env[@]}" "$BIN/wal-e" wal-push "pg_wal/$seg" 2> /dev/null) || die "the first wal-push failed"
  (cd "$d/data" && as_user pgbackrest --config="$d/pgbr/pgbackrest.conf" --stanza=bench archive-push "pg_wal/$seg" 2> /dev/null) \
    || die "the first pgBackRest archive-push failed"
  prepare_cache "$d"
  (cd "$d/data" && as_user env "${env[@]}" "$PY" "$BENCH_DIR/lib/roundtrip.py" "$RUNS" "$d/roundtrip.json" \
    "noop=true" \
    "exec_true=/bin/true" \
    "wale=$BIN/wal-e wal-push pg_wal/$seg" \
    "wale_inproc=WALE_SOCKET=$NONE_SOCKET $BIN/wal-e wal-push pg_wal/$seg" \
    "pgbr_sync=pgbackrest --config=$d/pgbr/pgbackrest.conf --stanza=bench archive-push pg_wal/$seg" \
    "cp=cp pg_wal/$seg $d/cpdir/$seg")
  local c
  for c in noop exec_true wale wale_inproc pgbr_sync cp; do
    res "s1.$c.median_ms" "$(json_get "$d/roundtrip.json" "j['$c']['median_ms']")"
    res "s1.$c.min_ms" "$(json_get "$d/roundtrip.json" "j['$c']['min_ms']")"
    res "s1.$c.p90_ms" "$(json_get "$d/roundtrip.json" "j['$c']['p90_ms']")"
    res "s1.$c.failures" "$(json_get "$d/roundtrip.json" "j['$c']['failures']")"
  done
  res s1.wale.daemon_hwm_kb "$(daemon_hwm_kb)"
  res s5.wale_ed.s1 "$(daemon_hwm_kb)"
  log "  medians (ms): $(json_get "$d/roundtrip.json" '" ".join(k + "=" + str(v["median_ms"]) for k, v in j.items())')"
  stop_daemon
  rm -rf "$d"
}

# --- scenario 2: backlog drain ------------------------------------------------------------------

# PostgreSQL's archiver, started by a reload, against N .ready segments:
# the time from the reload to pg_stat_archiver.last_archived_time of the
# N-th segment (both PostgreSQL's clock), once archived_count covers the
# backlog. The tuned set-up: hard links to the generated segments (read
# once before the run, see prepare_cache), PostgreSQL with fsync off, the
# store in its environment. The user's: a fresh copy of the cluster
# (fresh_cluster, then sync, nothing warmed), PostgreSQL's default fsync
# (its archiver makes each .done file durable: three fsyncs a segment),
# wal-ed with its defaults, the store named in archive_command.
# For the archive module (wale_module, wale_module_user: the module needs
# nothing in PostgreSQL's environment) the reload sets wal_e.socket: the
# module is loaded at start, unconfigured, because changing archive_library
# restarts the archiver, which PostgreSQL does at most every 10 s.
drain_run() {
  local c=$1 d=$W/s2/$1 data cmd t0 row count failed last tag=s2-$1
  log "scenario 2: $c draining ${#DRAIN_SEGS[@]} segments"
  rm -rf "$d"; mkdir -p "$d"; chown "$RUN_USER": "$d"
  data=$d/data
  if user_setup "$c"; then
    fresh_cluster "$W/gen" "$data"
    pg_set "$data" "fsync = on"
    pg_set "$data" "synchronous_commit = on"
  else
    clone_cluster "$W/gen" "$data"
  fi
  # No checkpoint during the run: the linked segments are never recycled.
  pg_set "$data" "checkpoint_timeout = 1d"
  pg_set "$data" "max_wal_size = 100GB"
  archive_command_for "$c" "$data" "$d" "$tag"
  cmd=$ARCHIVE_CMD
  local start_archiving="ALTER SYSTEM SET archive_command = '$cmd'"
  if [ "$c" = wale_module ] || [ "$c" = wale_module_user ]; then
    pg_set "$data" "archive_library = 'wal_e_archive'"
    pg_set "$data" "dynamic_library_path = '$MODULE_DIR:\$libdir'"
    pg_set "$data" "wal_e.socket = ''"
    start_archiving="ALTER SYSTEM SET wal_e.socket = '$DAEMON_SOCKET'"
  fi
  case $c in
    wale_floor|wale_user_floor)  # every segment stored before the timed run
      local seg
      for seg in "${DRAIN_SEGS[@]}"; do
        (cd "$data" && as_user env "${STORE_ENV[@]}" sh -c "${cmd//%p/pg_wal/$seg}" 2>> "$W/logs/$tag-fill.log") \
          || die "storing $seg before the run failed"
      done ;;
  esac
  pg_start "$data" "${STORE_ENV[@]}"
  psql_q "SELECT pg_stat_reset_shared('archiver')" > /dev/null
  if user_setup "$c"; then sync; else prepare_cache "$data/pg_wal"; fi
  start_monitor "$d/monitor.json" --ready-dir "$data/pg_wal/archive_status"
  psql_q "$start_archiving"
  t0=$(psql_q "SELECT extract(epoch FROM clock_timestamp()) FROM (SELECT pg_reload_conf()) r")
  local end=$((SECONDS + DRAIN_TIMEOUT)) status=ok
  while :; do
    row=$(psql_q "SELECT archived_count, failed_count, coalesce(extract(epoch FROM last_archived_time), 0) FROM pg_stat_archiver")
    IFS='|' read -r count failed last <<< "$row"
    [ "$count" -ge "${#DRAIN_SEGS[@]}" ] && break
    [ $SECONDS -lt $end ] || { status=timeout; break; }
    sleep 0.25
  done
  stop_monitor
  local secs
  secs=$(elapsed "$t0" "$last")
  [ "$status" = ok ] || secs=
  res "s2.$c.seconds" "$secs"
  res "s2.$c.status" "$status"
  res "s2.$c.archived" "$count"
  res "s2.$c.failed_calls" "$failed"
  res "s2.$c.stored_bytes" "$(du -sb "$(store_of "$c" "$d" "$tag")" | cut -f1)"
  record_monitor "s2.$c" "$d/monitor.json"
  if [ "$(archiver_of "$c")" = wale ]; then
    res "s2.$c.daemon_hwm_kb" "$(daemon_hwm_kb)"
    res "s5.wale_ed.s2_$c" "$(daemon_hwm_kb)"
    daemon_status "${STORE_ENV[@]}" > "$W/out/s2-$c-status.json" || true
  fi
  log "  $c: $count archived in ${secs:-?} s ($status), $failed failed calls, CPU busy $(json_get "$d/monitor.json" 'j["machine_cpu_pct"]["busy"]') %"
  pg_stop "$data" immediate
  finish_candidate
  cp "$d/monitor.json" "$W/out/s2-$c-monitor.json"
  rm -rf "$d"
  [ "$c" = wale_s3 ] && rm -rf "$(store_of "$c" "$d" "$tag")"
  return 0
}

# The CPU limit of the default codec: lzop -1 as two processes, each over
# half of the same segments, output discarded; then the same writing .lzo
# files and syncing them (what a store on this disk adds).
lzop_limit() {
  local d=$W/s2/lzop half t0 t1 t2
  rm -rf "$d"; mkdir -p "$d/a" "$d/b"
  half=$(( (${#DRAIN_SEGS[@]} + 1) / 2 ))
  local a=() b=() i
  for i in "${!DRAIN_SEGS[@]}"; do
    if [ "$i" -lt "$half" ]; then a+=("$W/gen/pg_wal/${DRAIN_SEGS[$i]}"); else b+=("$W/gen/pg_wal/${DRAIN_SEGS[$i]}"); fi
  done
  log "scenario 2: lzop -1 as two processes (CPU limit)"
  prepare_cache "${a[@]}" "${b[@]}"
  start_monitor "$d/monitor.json"
  t0=$(now)
  (cd "$d" && as_user lzop -1 -c "${a[@]}" > /dev/null) &
  local p1=$!
  (cd "$d" && as_user lzop -1 -c "${b[@]}" > /dev/null) &
  local p2=$!
  wait $p1 $p2
  t1=$(now)
  stop_monitor
  res s2.lzop2.seconds "$(elapsed "$t0" "$t1")"
  res s2.lzop2.status ok
  record_monitor s2.lzop2 "$d/monitor.json"
  log "  lzop -1 ×2 → /dev/null: $(elapsed "$t0" "$t1") s"
  chown "$RUN_USER": "$d/a" "$d/b"
  prepare_cache "${a[@]}" "${b[@]}"
  start_monitor "$d/monitor2.json"
  t0=$(now)
  (cd "$d" && as_user lzop -1 --path="$d/a" "${a[@]}") &
  p1=$!
  (cd "$d" && as_user lzop -1 --path="$d/b" "${b[@]}") &
  p2=$!
  wait $p1 $p2
  sync
  t2=$(now)
  stop_monitor
  res s2.lzop2_files.seconds "$(elapsed "$t0" "$t2")"
  res s2.lzop2_files.status ok
  res s2.lzop2_files.stored_bytes "$(du -sb "$d/a" "$d/b" | awk '{s += $1} END {print s}')"
  record_monitor s2.lzop2_files "$d/monitor2.json"
  log "  lzop -1 ×2 → files + sync: $(elapsed "$t0" "$t2") s"
  rm -rf "$d"
}

scenario_2() {
  mkdir -p "$W/s2"; chown "$RUN_USER": "$W/s2"
  # The archive module drains too when this build has it (module/).
  WITH_MODULE=
  if [ -f "$MODULE_DIR/wal_e_archive.so" ]; then WITH_MODULE=1; else log "scenario 2: no $MODULE_DIR/wal_e_archive.so: the archive module is not measured"; fi
  res s2.segments "${#DRAIN_SEGS[@]}"
  local round c
  for ((round = 0; round < REPEAT; round++)); do
    log "scenario 2: round $((round + 1)) of $REPEAT"
    for c in $(rotate "$round" lzop wale pgbr_async cp pgbr_sync wale_user pgbr_user wale_s3 ${WITH_MODULE:+wale_module wale_module_user}); do
      drains "$c" || continue
      if [ "$c" = lzop ]; then lzop_limit; else drain_run "$c"; fi
    done
    if [ "$round" = 0 ]; then
      for c in wale_inproc wale_floor wale_user_floor; do
        if drains "$c"; then drain_run "$c"; fi
      done
    fi
  done
}

# --- scenario 3: live load ------------------------------------------------------------------------

live_run() {
  local c=$1 d=$W/s3/$1 data cmd
  log "scenario 3: $c under pgbench for $LOAD_SECS s"
  rm -rf "$d"; mkdir -p "$d"; chown "$RUN_USER": "$d"
  data=$d/data
  cp -a "$W/base" "$data"
  # The base's own segments count as archived: the backlog starts at 0.
  local f
  for f in "$data"/pg_wal/archive_status/*.ready; do [ -e "$f" ] && mv "$f" "${f%.ready}.done"; done
  archive_command_for "$c" "$data" "$d" "s3-$c"
  cmd=$ARCHIVE_CMD
  pg_set "$data" "max_wal_size = 96MB"
  pg_set "$data" "min_wal_size = 32MB"
  pg_set "$data" "archive_command = '$cmd'"
  pg_start "$data" "${STORE_ENV[@]}"
  prepare_cache "$data"
  start_monitor "$d/monitor.json" --ready-dir "$data/pg_wal/archive_status"
  pgbench_run -c 4 -j 2 -T "$LOAD_SECS" -n > "$d/pgbench.log" 2>&1
  # After the load: how long until the backlog is gone.
  local t0=$SECONDS end=$((SECONDS + 600)) drained=
  psql_q "SELECT pg_switch_wal()" > /dev/null
  while [ "$(ready_count "$data")" -gt 0 ] && [ $SECONDS -lt $end ]; do sleep 0.2; done
  [ "$(ready_count "$data")" -eq 0 ] && drained=$((SECONDS - t0))
  stop_monitor
  res "s3.$c.max_ready" "$(json_get "$d/monitor.json" 'j["max_ready"]')"
  res "s3.$c.median_ready" "$(json_get "$d/monitor.json" 'j["median_ready"]')"
  res "s3.$c.tps" "$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$d/pgbench.log" | head -n 1)"
  res "s3.$c.archived" "$(psql_q "SELECT archived_count FROM pg_stat_archiver")"
  res "s3.$c.failed_calls" "$(psql_q "SELECT failed_count FROM pg_stat_archiver")"
  res "s3.$c.drain_after_s" "$drained"
  record_monitor "s3.$c" "$d/monitor.json"
  if [ "$c" = wale ]; then res s3.wale.daemon_hwm_kb "$(daemon_hwm_kb)"; res s5.wale_ed.s3 "$(daemon_hwm_kb)"; fi
  log "  $c: largest backlog $(json_get "$d/monitor.json" 'j["max_ready"]') segments, $(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$d/pgbench.log" | head -n 1) tps, $(psql_q "SELECT archived_count FROM pg_stat_archiver") archived"
  pg_stop "$data" immediate
  finish_candidate
  cp "$d/monitor.json" "$W/out/s3-$c-monitor.json"
  rm -rf "$d"
}

scenario_3() {
  mkdir -p "$W/s3"; chown "$RUN_USER": "$W/s3"
  res s3.seconds "$LOAD_SECS"
  local c
  for c in wale pgbr_async pgbr_sync cp; do live_run "$c"; done
}

# --- scenario 4: recovery -------------------------------------------------------------------------

scenario_4() {
  local d=$W/s4 first last seg i
  mkdir -p "$d/src/pg_wal/archive_status" "$d/src/global"
  first=$(seg_number "$REDO_SEG")
  last=$((first + N_RECOVERY - 1))
  REC_SEGS=()
  for ((i = first; i <= last; i++)); do
    seg=$(seg_name $i)
    [ -f "$W/gen/pg_wal/$seg" ] || die "segment $seg is missing from the generated WAL"
    ln "$W/gen/pg_wal/$seg" "$d/src/pg_wal/$seg"
    touch "$d/src/pg_wal/archive_status/$seg.ready"
    REC_SEGS+=("$seg")
  done
  cp "$W/gen/global/pg_control" "$d/src/global/"; cp "$W/gen/PG_VERSION" "$d/src/"
  chown -R "$RUN_USER": "$d"
  # Recovery stops at the first record 15 MiB into the last segment: every
  # one of the N segments is needed, the next one is not (PostgreSQL's own
  # WAL read-ahead looks 512 kB ahead).
  TARGET_LSN=$(as_user "$PG_BIN/pg_waldump" -p "$d/src/pg_wal" -s "$(lsn_of $((last * SEG + 15 * 1048576)))" -n 1 2> /dev/null \
    | sed -n 's/.*lsn: \([0-9A-F]*\/[0-9A-F]*\),.*/\1/p')
  [ -n "$TARGET_LSN" ] || die "no WAL record found in the last recovery segment"
  res s4.segments "$N_RECOVERY"
  res s4.max_wal_size "$S4_MAX_WAL_SIZE"
  res s4.setups "$S4_SETUPS"
  res s4.target "$REDO_SEG … $(seg_name $last), up to $TARGET_LSN"

  log "scenario 4: filling the stores with $N_RECOVERY segments"
  [ -n "${S3_PORT:-}" ] || die "the S3 peer is not running"
  local wale_file=(WALE_FILE_PREFIX="file://localhost$d/wale-store" WALE_LOG_DESTINATION=stderr)
  local wale_s3=(WALE_S3_PREFIX="s3://$S3_BUCKET/wale" "${S3_DAEMON_ENV[@]}")
  mkdir -p "$d/wale-store"; chown "$RUN_USER": "$d/wale-store"
  local envset
  for envset in file s3; do
    local -n e=wale_$envset
    start_daemon "s4-fill-$envset" "${e[@]}"
    for seg in "${REC_SEGS[@]}"; do
      (cd "$d/src" && as_user env "${e[@]}" WALE_SOCKET="$DAEMON_SOCKET" "$BIN/wal-e" wal-push "pg_wal/$seg" 2>> "$W/logs/s4-fill.log") \
        || die "filling the wal-e $envset store failed at $seg"
    done
    stop_daemon
    unset -n e
  done
  mkdir -p "$d/pgbr-fill"
  cp -a "$W/pgbr-template/repo" "$d/pgbr-repo"
  pgbr_conf "$d/pgbr-fill/posix.conf" "$d/src" posix "$d/pgbr-repo" n
  pgbr_conf "$d/pgbr-fill/s3.conf" "$d/src" s3 /pgbr n
  for envset in posix s3; do
    printf '%s\n' "${REC_SEGS[@]}" | (cd "$d/src/pg_wal" && as_user xargs -P 2 -I{} pgbackrest --config="$d/pgbr-fill/$envset.conf" --stanza=bench archive-push "$d/src/pg_wal/{}") \
      >> "$W/logs/s4-fill.log" 2>&1 || die "filling the pgBackRest $envset repository failed"
  done
  rm -f "$d"/src/pg_wal/archive_status/*.ready

  # One recovery: a copy of the base with an empty pg_wal and standby.signal.
  # The tuned set-up (results under s4.): PostgreSQL with fsync off and
  # max_wal_size = $S4_MAX_WAL_SIZE, the run's inputs read once before it,
  # the store in the postmaster's environment. The user's (under s4u.):
  # PostgreSQL's defaults (fsync on, max_wal_size 1GB), only a sync before
  # the run, wal-ed with nothing but its store (its log where a daemon's
  # goes), and restore_command = 'envdir DIR wal-e wal-fetch %f %p' with
  # what a user's /etc/wal-e.d/env holds.
  recovery_run() {  # recovery_run SETUP STORE CANDIDATE
    local setup=$1 store=$2 c=$3 r=$d/rec restore t0 t1 status=ok k=s4
    [ "$setup" = user ] && k=s4u
    local tag=$k-$store-$c
    log "scenario 4 ($setup set-up): $c from $store"
    rm -rf "$r"; cp -a "$W/base" "$r"
    rm -rf "$r"/pg_wal/0* "$r"/pg_wal/archive_status/*
    touch "$r/standby.signal"
    local env=()
    case $c in
      wale)
        local -n e=wale_$store
        if [ "$setup" = user ]; then
          local v plain=()
          for v in "${e[@]}"; do [[ $v == WALE_LOG_DESTINATION=* ]] || plain+=("$v"); done
          start_daemon_plain "$k-$store" "${plain[@]}"
          rm -rf "$d/envdir"; mkdir -p "$d/envdir"
          for v in "${plain[@]}" WALE_SOCKET="$DAEMON_SOCKET"; do printf '%s\n' "${v#*=}" > "$d/envdir/${v%%=*}"; done
          chown -R "$RUN_USER": "$d/envdir"; chmod 700 "$d/envdir"
          restore="envdir $d/envdir $BIN/wal-e wal-fetch %f %p"
        else
          start_daemon "$k-$store" "${e[@]}"
          env=("${e[@]}" WALE_SOCKET="$DAEMON_SOCKET")
          restore="$BIN/wal-e wal-fetch %f %p"
        fi
        unset -n e ;;
      pgbr_sync|pgbr_async)
        rm -rf "$d/pgbr-run"; mkdir -p "$d/pgbr-run"
        pgbr_conf "$d/pgbr-run/pgbackrest.conf" "$r" "$([ "$store" = file ] && echo posix || echo s3)" \
          "$([ "$store" = file ] && echo "$d/pgbr-repo" || echo /pgbr)" "$([ "$c" = pgbr_async ] && echo y || echo n)"
        restore="pgbackrest --config=$d/pgbr-run/pgbackrest.conf --stanza=bench archive-get %f \"%p\"" ;;
      cp)
        restore="cp $d/src/pg_wal/%f %p" ;;
    esac
    {
      echo "restore_command = '$restore'"
      echo "recovery_target_lsn = '$TARGET_LSN'"
      echo "recovery_target_action = 'shutdown'"
      echo "archive_mode = off"
      if [ "$setup" = user ]; then
        echo "fsync = on"
        echo "synchronous_commit = on"
        echo "max_wal_size = 1GB"
      else
        echo "max_wal_size = $S4_MAX_WAL_SIZE"
      fi
    } >> "$r/postgresql.conf"
    chown -R "$RUN_USER": "$r"
    if [ "$setup" = user ]; then
      sync
    else
      case $c:$store in
        wale:file) prepare_cache "$d/wale-store" "$r" ;;
        pgbr*:file) prepare_cache "$d/pgbr-repo" "$r" ;;
        *:s3) prepare_cache "$W/s3" "$r" ;;
        cp:*) prepare_cache "$d/src/pg_wal" "$r" ;;
      esac
    fi
    if [ "$store" = s3 ]; then
      start_monitor "$d/monitor.json" --pid "S3 peer (node)=$S3_PID" --pid "stunnel=$STUNNEL_PID"
    else
      start_monitor "$d/monitor.json"
    fi
    t0=$(now)
    as_user env "${env[@]}" "$PG_BIN/postgres" -D "$r" > "$W/logs/$tag.log" 2>&1 || true
    t1=$(now)
    stop_monitor
    grep -q "recovery stopping" "$W/logs/$tag.log" && grep -q "shutdown at recovery target" "$W/logs/$tag.log" \
      || status=failed
    local restored
    restored=$(grep -c 'restored log file "0000' "$W/logs/$tag.log" || true)
    res "$k.$store.$c.seconds" "$([ $status = ok ] && elapsed "$t0" "$t1")"
    res "$k.$store.$c.status" "$status"
    res "$k.$store.$c.restored" "$restored"
    record_monitor "$k.$store.$c" "$d/monitor.json"
    if [ "$c" = wale ]; then
      res "$k.$store.wale.daemon_hwm_kb" "$(daemon_hwm_kb)"
      res "s5.wale_ed.${k}_$store" "$(daemon_hwm_kb)"
      local -n e=wale_$store
      daemon_status "${e[@]}" > "$W/out/$tag-status.json" 2> /dev/null || true
      unset -n e
      res "$k.$store.wale.prefetch" "$(json_get "$W/out/$tag-status.json" '";".join(f"{k}={v}" for k, v in j["prefetch"].items())' 2> /dev/null || true)"
    fi
    log "  $c from $store: $([ $status = ok ] && elapsed "$t0" "$t1") s ($status), $restored segments restored, CPU busy $(json_get "$d/monitor.json" 'j["machine_cpu_pct"]["busy"]') %"
    finish_candidate
    cp "$d/monitor.json" "$W/out/$tag-monitor.json"
    [ "$status" = ok ] || { log "  recovery failed; its log follows"; tail -n 20 "$W/logs/$tag.log" >&2; }
    rm -rf "$r" "$d/pgbr-run" "$d/envdir"
  }
  local round run
  for ((round = 0; round < REPEAT; round++)); do
    log "scenario 4: round $((round + 1)) of $REPEAT"
    local setup
    for setup in ${S4_SETUPS//,/ }; do
      for run in $(rotate "$round" "${S4_RUNS[@]}"); do
        recovers "$run" || continue
        recovery_run "$setup" "${run%%:*}" "${run#*:}"
      done
    done
  done
}

# --- scenario 5: per-call peaks -----------------------------------------------------------------

# The long-lived processes' peaks come from the other scenarios (wal-ed's
# VmHWM at the end of each run, the sampler for pgBackRest's async
# processes). Here, every per-call archiver runs under GNU time on the
# same 10 segments, as the postgres user, from a pg_wal like PostgreSQL's.
scenario_5() {
  log "scenario 5: peak RSS of the per-call archivers"
  local d=$W/s5 seg k=10 i
  mkdir -p "$d/data/pg_wal/archive_status" "$d/data/global" "$d/store" "$d/store2" "$d/cpdir" "$d/pgbr" "$d/out"
  cp "$W/gen/global/pg_control" "$d/data/global/"; cp "$W/gen/PG_VERSION" "$d/data/"
  local segs=("${DRAIN_SEGS[@]:0:$k}")
  for seg in "${segs[@]}"; do ln "$W/gen/pg_wal/$seg" "$d/data/pg_wal/$seg"; done
  cp -a "$W/pgbr-template/repo" "$d/pgbr/repo"
  pgbr_conf "$d/pgbr/pgbackrest.conf" "$d/data" posix "$d/pgbr/repo" n
  chown -R "$RUN_USER": "$d"
  start_daemon s5 WALE_FILE_PREFIX="file://localhost$d/store"
  local wrap=$BENCH_DIR/lib/rss_wrap.sh
  local envd=(WALE_FILE_PREFIX="file://localhost$d/store" WALE_SOCKET="$DAEMON_SOCKET" WALE_LOG_DESTINATION=stderr)
  local envi=(WALE_FILE_PREFIX="file://localhost$d/store2" WALE_SOCKET="$NONE_SOCKET" WALE_LOG_DESTINATION=stderr)
  local pb=(pgbackrest --config="$d/pgbr/pgbackrest.conf" --stanza=bench)
  cd "$d/data"
  for seg in "${segs[@]}"; do
    as_user env "${envd[@]}" "$wrap" "$d/out/wale_push" "$BIN/wal-e" wal-push "pg_wal/$seg" 2> /dev/null || true
    as_user env "${envi[@]}" "$wrap" "$d/out/wale_inproc_push" "$BIN/wal-e" wal-push "pg_wal/$seg" 2> /dev/null || true
    as_user "$wrap" "$d/out/pgbr_push" "${pb[@]}" archive-push "pg_wal/$seg" 2> /dev/null || true
    as_user "$wrap" "$d/out/cp_push" cp "pg_wal/$seg" "$d/cpdir/$seg" || true
  done
  for seg in "${segs[@]}"; do
    as_user env "${envd[@]}" "$wrap" "$d/out/wale_fetch" "$BIN/wal-e" wal-fetch --prefetch 0 "$seg" pg_wal/RECOVERYXLOG 2> /dev/null || true
    as_user env "${envi[@]}" "$wrap" "$d/out/wale_inproc_fetch" "$BIN/wal-e" wal-fetch --prefetch 0 "$seg" pg_wal/RECOVERYXLOG 2> /dev/null || true
    as_user "$wrap" "$d/out/pgbr_get" "${pb[@]}" archive-get "$seg" pg_wal/RECOVERYXLOG 2> /dev/null || true
    as_user "$wrap" "$d/out/cp_get" cp "$d/cpdir/$seg" pg_wal/RECOVERYXLOG || true
  done
  cd "$W"
  local f name
  for f in "$d"/out/*; do
    name=$(basename "$f")
    res "s5.call.$name" "$(awk '$1 ~ /^[0-9]+$/ {if ($1 > m) m = $1; n++; if ($2 != 0) bad++} END {printf "%d;%d;%d", m, n, bad}' "$f")"
  done
  res s5.wale_ed.s5 "$(daemon_hwm_kb)"
  stop_daemon
  rm -rf "$d"
}

# --- the run -----------------------------------------------------------------------------------------

generate_wal
runs_scenario 1 && scenario_1
runs_scenario 2 && scenario_2
runs_scenario 3 && scenario_3
runs_scenario 4 && scenario_4
runs_scenario 5 && scenario_5
res meta.load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
res meta.wall_s $((SECONDS - SUITE_START))
cp "$W/results.tsv" "$W/out/"
mkdir -p "$(dirname "$OUT")"
if [ "$OUT" = "$BENCH_DIR/results/latest.md" ] && [ "$ONLY" = 1,2,3,4,5 ] && [ "$QUICK" = 0 ]; then
  # A full run with the default output: bench/README.md and README.md quote its summary.
  "$PY" "$BENCH_DIR/lib/report.py" "$W/results.tsv" --readme "$BENCH_DIR/README.md" "$SOURCE_DIR/README.md" > "$W/report.md"
else
  "$PY" "$BENCH_DIR/lib/report.py" "$W/results.tsv" > "$W/report.md"
fi
cp "$W/report.md" "$OUT"
cp "$W/results.tsv" "${OUT%.md}.tsv"
cat "$W/report.md"
log "done in $((SECONDS - SUITE_START)) s; report saved to $OUT"

#!/usr/bin/env bash
# Archiving and recovery throughput of every backend beside S3's, through
# wal-ed, against each backend's real peer on loopback, in one run and on
# the same WAL (issue 10's target: every backend within 25 % of S3, that is
# at least 0.75 times its throughput, in both directions).
#
# N segments of 16 MiB of pgbench WAL are made once, archiving held back,
# and the stopped cluster kept (with a copy taken before that WAL, the base).
# Then, in each of ROUNDS rounds, for each backend in turn (the order
# rotated every round), into a new prefix of its store:
#   archiving  a copy of the cluster starts with `archive_command = 'wal-e
#              wal-push %p'` through a fresh wal-ed; timed from pg_ctl start
#              until pg_stat_archiver.archived_count covers the backlog;
#   recovery   a copy of the base with an empty pg_wal, recovery.signal and
#              `restore_command = 'wal-e wal-fetch %f %p'` through a fresh
#              wal-ed; timed from pg_ctl start until it promotes at the end
#              of the archive.
# The table gives each backend's median over the rounds, the range, and
# its throughput relative to S3's. Peers: the SigV4-checking s3rver fork,
# Azurite (SharedKey checked), the Firebase storage emulator alone (no
# credentials, none of the tests' stand-ins), the OpenStack Swift
# all-in-one through Swift's own API (tempauth); see bench/lib/peers.sh.
#   bench/backends.sh [N=100] [ROUNDS=3]
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" backends
source "$(dirname "$0")/lib/archive.sh"
source "$(dirname "$0")/lib/peers.sh"
N=${1:-100}
ROUNDS=${2:-3}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
began=$SECONDS

make_ready_segments "$N"
echo "starting the peers ..." >&2
backends=(s3 azure gcs swift)
declare -A peer_pids
started() { peer_pids[$1]="${pids[*]:$2}"; }  # the processes a starter added
n=${#pids[@]}; start_s3_peer; env_s3=("${WALE_ENV[@]}"); started s3 "$n"
n=${#pids[@]}; start_azurite; env_azure=("${WALE_ENV[@]}"); started azure "$n"
n=${#pids[@]}; GCS_ANONYMOUS=1 start_gcs_emulator; env_gcs=("${WALE_ENV[@]}"); started gcs "$n"
n=${#pids[@]}; start_swift; env_swift=("${WALE_ENV[@]}"); started swift "$n"

declare -A archive_s recovery_s peer_cpu_s daemon_cpu_s
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!backends[@]}"; do
    kind=${backends[(i + round - 1) % ${#backends[@]}]}
    declare -n store_env=env_$kind
    WALE_ENV=("${store_env[@]}")
    unset -n store_env
    prefixed_env "r$round"
    echo "round $round: $kind, archiving" >&2
    # shellcheck disable=SC2086  # a list of PIDs
    peer_before=$(cpu_seconds ${peer_pids[$kind]})
    time_archiving daemon "${RUN_ENV[@]}"
    # shellcheck disable=SC2086
    peer_cpu_s[$kind]+="$(awk -v a="$(cpu_seconds ${peer_pids[$kind]})" -v b="$peer_before" 'BEGIN { printf "%.2f", a - b }') "
    daemon_cpu_s[$kind]+="$DAEMON_CPU_S "
    echo "round $round: $kind, recovery" >&2
    time_recovery "${RUN_ENV[@]}"
    echo "round $round: $kind: archiving $ARCHIVE_S s, recovery $RECOVERY_S s" >&2
    archive_s[$kind]+="$ARCHIVE_S "
    recovery_s[$kind]+="$RECOVERY_S "
  done
done

# stats "T1 T2 ...": "median min max"
stats() {
  tr ' ' '\n' <<< "$1" | sed '/^$/d' | sort -n |
    awk '{ v[NR] = $1 } END { printf "%s %s %s\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR] }'
}
rate() { awk -v s="$1" -v n="$READY" 'BEGIN { printf "%.1f", n / s }'; }
ratio() { awk -v s3="$1" -v t="$2" 'BEGIN { printf "%.2f", s3 / t }'; }  # throughput relative to S3's
met() { awk -v a="$1" -v r="$2" 'BEGIN { print (a >= 0.75 && r >= 0.75) ? "yes" : "**no**" }'; }
declare -A name=([s3]="S3 (s3rver fork $(node -p "require('$PEERS_DIR/node_modules/@20minutes/s3rver/package.json').version"))"
                 [azure]="Azure (Azurite $(node -p "require('$PEERS_DIR/node_modules/azurite/package.json').version"))"
                 [gcs]="GCS (Firebase storage emulator, firebase-tools $(node -p "require('$PEERS_DIR/node_modules/firebase-tools/package.json').version"))"
                 [swift]="Swift (all-in-one $(dpkg-query -W -f '${Version}' swift-proxy), Swift API)")
read -r s3_arch _ _ <<< "$(stats "${archive_s[s3]}")"
read -r s3_rec _ _ <<< "$(stats "${recovery_s[s3]}")"
cat <<REPORT
$(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/backends.sh $N $ROUNDS\`: $READY segments of 16 MiB (pgbench WAL, $((READY * 16)) MiB), through wal-ed over HTTP on loopback, $ROUNDS round(s), order rotated

* machine: $(nproc) × $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r)
* load average (1, 5, 15 min) before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg); wall time $(( (SECONDS - began + 30) / 60 )) min
* wal-e $(git -C "$here" describe --always --dirty 2> /dev/null || echo "(not a git checkout)"), $BIN; node $(node --version)
* archiving: from pg_ctl start until pg_stat_archiver.archived_count = $READY; recovery: from pg_ctl start of the base until it promotes (restore_command through wal-ed)

| backend | archive s (median, range) | segments/s | vs S3 | archiving CPU s: peer, wal-ed | recovery s (median, range) | segments/s | vs S3 | target | met |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |
REPORT
for kind in "${backends[@]}"; do
  read -r a a_min a_max <<< "$(stats "${archive_s[$kind]}")"
  read -r r r_min r_max <<< "$(stats "${recovery_s[$kind]}")"
  a_ratio=$(ratio "$s3_arch" "$a") r_ratio=$(ratio "$s3_rec" "$r")
  if [ "$kind" = s3 ]; then target="(the reference)" ok=—; else target="≥ 0.75× S3 both ways"; ok=$(met "$a_ratio" "$r_ratio"); fi
  read -r peer_cpu _ _ <<< "$(stats "${peer_cpu_s[$kind]}")"
  read -r daemon_cpu _ _ <<< "$(stats "${daemon_cpu_s[$kind]}")"
  echo "| ${name[$kind]} | $a ($a_min–$a_max) | $(rate "$a") | ${a_ratio}× | $peer_cpu, $daemon_cpu | $r ($r_min–$r_max) | $(rate "$r") | ${r_ratio}× | $target | $ok |"
done
echo
echo '"vs S3": S3'"'"'s median time ÷ the backend'"'"'s (its throughput relative to S3'"'"'s; 0.75 = 25 % slower).'
echo '"archiving CPU s": medians of the CPU seconds (user + system) the peer'"'"'s processes and wal-ed used while archiving.'

#!/usr/bin/env bash
# Archiving throughput to OpenStack Swift beside S3, through wal-ed, in one
# run: N segments of 16 MiB already .ready (pgbench WAL), archived from the
# same snapshot to
#   - the S3 peer of s3_archive_throughput.sh (the SigV4-checking s3rver fork),
#   - the Swift all-in-one (tests/peers/swift_aio.sh) through Swift's own
#     API (tempauth, the swift:// backend),
#   - the same all-in-one through its S3 API (s3api, the s3:// backend),
# each into an empty bucket or container, timed until pg_stat_archiver has
# them all; ROUNDS rounds, the median of each reported.
#   bench/swift_archive_throughput.sh [N=200] [ROUNDS=1]
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" swift
source "$(dirname "$0")/lib/archive.sh"
N=${1:-200}
ROUNDS=${2:-1}
trap archive_cleanup EXIT
make_ready_segments "$N"

"$here/tests/peers/swift_aio.sh" start "$W/swift" || exit 1
for f in "$W"/swift/run/*.pid; do pids+=("$(cat "$f")"); done
swift_port=$(sed -n 's/^proxy=//p' "$W/swift/ports")
s3_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(curl -sfi -H "X-Auth-User: test:tester" -H "X-Auth-Key: testing" "http://127.0.0.1:$swift_port/auth/v1.0" | tr -d '\r' |
  sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
new_container() {  # prints the name of a new, empty container
  local name=wal$RANDOM$RANDOM
  curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $token" "http://127.0.0.1:$swift_port/v1/AUTH_test/$name" && echo "$name"
}

run() {  # run s3|swift|s3api: prints seconds until everything is archived through wal-ed
  local c
  case $1 in
    s3)
      rm -rf "$W/s3"
      start_s3rver_fork "$W/s3" "$s3_port"
      time_archiving daemon WALE_S3_PREFIX=s3://walbkt/archive WALE_S3_ENDPOINT="http+path://127.0.0.1:$s3_port" \
        AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
      kill "$S3RVER_PID"
      wait "$S3RVER_PID" 2> /dev/null || true ;;
    swift)
      c=$(new_container)
      time_archiving daemon WALE_SWIFT_PREFIX="swift://$c/archive" SWIFT_AUTHURL="http://127.0.0.1:$swift_port/auth/v1.0" \
        SWIFT_USER=test:tester SWIFT_PASSWORD=testing SWIFT_AUTH_VERSION=1 ;;
    s3api)
      c=$(new_container)
      time_archiving daemon WALE_S3_PREFIX="s3://$c/archive" WALE_S3_ENDPOINT="http+path://127.0.0.1:$swift_port" \
        AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 ;;
  esac
}

declare -A times=([s3]="" [swift]="" [s3api]="")
for round in $(seq 1 "$ROUNDS"); do
  for store in s3 swift s3api; do
    echo "round $round: $store" >&2
    times[$store]+="$(run "$store") "
  done
done
median() { tr ' ' '\n' <<< "$1" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
s3_s=$(median "${times[s3]}")
swift_s=$(median "${times[swift]}")
s3api_s=$(median "${times[s3api]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
cat <<REPORT
machine: $(machine)
$READY segments of 16 MiB (pgbench WAL), archived through wal-ed over HTTP on loopback; median of $ROUNDS round(s) (all: s3 ${times[s3]}| swift ${times[swift]}| s3api ${times[s3api]})

| store (backend) | seconds | throughput | throughput vs the s3rver fork |
| --- | ---: | --- | ---: |
| s3rver fork (s3://) | $s3_s | $(archive_rate "$s3_s") | 1.00 |
| Swift all-in-one, Swift API (swift://) | $swift_s | $(archive_rate "$swift_s") | $(ratio "$swift_s" "$s3_s") |
| Swift all-in-one, s3api (s3://) | $s3api_s | $(archive_rate "$s3api_s") | $(ratio "$s3api_s" "$s3_s") |
REPORT

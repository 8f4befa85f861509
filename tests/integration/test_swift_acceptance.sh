#!/usr/bin/env bash
# Acceptance (Swift): the scenario every backend passes (backend_acceptance.sh)
# against the Swift all-in-one through Swift's own API (tempauth v1):
# archiving and a backup under pgbench, outage, 503 and 500 periods, wrong
# credentials (SWIFT_PASSWORD), nothing lost, PITR from the store alone, a
# 20 MiB Static Large Object and an abandoned one, verify/delete/verify
# with listings in pages of 7.
# CI: release build only (Swift's own code runs under the sanitizers through its other tests).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
source "$(dirname "$0")/backend_acceptance.sh"
start_swift
backend_acceptance
# Partitions larger than a segment (8 MiB) were Static Large Objects: the
# delete took their segments with them, the kept backup's are all in use.
segments=$(curl -sf -H "X-Auth-Token: $(swift_token)" "http://127.0.0.1:$SWIFT_PORT/v1/AUTH_test/${SWIFT_CONTAINER}_segments?format=json" |
  "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')
[ "$segments" -gt 0 ] || fail "no partition was large enough to be a Static Large Object"
[ -z "$(peer_orphans)" ] || { peer_orphans >&2; fail "segments outlived their objects"; }
log "$segments segments left, all belonging to the kept backup's partitions"
log PASS

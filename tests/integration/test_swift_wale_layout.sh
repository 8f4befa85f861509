#!/usr/bin/env bash
# Acceptance (Swift, interoperability, in-process): the real WAL-E archive
# of tests/fixtures/wale-archive-1, put into Swift the way WAL-E's Swift
# backend names objects ("/" + path prefix + key: the request path is
# /v1/AUTH_test/walbkt//archive/wal_005/...), is listed by backup-list and
# restored by backup-fetch and wal-fetch to expected.json's data; what
# wal-push stores has exactly such a name and comes back from wal-fetch;
# all with no daemon. A large object (Static Large Object, segments in
# walbkt_segments) reads back whole with a plain GET, as WAL-E's
# python-swiftclient reads objects, and its deletion takes its segments.
# Through a proxy without the bulk middleware, deletes are single DELETEs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
source "$(dirname "$0")/wale_fixture.sh"
start_swift
token=$(swift_token)
container_url=http://127.0.0.1:$SWIFT_PORT/v1/AUTH_test/$SWIFT_CONTAINER
names() {  # the object names of a container, one a line
  curl -sf -H "X-Auth-Token: $token" "$container_url${1:-}?format=json" | "$PY" -c 'import json, sys; [print(o["name"]) for o in json.load(sys.stdin)]'
}

log "WAL-E's archive, as WAL-E's Swift backend would have stored it"
# A young all-in-one may answer 503 while its object servers start: curl retries those.
(cd "$WALE_FIXTURE" && find basebackups_005 wal_005 -type f) | while read -r key; do
  curl -sf --retry 5 --retry-delay 1 -o /dev/null -X PUT -H "X-Auth-Token: $token" -H "ETag: $(md5sum < "$WALE_FIXTURE/$key" | cut -d' ' -f1)" \
    -T "$WALE_FIXTURE/$key" "$container_url//archive/$key" || fail "cannot upload $key"
done
[ "$(names | grep -c '^/archive/')" = "$(cd "$WALE_FIXTURE" && find basebackups_005 wal_005 -type f | wc -l)" ] || fail "the upload is incomplete"

wal_e backup-list > "$T/list.tsv" 2> "$T/list.err" || { cat "$T/list.err" >&2; fail "backup-list failed"; }
grep -qP '^base_00000001000000000000000F_00000040\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\t' "$T/list.tsv" \
  || { cat "$T/list.tsv" >&2; fail "backup-list does not show WAL-E's backup with Swift's timestamp"; }
restore_fixture_targets end_of_archive

log "wal-push and wal-fetch in-process write and read WAL-E's names"
data=$T/data
mkdir -p "$data/pg_wal/archive_status"
make_segment "$data/pg_wal/000000010000000000000042" 000000010000000000000042
chown -R "$TEST_USER": "$data"
(cd "$data" && wal_e wal-push pg_wal/000000010000000000000042) 2> "$T/push.err" || { cat "$T/push.err" >&2; fail "wal-push failed"; }
names | grep -qx '/archive/wal_005/000000010000000000000042.lzo' || { names >&2; fail "wal-push did not store /archive/wal_005/000000010000000000000042.lzo"; }
curl -sf -H "X-Auth-Token: $token" "$container_url//archive/wal_005/000000010000000000000042.lzo" | lzop -dc | cmp -s - "$data/pg_wal/000000010000000000000042" \
  || fail "the pushed object is not the segment, lzop-compressed"
(cd "$data" && wal_e wal-fetch 000000010000000000000042 pg_wal/fetched) 2> "$T/fetch.err" || { cat "$T/fetch.err" >&2; fail "wal-fetch failed"; }
cmp -s "$data/pg_wal/fetched" "$data/pg_wal/000000010000000000000042" || fail "wal-fetch gave other bytes"

log "a large object is a Static Large Object that a plain GET reads whole"
head -c $((5 * 1024 * 1024 + 4321)) /dev/urandom > "$T/big"
chmod 0644 "$T/big"
WALE_ENV+=(WALE_SWIFT_SEGMENT_SIZE=1048576)
probe stream-put basebackups_005/big < "$T/big" 2> /dev/null || fail "stream-put failed"
curl -sfD "$T/big.headers" -H "X-Auth-Token: $token" "$container_url//archive/basebackups_005/big" | cmp -s - "$T/big" || fail "a plain GET of the large object differs"
grep -qi '^X-Static-Large-Object: True' "$T/big.headers" || fail "the large object is not a Static Large Object"
assert_eq "$(names _segments | grep -c '^archive/basebackups_005/big/slo/')" 6 "segments of the large object"
[ -z "$(peer_orphans)" ] || fail "segments of a committed object are reported as orphans"
echo basebackups_005/big | probe delete 2> /dev/null
assert_eq "$(names _segments | wc -l)" 0 "segments left after deleting the large object"
names | grep -q '/archive/basebackups_005/big' && fail "the large object survived its deletion"

log "a cluster without the bulk middleware: deletes go one by one"
nobulk_port=$(free_port)
sed -e "s/^bind_port = $SWIFT_PORT\$/bind_port = $nobulk_port/" -e '/^pipeline/s/ bulk / /' "$SWIFT_DIR/etc/proxy-server.conf" > "$SWIFT_DIR/etc/proxy-nobulk.conf"
swift-proxy-server "$SWIFT_DIR/etc/proxy-nobulk.conf" > "$SWIFT_DIR/log/proxy-nobulk.out" 2>&1 &
remember_pid $!
wait_for 60 curl -sf -o /dev/null "http://127.0.0.1:$nobulk_port/healthcheck" || fail "the second proxy did not come up"
curl -sf "http://127.0.0.1:$nobulk_port/info" | grep -q bulk_delete && fail "the second proxy still offers bulk delete"
WALE_ENV=("${WALE_ENV[@]/#SWIFT_AUTHURL=*/SWIFT_AUTHURL=http://127.0.0.1:$nobulk_port/auth/v1.0}")
probe put-many wal_005/gone 3 2> /dev/null
probe list wal_005/gone 2> /dev/null | cut -f1 | probe delete 2> /dev/null || fail "delete without bulk delete failed"
[ -z "$(probe list wal_005/gone 2> /dev/null)" ] || fail "objects survived their one-by-one deletion"
wait_for 10 test "$(grep -c "proxy-server: .*DELETE /v1/AUTH_test/$SWIFT_CONTAINER//archive/wal_005/gone0000[0-2] HTTP/1.0 204" "$SWIFT_DIR/log/swift.log")" = 3 \
  || fail "the objects were not deleted with a DELETE each"
log PASS

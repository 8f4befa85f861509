#!/usr/bin/env bash
# Acceptance (S3): a multipart upload of an object larger than 5 parts
# round-trips byte for byte, and an abandoned one is aborted so that no
# parts are left behind (Swift's s3api: real multipart, ListMultipartUploads
# and Abort). Also: virtual-host addressing (Host: bucket.s3.localhost).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
start_swift_s3
WALE_ENV+=(WALE_S3_PART_SIZE=5242880 WALE_S3_PART_CONCURRENCY=3)

head -c $((28 * 1024 * 1024 + 12345)) /dev/urandom > "$T/big"
chmod 0644 "$T/big"
probe stream-put big/object < "$T/big" 2> "$T/put.err" || { cat "$T/put.err" >&2; fail "multipart upload failed"; }
probe get big/object 2> /dev/null | cmp -s - "$T/big" || fail "the multipart object does not round-trip"
size=$(probe head big/object 2> /dev/null | sed -n 's/^size\t//p')
assert_eq "$size" "$(stat -c %s "$T/big")" "size of the multipart object"
log "a $size-byte object went up in $(( (size + 5242879) / 5242880 )) parts and came back intact"
[ -z "$(probe uploads 2> /dev/null)" ] || fail "a completed upload is still listed as in progress"

probe stream-abandon big/abandoned $((12 * 1024 * 1024)) < "$T/big" 2> /dev/null || fail "stream-abandon failed"
[ -z "$(probe uploads 2> /dev/null)" ] || { probe uploads >&2; fail "the abandoned upload left parts behind"; }
probe head big/abandoned > /dev/null 2>&1 && fail "the abandoned upload created an object"
log "the abandoned upload was aborted: no object, no upload in progress"

log "virtual-host addressing"
for i in "${!WALE_ENV[@]}"; do
  [[ "${WALE_ENV[$i]}" == WALE_S3_ENDPOINT=* ]] && WALE_ENV[$i]="WALE_S3_ENDPOINT=http+virtualhost://s3.localhost:$SWIFT_PORT"
done
echo "hello" | probe put vhost/object 2> /dev/null || fail "a virtual-host PUT failed"
assert_eq "$(probe get vhost/object 2> /dev/null)" hello "virtual-host GET"
log PASS

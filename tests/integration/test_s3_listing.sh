#!/usr/bin/env bash
# Acceptance (S3): listings of more than 1000 keys follow continuation
# tokens, and batch deletion of more than 1000 keys goes in DeleteObjects
# requests of at most 1000 (Swift's s3api enforces the limit and demands
# Content-MD5; the s3rver fork is checked too).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"

check_listing() {  # check_listing PEER COUNT
  local peer=$1 count=$2
  probe put-many "many/k" "$count" 2> /dev/null || fail "$peer: writing $count objects failed"
  local listed
  listed=$(probe list many/ 2> /dev/null | wc -l)
  assert_eq "$listed" "$count" "$peer: keys listed"
  probe list many/ 2> /dev/null | cut -f1 | sort -c || fail "$peer: the listing is not in key order"
  probe list many/ 2> /dev/null | cut -f1 | probe delete 2> "$T/delete.err" || { cat "$T/delete.err" >&2; fail "$peer: batch delete failed"; }
  assert_eq "$(probe list many/ 2> /dev/null | wc -l)" 0 "$peer: keys left after deleting"
  log "$peer: listed and deleted $count keys"
}

start_s3_peer
check_listing "s3rver fork" 2100
start_swift_s3
check_listing "swift s3api" 1100
log PASS

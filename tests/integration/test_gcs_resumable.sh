#!/usr/bin/env bash
# Google Cloud Storage resumable uploads (the streaming writer that
# base-backup partitions go through), driven through the storage interface
# with wale-store-probe:
#  1. against the Firebase storage emulator alone, which finishes a
#     resumable session at its first chunk: an upload in chunks fails with a
#     one-line error and leaves no object; an object of one chunk goes up in
#     a single request; an http:// endpoint without credentials goes anonymous;
#  2. against fake_gcs_resumable_chunks.js in front of the emulator (what
#     GCS does with chunks, written here since no local server does it),
#     made to keep only half of some chunks, to lose the answer to others
#     and to lose some chunks whole: 20 MiB in 1 MiB chunks round-trips,
#     the writer having asked the session for its status and sent again
#     what it lacked; an
#     abandoned upload cancels its session and leaves no object.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
head -c $((20 * 1024 * 1024 + 4321)) /dev/urandom > "$T/big"
chmod 0644 "$T/big"
chunked() { as_user env "${WALE_ENV[@]}" WALE_GS_CHUNK_SIZE=1048576 "$BIN/wale-store-probe" "$@"; }

log "1. the emulator alone"
GCS_REAL_EMULATOR_ONLY=1 start_gcs_emulator
! chunked stream-put big/object < "$T/big" 2> "$T/err" || fail "an upload in chunks to the emulator alone succeeded"
grep -qE "^wale-store-probe: the store finished the resumable upload of gs://$GCS_BUCKET/archive/big/object after 1048576 bytes, before its end.*WALE_GS_CHUNK_SIZE" "$T/err" \
  || { cat "$T/err" >&2; fail "no clear error for the emulator's early end of a chunked upload"; }
[ -z "$(probe list big/ 2> /dev/null)" ] || fail "the failed upload left an object behind"
head -c 1000000 "$T/big" > "$T/small"
chunked stream-put big/small < "$T/small" 2> /dev/null || fail "an object of one chunk did not go up in one request"
probe get big/small 2> /dev/null | cmp -s - "$T/small" || fail "the one-chunk object does not round-trip"
# The emulator alone takes anonymous requests, and an http:// endpoint
# without credentials makes none.
issued=$(gcs_tokens_issued)
as_user env WALE_GS_PREFIX="gs://$GCS_BUCKET/archive" WALE_GS_ENDPOINT="http://127.0.0.1:$GCS_PORT" "$BIN/wale-store-probe" get big/small 2> /dev/null \
  | cmp -s - "$T/small" || fail "an anonymous read from the emulator failed"
[ "$(gcs_tokens_issued)" = "$issued" ] || fail "an emulator endpoint without credentials asked for a token"
log "chunks: a clear error and no object; one chunk: stored whole; anonymous reads work"
kill "$GCS_PID"
unset GCS_PORT

log "2. chunks kept in part, answers lost, chunks lost"
FAKE_GCS_KEEP_HALF=1 FAKE_GCS_LOSE_ANSWER=3 FAKE_GCS_LOSE_CHUNK=7 start_gcs_emulator
chunked stream-put big/object < "$T/big" 2> "$T/put.err" || { cat "$T/put.err" >&2; fail "the resumable upload failed"; }
probe get big/object 2> /dev/null | cmp -s - "$T/big" || fail "the object does not round-trip"
stats=$(curl -sf "http://127.0.0.1:$GCS_PORT/_fake/stats")
log "the fake's counts: $stats"
count() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$stats" "$1"; }
[ "$(count halves_kept)" -gt 0 ] && [ "$(count answers_lost)" -gt 0 ] && [ "$(count chunks_lost)" -gt 0 ] \
  && [ "$(count status_queries)" -ge $(( $(count answers_lost) + $(count chunks_lost) )) ] \
  || fail "the faults did not happen, or the writer did not ask the session for its status after them"
[ "$(count finished)" = 1 ] || fail "expected one finished session"
chunked stream-abandon big/abandoned $((12 * 1024 * 1024)) < "$T/big" 2> /dev/null || fail "stream-abandon failed"
probe head big/abandoned > /dev/null 2>&1 && fail "the abandoned upload created an object"
[ -z "$(peer_orphans)" ] || { peer_orphans >&2; fail "the abandoned upload left its session open"; }
stats=$(curl -sf "http://127.0.0.1:$GCS_PORT/_fake/stats")
[ "$(count cancelled)" = 1 ] || fail "the abandoned upload did not cancel its session"
log "20 MiB round-tripped through partial chunks, lost answers and lost chunks; the abandoned upload cancelled its session"
log PASS

#!/usr/bin/env bash
# Google Cloud Storage credentials, against the Firebase storage emulator
# and fake_gcs_token_endpoint.py (Google's token endpoint and the metadata
# server's token path, written here; it checks the JWT's RS256 signature
# with the account's public key, its audience, scope and times):
#  1. a service-account key: in-process wal-push, wal-fetch and backup-list;
#     every storage request carries the token the endpoint issued;
#  2. wrong key, unknown account, missing or malformed file, unreachable
#     token endpoint: exit 1 with one error line naming
#     GOOGLE_APPLICATION_CREDENTIALS, and nothing of the key printed;
#  3. the daemon shares one token among its threads and renews it before it
#     expires (a short expires_in), once;
#  4. without a key file, the metadata server's tokens (GCE_METADATA_HOST),
#     and a clear error when it cannot be reached; an emulator endpoint
#     without any credentials is reached anonymously.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
# The emulator logs every request's headers with STORAGE_EMULATOR_DEBUG.
STORAGE_EMULATOR_DEBUG=1 start_gcs_emulator
data=$T/data
mkdir -p "$data/pg_wal/archive_status"
for n in 1 2 3 4 5 6 7; do make_segment "$data/pg_wal/00000001000000000000000$n" "00000001000000000000000$n"; done
chown -R "$TEST_USER": "$data"
base=("${WALE_ENV[@]}")
endpoint=WALE_GS_ENDPOINT=http://127.0.0.1:$GCS_PORT
prefix=WALE_GS_PREFIX=gs://$GCS_BUCKET/archive
# A line of the private key, which must never be printed.
key_line=$(sed -n 5p "$WALE_SOURCE_DIR/tests/fixtures/gcs/test-service-account.key.pem")

# in_process VAR=VALUE... -- ARGS...: wal-e without a daemon, with only the
# given store configuration.
in_process() {
  local env=()
  while [ "$1" != -- ]; do env+=("$1"); shift; done
  shift
  (cd "$data" && as_user env WALE_SOCKET="$T/none.sock" WALE_LOG_DESTINATION=stderr WALE_STORE_TIMEOUT=3 "${env[@]}" "$BIN/wal-e" "$@")
}
# refused PATTERN VAR=VALUE...: an in-process wal-push fails with exit 1 and
# one error line matching PATTERN, printing nothing of the key.
refused() {
  local pattern=$1; shift
  assert_fails 1 "$pattern" in_process "$@" -- wal-push pg_wal/000000010000000000000007
  if grep -qF -- "$key_line" "$T/out" "$T/err"; then fail "the private key was printed"; fi
}
bearer_seen() { grep -qF "\"authorization\": \"Bearer $1\"" "$T/gcs-emulator.log"; }

log "1. a service-account key"
in_process "${base[@]}" -- wal-push pg_wal/000000010000000000000001 2> "$T/push.err" || { cat "$T/push.err" >&2; fail "wal-push failed"; }
[ "$(gcs_tokens_issued)" = 1 ] || fail "expected one token, the endpoint issued $(gcs_tokens_issued)"
token=$(awk '{print $3}' "$GCS_TOKEN_DIR/issued")
bearer_seen "$token" || fail "the storage requests did not carry the token $token"
in_process "${base[@]}" -- wal-fetch 000000010000000000000001 "$T/fetched" 2> "$T/fetch.err" || { cat "$T/fetch.err" >&2; fail "wal-fetch failed"; }
cmp -s "$T/fetched" "$data/pg_wal/000000010000000000000001" || fail "wal-fetch gave other bytes"
in_process "${base[@]}" -- backup-list > "$T/list.out" 2> "$T/list.err" || { cat "$T/list.err" >&2; fail "backup-list failed"; }
head -n 1 "$T/list.out" | grep -q '^name	last_modified' || fail "backup-list printed no header"
log "in-process wal-push, wal-fetch and backup-list with token $token"

log "2. wrong credentials"
refused "GOOGLE_APPLICATION_CREDENTIALS=$T/gcs-wrong-key.json.*invalid_grant \(Invalid JWT Signature\.\)" \
  "$prefix" "$endpoint" GOOGLE_APPLICATION_CREDENTIALS="$T/gcs-wrong-key.json"
log "wrong key: $(grep -E 'ERROR' "$T/err")"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["client_email"]="nobody@wal-e-test.iam.gserviceaccount.com"; json.dump(d, open(sys.argv[2], "w"))' \
  "$T/gcs-sa.json" "$T/gcs-stranger.json"
chmod 0644 "$T/gcs-stranger.json"
refused "refused the service account nobody@.*account not found.*check GOOGLE_APPLICATION_CREDENTIALS" \
  "$prefix" "$endpoint" GOOGLE_APPLICATION_CREDENTIALS="$T/gcs-stranger.json"
refused "GOOGLE_APPLICATION_CREDENTIALS='$T/absent.json' cannot be read" "$prefix" "$endpoint" GOOGLE_APPLICATION_CREDENTIALS="$T/absent.json"
echo '{"type": "service_account", "private_key": "x"' > "$T/gcs-broken.json"
chmod 0644 "$T/gcs-broken.json"
refused "GOOGLE_APPLICATION_CREDENTIALS='$T/gcs-broken.json' is not JSON" "$prefix" "$endpoint" GOOGLE_APPLICATION_CREDENTIALS="$T/gcs-broken.json"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["token_uri"]="http://127.0.0.1:1/token"; json.dump(d, open(sys.argv[2], "w"))' \
  "$T/gcs-sa.json" "$T/gcs-nowhere.json"
chmod 0644 "$T/gcs-nowhere.json"
refused "cannot reach Google's token endpoint http://127.0.0.1:1/token.*GOOGLE_APPLICATION_CREDENTIALS" \
  "$prefix" "$endpoint" GOOGLE_APPLICATION_CREDENTIALS="$T/gcs-nowhere.json"
probe head wal_005/000000010000000000000007.lzo > /dev/null 2>&1 && fail "a refused push stored something"
log "wrong, unknown, missing, malformed and unreachable credentials: one line naming GOOGLE_APPLICATION_CREDENTIALS, exit 1"

log "3. one token for the daemon, renewed before it expires"
echo 4 > "$GCS_TOKEN_DIR/expires_in"
start_daemon
(cd "$data" && wal_e wal-push pg_wal/000000010000000000000002) 2> "$T/push.err" || { cat "$T/push.err" >&2; fail "wal-push through the daemon failed"; }
before=$(gcs_tokens_issued)
echo 3600 > "$GCS_TOKEN_DIR/expires_in"
sleep 3  # past the renewal point of a 4-second token (halfway)
for n in 3 4 5; do
  (cd "$data" && wal_e wal-push pg_wal/00000001000000000000000$n) 2> "$T/push.err" || { cat "$T/push.err" >&2; fail "wal-push $n failed"; }
done
after=$(gcs_tokens_issued)
[ "$after" = $((before + 1)) ] || fail "expected the daemon to renew its token once, it fetched $((after - before)) more"
bearer_seen "$(tail -n 1 "$GCS_TOKEN_DIR/issued" | awk '{print $3}')" || fail "the renewed token was not used"
stop_daemon
log "the daemon renewed its token once ($before, then $after issued) and used the new one"

log "4. the metadata server, and no credentials at all"
in_process "$prefix" "$endpoint" GCE_METADATA_HOST="127.0.0.1:$GCS_TOKEN_PORT" -- wal-push pg_wal/000000010000000000000006 2> "$T/push.err" \
  || { cat "$T/push.err" >&2; fail "wal-push with the metadata server's credentials failed"; }
grep -q '^metadata ' "$GCS_TOKEN_DIR/issued" || fail "no token came from the metadata server"
bearer_seen "$(grep '^metadata ' "$GCS_TOKEN_DIR/issued" | tail -n 1 | awk '{print $2}')" || fail "the metadata server's token was not used"
refused "metadata server http://127.0.0.1:1 .*GOOGLE_APPLICATION_CREDENTIALS" "$prefix" "$endpoint" GCE_METADATA_HOST=127.0.0.1:1
issued=$(gcs_tokens_issued)
in_process "$prefix" "$endpoint" -- wal-fetch 000000010000000000000006 "$T/fetched6" 2> "$T/fetch.err" \
  || { cat "$T/fetch.err" >&2; fail "an anonymous wal-fetch from the emulator failed"; }
[ "$(gcs_tokens_issued)" = "$issued" ] || fail "an emulator endpoint without credentials asked for a token"
log "metadata-server tokens work; an unreachable one names GOOGLE_APPLICATION_CREDENTIALS; the emulator alone needs none"
log PASS

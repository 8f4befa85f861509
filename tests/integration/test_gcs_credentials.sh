#!/usr/bin/env bash
# Google Cloud Storage credentials, against the Firebase storage emulator
# behind fake_gcs_auth.js (which refuses requests without a live token) and
# fake_gcs_token_endpoint.py (Google's token endpoint and the metadata
# server's token path, written here; it checks the JWT's RS256 signature
# with the account's public key, its audience, scope and times):
#  1. a service-account key: in-process wal-push, wal-fetch and backup-list,
#     one token each, no request refused;
#  2. wrong key, unknown account, missing or malformed file, unreachable
#     token endpoint: exit 1 with one error line naming
#     GOOGLE_APPLICATION_CREDENTIALS, and nothing of the key printed;
#  3. the daemon shares one token among its threads and renews it before it
#     expires (a short expires_in), once, and fetches another at once when
#     the store refuses a revoked one (401);
#  4. without a key file, the metadata server's tokens (GCE_METADATA_HOST),
#     and a clear error when it cannot be reached; an endpoint that wants
#     credentials and gets none says to set GOOGLE_APPLICATION_CREDENTIALS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
start_gcs_emulator
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
last_token() { tail -n 1 "$GCS_TOKEN_DIR/issued" | awk '{print $2}'; }

log "1. a service-account key"
issued=$(gcs_tokens_issued)
in_process "${base[@]}" -- wal-push pg_wal/000000010000000000000001 2> "$T/push.err" || { cat "$T/push.err" >&2; fail "wal-push failed"; }
[ "$(gcs_tokens_issued)" = $((issued + 1)) ] || fail "expected one token for the push, the endpoint issued $(( $(gcs_tokens_issued) - issued ))"
token=$(last_token)
in_process "${base[@]}" -- wal-fetch 000000010000000000000001 "$T/fetched" 2> "$T/fetch.err" || { cat "$T/fetch.err" >&2; fail "wal-fetch failed"; }
cmp -s "$T/fetched" "$data/pg_wal/000000010000000000000001" || fail "wal-fetch gave other bytes"
in_process "${base[@]}" -- backup-list > "$T/list.out" 2> "$T/list.err" || { cat "$T/list.err" >&2; fail "backup-list failed"; }
head -n 1 "$T/list.out" | grep -q '^name	last_modified' || fail "backup-list printed no header"
[ "$(gcs_auth_refusals)" = 0 ] || fail "storage requests went without a valid token"
log "in-process wal-push ($token), wal-fetch and backup-list; no request refused"

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

log "3. one token for the daemon, renewed before it expires, replaced when revoked"
daemon_push() { (cd "$data" && wal_e wal-push "pg_wal/00000001000000000000000$1") 2> "$T/push.err" || { cat "$T/push.err" >&2; fail "wal-push $1 through the daemon failed"; }; }
echo 4 > "$GCS_TOKEN_DIR/expires_in"
start_daemon
daemon_push 2
before=$(gcs_tokens_issued)
echo 3600 > "$GCS_TOKEN_DIR/expires_in"
sleep 3  # past the renewal point of a 4-second token (halfway), not yet past its end
daemon_push 3
daemon_push 4
after=$(gcs_tokens_issued)
[ "$after" = $((before + 1)) ] || fail "expected the daemon to renew its token once, it fetched $((after - before)) more"
[ "$(gcs_auth_refusals)" = 0 ] || fail "the daemon sent a token past its end"
last_token >> "$GCS_TOKEN_DIR/revoked"
daemon_push 5
[ "$(gcs_tokens_issued)" = $((after + 1)) ] && [ "$(gcs_auth_refusals)" = 1 ] || fail "the daemon did not replace a refused token at once"
stop_daemon
log "the daemon renewed its token once before it expired, and replaced a revoked one after one refusal"

log "4. the metadata server, and no credentials at all"
in_process "$prefix" "$endpoint" GCE_METADATA_HOST="127.0.0.1:$GCS_TOKEN_PORT" -- wal-push pg_wal/000000010000000000000006 2> "$T/push.err" \
  || { cat "$T/push.err" >&2; fail "wal-push with the metadata server's credentials failed"; }
tail -n 1 "$GCS_TOKEN_DIR/issued" | grep -q '^metadata ' || fail "the token did not come from the metadata server"
[ "$(gcs_auth_refusals)" = 1 ] || fail "the metadata server's token was refused"
refused "metadata server http://127.0.0.1:1 .*GOOGLE_APPLICATION_CREDENTIALS" "$prefix" "$endpoint" GCE_METADATA_HOST=127.0.0.1:1
# An http:// endpoint without credentials is taken for an emulator: no token.
refused "HTTP 401 authError \(Invalid Credentials\).*the endpoint wants credentials: set GOOGLE_APPLICATION_CREDENTIALS" "$prefix" "$endpoint"
log "metadata-server tokens work; an unreachable server, or none at all, names GOOGLE_APPLICATION_CREDENTIALS"
log PASS

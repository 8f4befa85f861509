#!/usr/bin/env bash
# Acceptance (Azure, against Azurite, which checks SharedKey and SAS
# signatures): missing, malformed or wrong credentials, an expired SAS
# token, a SAS token without write permission and a missing container give
# one-line errors that name the variable and never show a secret (exit 1);
# a valid SAS token works for wal-push, wal-fetch and backup-list in-process
# and through the daemon; the account key wins when both are set.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
start_azurite
data=$T/data
segment=000000010000000000000001
mkdir -p "$data/pg_wal/archive_status"
make_segment "$data/pg_wal/$segment" "$segment"
chown -R "$TEST_USER": "$data"
key_env=("${WALE_ENV[@]}")
prefix=WALE_WABS_PREFIX=wabs://$AZURE_CONTAINER/archive
endpoint=WALE_WABS_ENDPOINT=$(azurite_endpoint "$AZURITE_PORT")
account=WABS_ACCOUNT_NAME=$AZURITE_ACCOUNT
other_key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==
secrets=("$AZURITE_KEY" "$other_key")

# in_process VAR=VALUE... -- ARGS...: wal-e in-process from $data with only
# the given Azure variables.
in_process() {
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  as_user env -C "$data" -u WALE_WABS_PREFIX -u WALE_WABS_ENDPOINT -u WABS_ACCOUNT_NAME -u WABS_ACCESS_KEY -u WABS_SAS_TOKEN \
    WALE_SOCKET="$T/no-daemon.sock" WALE_LOG_DESTINATION=stderr WALE_STORE_TIMEOUT=3 "${vars[@]}" "$BIN/wal-e" "$@"
}
# refused PATTERN VAR=VALUE...: an in-process wal-push fails with exit 1
# and one error line matching PATTERN, showing no secret.
refused() {
  local pattern=$1; shift
  assert_fails 1 "$pattern" in_process "$@" -- wal-push "pg_wal/$segment"
  local secret
  for secret in "${secrets[@]}" "${sas_sigs[@]}"; do
    if grep -qF -- "$secret" "$T/out" "$T/err"; then fail "a secret was printed"; fi
  done
  log "refused: $(grep -E 'ERROR|wal-e:' "$T/err" | sed -n 1p | sed 's/.*MSG: //')"
}
sas() { azure_blob sas "$AZURITE_ACCOUNT" "$@"; }
sig_of() { sed -n 's/.*sig=\([^&]*\).*/\1/p' <<< "$1"; }
expired=$(sas -3600)
read_only=$(sas +3600 rl)
valid=$(sas +3600)
sas_sigs=("$(sig_of "$expired")" "$(sig_of "$read_only")" "$(sig_of "$valid")")

refused "Azure needs credentials: set WABS_ACCESS_KEY .* or WABS_SAS_TOKEN" "$prefix" "$endpoint" "$account"
refused "WABS_ACCESS_KEY is not base64" "$prefix" "$endpoint" "$account" "WABS_ACCESS_KEY=not-a-key"
refused "HTTP 403 .*check WABS_ACCESS_KEY" "$prefix" "$endpoint" "$account" "WABS_ACCESS_KEY=$other_key"
refused "set WABS_ACCOUNT_NAME" "$prefix" "WABS_ACCESS_KEY=$AZURITE_KEY"
refused "HTTP 403 .*the SAS token in WABS_SAS_TOKEN expired at" "$prefix" "$endpoint" "$account" "WABS_SAS_TOKEN=$expired"
refused "HTTP 403 .*WABS_SAS_TOKEN" "$prefix" "$endpoint" "$account" "WABS_SAS_TOKEN=$read_only"
refused "WABS_SAS_TOKEN has no signature" "$prefix" "$endpoint" "$account" "WABS_SAS_TOKEN=sv=2021-08-06&sp=r"
refused "HTTP 404 ContainerNotFound.*create the container or fix WALE_WABS_PREFIX" \
  WALE_WABS_PREFIX=wabs://nosuchbox/archive "$endpoint" "$account" "WABS_ACCESS_KEY=$AZURITE_KEY"
refused "WALE_WABS_ENDPOINT='ftp://x' names the protocol" "$prefix" WALE_WABS_ENDPOINT=ftp://x "$account" "WABS_ACCESS_KEY=$AZURITE_KEY"
refused "127.0.0.1:1" "$prefix" WALE_WABS_ENDPOINT=http://127.0.0.1:1/x "$account" "WABS_SAS_TOKEN=$valid"
probe head "wal_005/$segment.lzo" > /dev/null 2>&1 && fail "a refused push stored something"
log "missing, malformed, wrong and expired credentials give one-line errors without secrets; nothing was stored"

log "a valid SAS token, in-process"
sas_env=("$prefix" "$endpoint" "$account" "WABS_SAS_TOKEN=?$valid")
in_process "${sas_env[@]}" -- wal-push "pg_wal/$segment" 2> "$T/push.err" || { cat "$T/push.err" >&2; fail "wal-push with a SAS token failed"; }
in_process "${sas_env[@]}" -- wal-fetch "$segment" "$T/fetched" 2> "$T/fetch.err" || { cat "$T/fetch.err" >&2; fail "wal-fetch with a SAS token failed"; }
cmp -s "$T/fetched" "$data/pg_wal/$segment" || fail "the segment fetched with a SAS token differs"
in_process "${sas_env[@]}" -- backup-list > "$T/list.out" 2> "$T/list.err" || { cat "$T/list.err" >&2; fail "backup-list with a SAS token failed"; }
head -n 1 "$T/list.out" | grep -q "^name" || fail "backup-list printed no header"
meta=$(probe head "wal_005/$segment.lzo" 2> /dev/null)
grep -q '^wale-xxh128' <<< "$meta" && grep -q '^wale-size	1048576' <<< "$meta" || { echo "$meta" >&2; fail "the object's metadata did not round-trip"; }
in_process "${sas_env[@]}" -- wal-push "pg_wal/$segment" 2> "$T/push2.err" || fail "pushing the same segment again failed"
grep -q "already archived with identical content" "$T/push2.err" || { cat "$T/push2.err" >&2; fail "the second push did not find the segment stored"; }

log "the account key wins over a bad SAS token"
in_process "${key_env[@]}" "WABS_SAS_TOKEN=$expired" -- wal-fetch "$segment" "$T/fetched2" 2> /dev/null || fail "the key did not win"

log "a valid SAS token through the daemon"
WALE_ENV=("${sas_env[@]}")
start_daemon
rm -f "$T/fetched"
(cd "$data" && wal_e wal-fetch "$segment" "$T/fetched" 2> "$T/daemon-fetch.err") || { cat "$T/daemon-fetch.err" >&2; fail "wal-fetch through the daemon with a SAS token failed"; }
cmp -s "$T/fetched" "$data/pg_wal/$segment" || fail "the segment fetched through the daemon differs"
stop_daemon
if grep -qF -- "$(sig_of "$valid")" "$T/daemon.log"; then fail "the daemon logged the SAS signature"; fi
log PASS

#!/usr/bin/env bash
# Acceptance (S3): HTTPS to a store whose certificate is signed by a
# private CA (stunnel in front of the s3rver fork): it works with the CA
# given (WALE_S3_CA_FILE) and fails with a clear one-line error without it,
# and with it when the certificate names another host.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
start_s3_peer
start_tls_proxy "$S3_PORT"
data=$T/data
mkdir -p "$data/pg_wal/archive_status"
make_segment "$data/pg_wal/000000010000000000000001" 000000010000000000000001
chown -R "$TEST_USER": "$data"
push() { (cd "$data" && as_user env "${WALE_ENV[@]}" "$@" WALE_SOCKET="$T/none.sock" WALE_LOG_DESTINATION=stderr WALE_STORE_TIMEOUT=5 \
  "$BIN/wal-e" wal-push pg_wal/000000010000000000000001); }

s3_tls_endpoint localhost
assert_fails 1 "certificate of localhost:$TLS_PORT could not be verified.*WALE_S3_CA_FILE" push
log "without the CA: $(grep -oE 'MSG: .*' "$T/err" | cut -c1-200 | sed -n 1p)"

# The CA is trusted but the certificate does not name 127.0.0.1.
s3_tls_endpoint 127.0.0.1
assert_fails 1 "certificate of 127.0.0.1:$TLS_PORT could not be verified .IP address mismatch.; connect by a name the certificate was issued for" \
  push WALE_S3_CA_FILE="$CA_FILE"
log "host name checked: $(grep -oE 'MSG: .*' "$T/err" | cut -c1-200 | sed -n 1p)"

s3_tls_endpoint localhost
push WALE_S3_CA_FILE="$CA_FILE" 2> "$T/err" || { cat "$T/err" >&2; fail "the push over TLS with the CA failed"; }
WALE_ENV+=(WALE_S3_CA_FILE="$CA_FILE")
probe get wal_005/000000010000000000000001.lzo 2> /dev/null | lzop -dc | cmp -s - "$data/pg_wal/000000010000000000000001" \
  || fail "the object stored over TLS differs"
log "with the CA: stored and read back over HTTPS"

# Through the daemon, too.
start_daemon
(cd "$data" && wal_e wal-fetch 000000010000000000000001 pg_wal/RECOVERYXLOG 2> /dev/null) || fail "wal-fetch over TLS through the daemon failed"
cmp -s "$data/pg_wal/RECOVERYXLOG" "$data/pg_wal/000000010000000000000001" || fail "the fetched segment differs"
stop_daemon
log PASS

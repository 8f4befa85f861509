#!/usr/bin/env bash
# Acceptance (Swift authentication, tempauth v1): a wrong password, missing
# or malformed settings and an unreachable auth service give one-line
# errors naming the variable, exit 1, never a secret; through the daemon,
# one token serves every request, a revoked token (memcached flushed) is
# replaced after a single 401, and a token about to expire is renewed
# before any request is refused.
# Long enough that the daemon renews a fresh token only 10 s after getting
# it (half its life early), so the revocation below is met by a 401 and not
# by an early renewal even on a slow (sanitizer) build.
SWIFT_TOKEN_LIFE=20
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
start_swift
data=$T/data
mkdir -p "$data/pg_wal/archive_status"
for n in 1 2 3 4; do make_segment "$data/pg_wal/00000001000000000000000$n" "00000001000000000000000$n"; done
chown -R "$TEST_USER": "$data"

# push N VAR=VALUE...: an in-process wal-push of segment N with WALE_ENV,
# less the variables named in $DROP, plus the given ones.
push() {
  local n=$1 env=() v; shift
  for v in "${WALE_ENV[@]}"; do [[ " ${DROP:-} " == *" ${v%%=*} "* ]] || env+=("$v"); done
  (cd "$data" && as_user env "${env[@]}" "$@" WALE_SOCKET="$T/none.sock" WALE_LOG_DESTINATION=stderr \
    WALE_STORE_TIMEOUT=5 "$BIN/wal-e" wal-push "pg_wal/00000001000000000000000$n")
}
no_secret() { ! grep -qE 'not-the-key|testing|AUTH_tk' "$T/out" "$T/err" || { cat "$T/err" >&2; fail "a secret was printed"; }; }

assert_fails 1 "Swift authentication at http://127.0.0.1:$SWIFT_PORT/auth/v1.0 failed: HTTP 401 .*check SWIFT_USER and SWIFT_PASSWORD" \
  push 1 SWIFT_PASSWORD=not-the-key
no_secret
log "wrong password: $(grep -oE 'MSG: .*' "$T/err" | cut -c1-300 | sed -n 1p)"
assert_fails 1 "failed: HTTP 401 .*SWIFT_USER" push 1 SWIFT_USER=test:nobody
DROP=SWIFT_PASSWORD assert_fails 1 "Swift needs SWIFT_PASSWORD" push 1
DROP=SWIFT_AUTHURL assert_fails 1 "Swift needs SWIFT_AUTHURL" push 1
assert_fails 1 "SWIFT_AUTHURL='ftp://x' is not an http" push 1 SWIFT_AUTHURL=ftp://x
assert_fails 1 "SWIFT_AUTH_VERSION='4'" push 1 SWIFT_AUTH_VERSION=4
assert_fails 1 "Keystone v2 needs a tenant" push 1 SWIFT_AUTH_VERSION=2 SWIFT_USER=tester
# tempauth answers a Keystone request at its v1 URL with 405.
assert_fails 1 "auth/v1.0/v2.0/tokens failed: HTTP 405 .*check SWIFT_AUTHURL and SWIFT_AUTH_VERSION" push 1 SWIFT_AUTH_VERSION=2
assert_fails 1 "127\.0\.0\.1:1.*SWIFT_AUTHURL" push 1 SWIFT_AUTHURL=http://127.0.0.1:1/auth/v1.0
assert_fails 1 "the container 'nosuch'.*WALE_SWIFT_PREFIX" push 1 WALE_SWIFT_PREFIX=swift://nosuch/archive
no_secret
log "missing, malformed and unreachable settings give one-line errors without secrets"

# Through the daemon: every request of the process uses one token.
proxy_log() { grep -c "proxy-server: .* $1 " "$SWIFT_DIR/log/swift.log" || true; }
# tempauth hands a user the token it already has, with what is left of its
# life: the checks above got one, so the daemon starts from none.
swift_revoke_tokens
auths_before=$(proxy_log "GET /auth/v1.0 HTTP/1.0 200")
start_daemon
(cd "$data" && wal_e wal-push pg_wal/000000010000000000000001) 2> "$T/err" || { cat "$T/err" >&2; fail "wal-push through the daemon failed"; }
wait_for 10 test "$(proxy_log 'GET /auth/v1.0 HTTP/1.0 200')" -gt "$auths_before" || fail "the daemon did not authenticate"
auths=$(proxy_log "GET /auth/v1.0 HTTP/1.0 200")

log "revoking every token"
refused_before=$(proxy_log 'HTTP/1.0 401')
swift_revoke_tokens
(cd "$data" && wal_e wal-push pg_wal/000000010000000000000002) 2> "$T/err" || { cat "$T/err" >&2; fail "wal-push after the revocation failed"; }
wait_for 10 test "$(proxy_log 'GET /auth/v1.0 HTTP/1.0 200')" = $((auths + 1)) || fail "the daemon did not authenticate exactly once more"
assert_eq "$(proxy_log 'HTTP/1.0 401')" $((refused_before + 1)) "requests refused with 401 after the revocation"
auths=$((auths + 1))
log "one 401, one new token, the push stored"

log "letting the token (life ${SWIFT_TOKEN_LIFE} s) run out"
refused=$(proxy_log 'HTTP/1.0 401')
sleep "$SWIFT_TOKEN_LIFE"
(cd "$data" && wal_e wal-push pg_wal/000000010000000000000003) 2> "$T/err" || { cat "$T/err" >&2; fail "wal-push after the expiry failed"; }
wait_for 10 test "$(proxy_log 'GET /auth/v1.0 HTTP/1.0 200')" -gt "$auths" || fail "the daemon did not renew its token"
assert_eq "$(proxy_log 'HTTP/1.0 401')" "$refused" "requests refused with 401 around the expiry"
stop_daemon
for n in 1 2 3; do
  probe get "wal_005/00000001000000000000000$n.lzo" 2> /dev/null | lzop -dc | cmp -s - "$data/pg_wal/00000001000000000000000$n" \
    || fail "segment $n is not in the store"
done
no_secret
log PASS

# Blob-store peers for the integration tests (sourced after lib.sh): real
# servers started on loopback ports and stopped by PID with the test.
#   start_s3_peer         the SigV4-checking s3rver fork (npm @20minutes/s3rver)
#   start_swift_s3        OpenStack Swift all-in-one with its s3api layer (Debian)
#   start_swift           the same all-in-one through Swift's own API (tempauth v1)
#   start_fault_proxy P   fault_proxy.py in front of port P (counts connections, 503s)
#   start_tls_proxy P     stunnel in front of port P with a freshly made CA
# Each sets WALE_ENV for the store it provides.
#
# The contract of a peer starter, which backend_acceptance.sh relies on:
# it starts the real peer on a free port with its data on disk under $T,
# creates the bucket or container, sets WALE_ENV and PEER_PORT (the port a
# fault proxy forwards to), and defines
#   peer_stop / peer_start   stop the peer by PID / start it again, same port and data
#                            (or sets PEER_OUTAGE=proxy when its data would not survive)
#   peer_endpoint PORT       rewrite WALE_ENV to reach the store at 127.0.0.1:PORT
#   peer_bad_credentials     set PEER_BAD_CREDENTIALS (an array of VAR=VALUE words that make
#                            the credentials wrong) and PEER_CREDENTIAL_VARS (a regex the
#                            one-line error must match: the variable's name)
#   peer_large_env           print VAR=VALUE words that make parts small (20 MiB > 3 parts)
#   peer_orphans             print what an abandoned large upload left behind

PEERS_DIR=$WALE_SOURCE_DIR/tests/peers
S3_BUCKET=walbkt

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_port() {  # wait_port PORT: until something listens there
  wait_for 30 "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2> /dev/null
}

s3_env() {  # s3_env PORT ACCESS_KEY SECRET [SCHEME]
  WALE_ENV=(WALE_S3_PREFIX="s3://$S3_BUCKET/archive" WALE_S3_ENDPOINT="${4:-http}+path://127.0.0.1:$1"
            AWS_ACCESS_KEY_ID="$2" AWS_SECRET_ACCESS_KEY="$3" AWS_REGION=us-east-1)
  PEER_PORT=$1
}

# set_wale_env NAME VALUE: NAME=VALUE in WALE_ENV, in place of NAME's entry.
set_wale_env() {
  local i
  for i in "${!WALE_ENV[@]}"; do
    [[ "${WALE_ENV[$i]}" == "$1"=* ]] && WALE_ENV[$i]="$1=$2"
  done
  return 0
}
# s3_endpoint URL: WALE_ENV's S3 store is reached at URL.
s3_endpoint() { set_wale_env WALE_S3_ENDPOINT "$1"; }

# The parts of the peer contract every S3 peer shares.
peer_endpoint() { s3_endpoint "http+path://127.0.0.1:$1"; }
peer_bad_credentials() { PEER_BAD_CREDENTIALS=(AWS_SECRET_ACCESS_KEY=not-the-secret); PEER_CREDENTIAL_VARS='AWS_SECRET_ACCESS_KEY'; }
peer_large_env() { echo WALE_S3_PART_SIZE=5242880 WALE_S3_PART_CONCURRENCY=2; }

# The s3rver fork that verifies SigV4 header signatures (s3rver itself
# accepts any secret), writing its metadata files atomically
# (tests/peers/s3rver.js says why). Data in $T/s3, so that a restart keeps it.
start_s3_peer() {
  [ -d "$PEERS_DIR/node_modules/@20minutes/s3rver" ] || fail "npm peers missing: run scripts/install-deps.sh"
  S3_PORT=${S3_PORT:-$(free_port)}
  mkdir -p "$T/s3"
  node --openssl-legacy-provider "$PEERS_DIR/s3rver.js" "$S3_PORT" "$T/s3" "$S3_BUCKET" > "$T/s3rver.log" 2>&1 &
  S3_PID=$!
  disown "$S3_PID"
  remember_pid "$S3_PID"
  wait_port "$S3_PORT" || fail "the s3rver fork did not listen on $S3_PORT"
  kill -0 "$S3_PID" 2> /dev/null || fail "the s3rver fork exited at start (see $T/s3rver.log)"
  s3_env "$S3_PORT" S3RVER S3RVER
}

stop_s3_peer() {
  kill "$S3_PID"
  wait_for 10 bash -c "! kill -0 $S3_PID 2> /dev/null" || fail "the s3rver fork (pid $S3_PID) did not stop within 10 s"
}
peer_stop() { stop_s3_peer; }
# Restarts keep the port (S3_PORT is set) and the data ($T/s3), but not an
# endpoint a test pointed elsewhere (a proxy): keep that.
peer_start() { local saved=("${WALE_ENV[@]}"); start_s3_peer; WALE_ENV=("${saved[@]}"); }
# The fork has no ListMultipartUploads; Swift's s3api does (test_s3_multipart).
peer_orphans() { :; }

# The OpenStack Swift all-in-one of tests/peers/swift_aio.sh (tempauth with
# test:tester/testing; the s3api, bulk, slo and dlo middlewares), data in
# $T/swift, tokens living $SWIFT_TOKEN_LIFE seconds (default a day); shared
# by start_swift_s3 and start_swift. Sets SWIFT_DIR, SWIFT_PORT (the proxy)
# and SWIFT_MEMCACHED_PORT; swift_proxy_stop and swift_proxy_start stop the
# proxy and start it again on the same port (the other servers and
# memcached, with the tokens, stay).
swift_all_in_one() {
  SWIFT_DIR=$T/swift
  local f rc=0
  "$PEERS_DIR/swift_aio.sh" start "$SWIFT_DIR" "${SWIFT_TOKEN_LIFE:-86400}" || rc=$?
  for f in "$SWIFT_DIR"/run/*.pid; do [ -f "$f" ] && remember_pid "$(cat "$f")"; done
  [ "$rc" = 0 ] || fail "Swift did not come up (see $SWIFT_DIR/log)"
  SWIFT_PORT=$(sed -n 's/^proxy=//p' "$SWIFT_DIR/ports")
  SWIFT_MEMCACHED_PORT=$(sed -n 's/^memcached=//p' "$SWIFT_DIR/ports")
}

swift_proxy_start() {
  local rc=0
  "$PEERS_DIR/swift_aio.sh" start-proxy "$SWIFT_DIR" || rc=$?
  remember_pid "$(cat "$SWIFT_DIR/run/proxy.pid")"
  [ "$rc" = 0 ] || fail "the Swift proxy did not come up (see $SWIFT_DIR/log)"
}
swift_proxy_stop() { "$PEERS_DIR/swift_aio.sh" stop-proxy "$SWIFT_DIR"; }

# A tempauth token for test:tester, printed.
swift_token() {
  curl -sfi -H "X-Auth-User: test:tester" -H "X-Auth-Key: testing" "http://127.0.0.1:$SWIFT_PORT/auth/v1.0" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p'
}

# swift_create_container NAME, through Swift's own API; the account and
# container servers may take a moment longer than the proxy's health check.
swift_create_container() {
  local token
  token=$(swift_token)
  [ -n "$token" ] && curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $token" "http://127.0.0.1:$SWIFT_PORT/v1/AUTH_test/$1"
}

# Swift with its s3api layer: the most faithful S3 peer here (checks
# signatures, the region, Content-MD5, the payload hash; real multipart
# with Abort and ListParts; the 1000-key DeleteObjects limit).
start_swift_s3() {
  swift_all_in_one
  wait_for 180 swift_create_container "$S3_BUCKET" || fail "cannot create the Swift container (see $SWIFT_DIR/log)"
  s3_env "$SWIFT_PORT" test:tester testing
}

# fault_proxy.py in front of TARGET_PORT: sets PROXY_PORT and points the
# store's endpoint at the proxy (peer_endpoint).
start_fault_proxy() {
  local target=$1
  PROXY_PORT=$(free_port)
  PROXY_DIR=$T/proxy
  mkdir -p "$PROXY_DIR"
  echo pass > "$PROXY_DIR/mode"
  "$PY" "$WALE_SOURCE_DIR/tests/integration/fault_proxy.py" "$PROXY_PORT" "$target" "$PROXY_DIR" > "$T/proxy.log" 2>&1 &
  remember_pid $!
  disown $!  # no "Killed" notice when the test ends
  wait_port "$PROXY_PORT" || fail "fault_proxy.py did not listen"
  peer_endpoint "$PROXY_PORT"
}
proxy_mode() { echo "$1" > "$PROXY_DIR/mode"; }
proxy_connections() { cat "$PROXY_DIR/connections"; }
proxy_faults() { cat "$PROXY_DIR/faults"; }

# stunnel terminating TLS in front of TARGET_PORT with a certificate for
# 127.0.0.1 and localhost signed by a CA made here: sets TLS_PORT, TLS_PID and CA_FILE.
start_tls_proxy() {
  local target=$1 d=$T/tls
  TLS_PORT=$(free_port)
  "$WALE_SOURCE_DIR/tests/peers/stunnel_conf.sh" "$d" "$target" "$TLS_PORT"
  stunnel4 "$d/stunnel.conf" > "$T/stunnel.log" 2>&1 &
  TLS_PID=$!
  remember_pid "$TLS_PID"
  wait_port "$TLS_PORT" || fail "stunnel did not listen"
  CA_FILE=$d/ca.pem
  chmod 0644 "$CA_FILE"
}

# --- Azure: Azurite (npm azurite), which checks SharedKey and SAS signatures.
# Data in $T/azurite, so that a stop and start keep it (SIGTERM saves its
# metadata). The container is made with tests/integration/azure_blob.py, an
# independent SharedKey client that also finds uncommitted blocks.
AZURE_CONTAINER=walbox
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==

# azure_blob COMMAND ARGS...: azure_blob.py with Azurite's key.
azure_blob() { AZURE_KEY=$AZURITE_KEY "$PY" "$WALE_SOURCE_DIR/tests/integration/azure_blob.py" "$@"; }
azurite_endpoint() { echo "http://127.0.0.1:$1/$AZURITE_ACCOUNT"; }

start_azurite() {
  [ -x "$PEERS_DIR/node_modules/.bin/azurite-blob" ] || fail "npm peers missing: run scripts/install-deps.sh"
  AZURITE_PORT=${AZURITE_PORT:-$(free_port)}
  mkdir -p "$T/azurite"
  node "$PEERS_DIR/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZURITE_PORT" -l "$T/azurite" \
    --disableTelemetry --skipApiVersionCheck --silent >> "$T/azurite.log" 2>&1 &
  AZURITE_PID=$!
  disown "$AZURITE_PID"
  remember_pid "$AZURITE_PID"
  wait_for 60 azure_blob create-container "$(azurite_endpoint "$AZURITE_PORT")" "$AZURITE_ACCOUNT" "$AZURE_CONTAINER" 2> /dev/null \
    || fail "Azurite did not answer on $AZURITE_PORT (see $T/azurite.log)"
  WALE_ENV=(WALE_WABS_PREFIX="wabs://$AZURE_CONTAINER/archive" WALE_WABS_ENDPOINT="$(azurite_endpoint "$AZURITE_PORT")"
            WABS_ACCOUNT_NAME="$AZURITE_ACCOUNT" WABS_ACCESS_KEY="$AZURITE_KEY")
  PEER_PORT=$AZURITE_PORT
  # The peer contract (see the top of this file).
  peer_stop() { kill "$AZURITE_PID"; wait_for 30 bash -c "! kill -0 $AZURITE_PID 2> /dev/null" || fail "Azurite did not stop"; }
  peer_start() { local saved=("${WALE_ENV[@]}"); start_azurite; WALE_ENV=("${saved[@]}"); }
  peer_endpoint() { set_wale_env WALE_WABS_ENDPOINT "$(azurite_endpoint "$1")"; }
  # Another account's key: well-formed, wrong.
  peer_bad_credentials() {
    PEER_BAD_CREDENTIALS=(WABS_ACCESS_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==)
    PEER_CREDENTIAL_VARS='WABS_ACCESS_KEY'
  }
  peer_large_env() { echo WALE_WABS_BLOCK_SIZE=4194304 WALE_WABS_BLOCK_CONCURRENCY=2; }
  peer_orphans() { azure_blob orphans "$(azurite_endpoint "$AZURITE_PORT")" "$AZURITE_ACCOUNT" "$AZURE_CONTAINER"; }
}

# --- OpenStack Swift, native API (the backend acceptance contract) ----------
# start_swift: the all-in-one above with the container $SWIFT_CONTAINER,
# reached with tempauth (SWIFT_AUTH_VERSION=1). Storage URLs follow the Host
# header of the authentication request, so with SWIFT_AUTHURL pointed at a
# fault proxy every request goes through it.
SWIFT_CONTAINER=walbkt

swift_env() {  # swift_env PORT
  WALE_ENV=(WALE_SWIFT_PREFIX="swift://$SWIFT_CONTAINER/archive" SWIFT_AUTHURL="http://127.0.0.1:$1/auth/v1.0"
            SWIFT_USER=test:tester SWIFT_PASSWORD=testing SWIFT_AUTH_VERSION=1)
}

start_swift() {
  swift_all_in_one
  wait_for 180 swift_create_container "$SWIFT_CONTAINER" || fail "cannot create the Swift container (see $SWIFT_DIR/log)"
  swift_env "$SWIFT_PORT"
  PEER_PORT=$SWIFT_PORT
  # The peer contract, defined here so that it replaces the S3 peers' one.
  peer_stop() { swift_proxy_stop; }
  peer_start() { swift_proxy_start; }
  peer_endpoint() { set_wale_env SWIFT_AUTHURL "http://127.0.0.1:$1/auth/v1.0"; }
  peer_bad_credentials() { PEER_BAD_CREDENTIALS=(SWIFT_PASSWORD=not-the-key); PEER_CREDENTIAL_VARS='SWIFT_PASSWORD'; }
  # 4 MiB segments: a 20 MiB object is 5 of them.
  peer_large_env() { echo WALE_SWIFT_SEGMENT_SIZE=4194304; }
  # Segments in the segment container that no large object's manifest
  # references, one name a line.
  peer_orphans() {
    "$PY" "$WALE_SOURCE_DIR/tests/integration/swift_orphans.py" "http://127.0.0.1:$SWIFT_PORT/auth/v1.0" test:tester testing "$SWIFT_CONTAINER"
  }
}

# Revokes every token tempauth has handed out (they live in memcached).
swift_revoke_tokens() {
  "$PY" -c 'import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(b"flush_all\r\n")
assert s.recv(64).startswith(b"OK")' "$SWIFT_MEMCACHED_PORT"
}

# Google Cloud Storage: the Firebase storage emulator (npm firebase-tools,
# pinned; launched by tests/peers/gcs_emulator.js with its blobs under
# $T/gcs) and Google's OAuth token endpoint played by
# fake_gcs_token_endpoint.py, which knows one service account: the
# test-only key pair in tests/fixtures/gcs. Unless GCS_REAL_EMULATOR_ONLY=1,
# two stand-ins sit in front of the emulator for what it lacks:
# fake_gcs_auth.js refuses requests without a live token of that endpoint,
# fake_gcs_resumable_chunks.js does chunked resumable uploads. The token
# endpoint is reached directly, not through a fault proxy. The emulator
# keeps its object index in memory, so an outage is simulated at the proxy.
# GCS_ANONYMOUS=1 starts the emulator alone, reached without credentials
# (no token endpoint, no stand-in; bench/backends.sh measures it so).
GCS_BUCKET=walbkt
GCS_ACCOUNT=wal-e-test@wal-e-test.iam.gserviceaccount.com

# gcs_service_account FILE KEY_PEM: a service-account JSON key for
# GCS_ACCOUNT whose token_uri is the fake token endpoint.
gcs_service_account() {
  "$PY" - "$1" "$2" "http://127.0.0.1:$GCS_TOKEN_PORT/token" "$GCS_ACCOUNT" <<'PYEOF'
import json, sys
path, key, token_uri, email = sys.argv[1:]
with open(key) as f:
    pem = f.read()
with open(path, "w") as f:
    json.dump({"type": "service_account", "project_id": "wal-e-test", "private_key_id": "test-key", "private_key": pem,
               "client_email": email, "client_id": "1", "token_uri": token_uri}, f)
PYEOF
  chmod 0644 "$1"
}

start_gcs_token_endpoint() {
  local d=$T/gcs-token
  mkdir -p "$d/accounts"
  cp "$WALE_SOURCE_DIR/tests/fixtures/gcs/test-service-account.pub.pem" "$d/accounts/$GCS_ACCOUNT.pem"
  GCS_TOKEN_DIR=$d
  GCS_TOKEN_PORT=$(free_port)
  "$PY" "$WALE_SOURCE_DIR/tests/integration/fake_gcs_token_endpoint.py" "$GCS_TOKEN_PORT" "$d" > "$T/gcs-token.log" 2>&1 &
  disown $!
  remember_pid $!
  wait_port "$GCS_TOKEN_PORT" || fail "fake_gcs_token_endpoint.py did not listen"
  gcs_service_account "$T/gcs-sa.json" "$WALE_SOURCE_DIR/tests/fixtures/gcs/test-service-account.key.pem"
  # The same account signing with a key Google does not know.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/gcs-other.key.pem" 2> /dev/null
  gcs_service_account "$T/gcs-wrong-key.json" "$T/gcs-other.key.pem"
}

start_gcs_emulator() {
  [ -d "$PEERS_DIR/node_modules/firebase-tools" ] || fail "npm peers missing: run scripts/install-deps.sh"
  GCS_PORT=${GCS_PORT:-$(free_port)}
  mkdir -p "$T/gcs"
  local chunks=1 tokens= auth=()
  if [ -z "${GCS_ANONYMOUS:-}" ]; then
    [ -n "${GCS_TOKEN_PORT:-}" ] || start_gcs_token_endpoint
    tokens=$GCS_TOKEN_DIR
  fi
  [ -n "${GCS_REAL_EMULATOR_ONLY:-}${GCS_ANONYMOUS:-}" ] && chunks= tokens=
  TMPDIR=$T/gcs FAKE_GCS_CHUNKS=$chunks FAKE_GCS_TOKENS=$tokens node "$PEERS_DIR/gcs_emulator.js" "$GCS_PORT" > "$T/gcs-emulator.log" 2>&1 &
  GCS_PID=$!
  disown "$GCS_PID"
  remember_pid "$GCS_PID"
  # The first start reads 300 MB of JavaScript.
  wait_for 90 curl -sf -o /dev/null "http://127.0.0.1:$GCS_PORT/b" || fail "the GCS emulator did not answer on $GCS_PORT"
  # Buckets come into being when first named (with a token, for fake_gcs_auth.js).
  [ -n "${GCS_ANONYMOUS:-}" ] || auth=(-H "Authorization: Bearer $(gcs_test_token)")
  curl -sf -o /dev/null "${auth[@]}" "http://127.0.0.1:$GCS_PORT/storage/v1/b/$GCS_BUCKET/o" \
    || fail "cannot create the bucket $GCS_BUCKET"
  WALE_ENV=(WALE_GS_PREFIX="gs://$GCS_BUCKET/archive" WALE_GS_ENDPOINT="http://127.0.0.1:$GCS_PORT")
  [ -n "${GCS_ANONYMOUS:-}" ] || WALE_ENV+=(GOOGLE_APPLICATION_CREDENTIALS="$T/gcs-sa.json")
  PEER_PORT=$GCS_PORT
  PEER_OUTAGE=proxy
  peer_stop() { fail "the GCS emulator loses its objects when stopped; use PEER_OUTAGE=proxy"; }
  peer_start() { peer_stop; }
  peer_endpoint() { set_wale_env WALE_GS_ENDPOINT "http://127.0.0.1:$1"; }
  peer_bad_credentials() {
    PEER_BAD_CREDENTIALS=(GOOGLE_APPLICATION_CREDENTIALS="$T/gcs-wrong-key.json")
    PEER_CREDENTIAL_VARS=GOOGLE_APPLICATION_CREDENTIALS
  }
  peer_large_env() { echo WALE_GS_CHUNK_SIZE=4194304; }
  peer_orphans() { curl -sf "http://127.0.0.1:$GCS_PORT/_fake/resumable_sessions"; }
}

# A token of the fake token endpoint (its metadata-server path), for
# requests a test makes with curl.
gcs_test_token() {
  curl -sf -H "Metadata-Flavor: Google" "http://127.0.0.1:$GCS_TOKEN_PORT/computeMetadata/v1/instance/service-accounts/default/token" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# Tokens fake_gcs_token_endpoint.py issued so far; requests fake_gcs_auth.js refused.
gcs_tokens_issued() { cat "$GCS_TOKEN_DIR/issued" 2> /dev/null | wc -l; }
gcs_auth_refusals() { curl -sf "http://127.0.0.1:$GCS_PORT/_fake/auth" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["refused"])'; }

# s3_tls_endpoint HOST: WALE_ENV's S3 store is reached through the TLS
# proxy by the name HOST (its certificate names localhost).
s3_tls_endpoint() { s3_endpoint "https+path://$1:$TLS_PORT"; }

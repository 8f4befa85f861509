# Blob-store peers for the integration tests (sourced after lib.sh): real
# servers started on loopback ports and stopped by PID with the test.
#   start_s3_peer         the SigV4-checking s3rver fork (npm @20minutes/s3rver)
#   start_swift_s3        OpenStack Swift all-in-one with its s3api layer (Debian)
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

# s3_endpoint URL: WALE_ENV's S3 store is reached at URL.
s3_endpoint() {
  local i
  for i in "${!WALE_ENV[@]}"; do
    [[ "${WALE_ENV[$i]}" == WALE_S3_ENDPOINT=* ]] && WALE_ENV[$i]="WALE_S3_ENDPOINT=$1"
  done
  return 0
}

# The parts of the peer contract every S3 peer shares.
peer_endpoint() { s3_endpoint "http+path://127.0.0.1:$1"; }
peer_bad_credentials() { PEER_BAD_CREDENTIALS=(AWS_SECRET_ACCESS_KEY=not-the-secret); PEER_CREDENTIAL_VARS='AWS_SECRET_ACCESS_KEY'; }
peer_large_env() { echo WALE_S3_PART_SIZE=5242880 WALE_S3_PART_CONCURRENCY=2; }

# The s3rver fork that verifies SigV4 header signatures (s3rver itself
# accepts any secret). Data in $T/s3, so that a restart keeps it.
start_s3_peer() {
  [ -d "$PEERS_DIR/node_modules/@20minutes/s3rver" ] || fail "npm peers missing: run scripts/install-deps.sh"
  S3_PORT=${S3_PORT:-$(free_port)}
  mkdir -p "$T/s3"
  node --openssl-legacy-provider -e "
    const S3rver = require('$PEERS_DIR/node_modules/@20minutes/s3rver');
    new S3rver({address: '127.0.0.1', port: +process.argv[1], directory: process.argv[2], silent: true,
                configureBuckets: [{name: '$S3_BUCKET'}]}).run();" "$S3_PORT" "$T/s3" > "$T/s3rver.log" 2>&1 &
  S3_PID=$!
  disown "$S3_PID"
  remember_pid "$S3_PID"
  wait_port "$S3_PORT" || fail "the s3rver fork did not listen on $S3_PORT"
  s3_env "$S3_PORT" S3RVER S3RVER
}

stop_s3_peer() { kill "$S3_PID"; wait_for 10 bash -c "! kill -0 $S3_PID 2> /dev/null"; }
peer_stop() { stop_s3_peer; }
# Restarts keep the port (S3_PORT is set) and the data ($T/s3), but not an
# endpoint a test pointed elsewhere (a proxy): keep that.
peer_start() { local saved=("${WALE_ENV[@]}"); start_s3_peer; WALE_ENV=("${saved[@]}"); }
# The fork has no ListMultipartUploads; Swift's s3api does (test_s3_multipart).
peer_orphans() { :; }

# OpenStack Swift (Debian 12 packages) on loopback with tempauth, the s3api
# middleware and plain directories as devices: the most faithful S3 peer
# here (checks signatures, the region, Content-MD5, the payload hash; real
# multipart with Abort and ListParts; the 1000-key DeleteObjects limit).
start_swift_s3() {
  command -v swift-proxy-server > /dev/null || fail "Swift is not installed: run scripts/install-deps.sh"
  local D=$T/swift B
  B=$(free_port)
  mkdir -p "$D"/{etc,srv/d1,cache,run,log}
  printf '[swift-hash]\nswift_hash_path_suffix = wale\nswift_hash_path_prefix = wale\n[storage-policy:0]\nname = gold\ndefault = yes\n' > "$D/etc/swift.conf"
  local ports=() i
  for i in 1 2 3 4 5; do ports+=("$(free_port)"); done
  swift_header() {
    printf '[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = %s\nworkers = 0\nuser = root\nswift_dir = %s/etc\n' "$1" "$D"
    printf 'devices = %s/srv\nmount_check = false\ndisable_fallocate = true\nrecon_cache_path = %s/cache\n' "$D" "$D"
    printf 'log_udp_host = 127.0.0.1\nlog_udp_port = %s\n' "${ports[4]}"
  }
  local n=0 kind
  for kind in account container object; do
    { swift_header "${ports[$n]}"; printf '[pipeline:main]\npipeline = %s-server\n[app:%s-server]\nuse = egg:swift#%s\n' $kind $kind $kind; } > "$D/etc/$kind-server.conf"
    (cd "$D/etc" && swift-ring-builder $kind.builder create 8 1 1 > /dev/null &&
      swift-ring-builder $kind.builder add "r1z1-127.0.0.1:${ports[$n]}/d1" 100 > /dev/null &&
      { swift-ring-builder $kind.builder rebalance > /dev/null || true; })
    n=$((n + 1))
  done
  local filters="catch_errors gatekeeper healthcheck proxy_logging memcache listing_formats bulk tempurl s3api tempauth copy slo dlo" f
  { swift_header "$B"
    printf '[pipeline:main]\npipeline = %s proxy_logging proxy-server\n[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n' "$filters"
    for f in $filters; do
      printf '[filter:%s]\nuse = egg:swift#%s\n' $f $f
      [ $f = memcache ] && printf 'memcache_servers = 127.0.0.1:%s\n' "${ports[3]}"
      [ $f = tempauth ] && printf 'user_test_tester = testing .admin\n'
      [ $f = s3api ] && printf 'location = us-east-1\nstorage_domain = s3.localhost\n'
    done; } > "$D/etc/proxy-server.conf"
  # Swift logs to syslog over UDP; give it a sink instead of port 514.
  "$PY" -c 'import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1]))); f=open(sys.argv[2],"ab",0)
while 1: f.write(s.recv(65535).rstrip(b"\0")+b"\n")' "${ports[4]}" "$D/log/swift.log" &
  remember_pid $!
  memcached -l 127.0.0.1 -p "${ports[3]}" -U 0 -u root -m 64 > "$D/log/memcached.log" 2>&1 &
  remember_pid $!
  for kind in account container object proxy; do
    swift-$kind-server "$D/etc/$kind-server.conf" > "$D/log/$kind.out" 2>&1 &
    remember_pid $!
  done
  wait_for 120 curl -sf -o /dev/null "http://127.0.0.1:$B/healthcheck" || fail "Swift did not come up (see $D/log)"
  # The bucket, through Swift's own API; the account and container servers
  # may take a moment longer than the proxy's health check.
  swift_create_bucket() {
    local token
    token=$(curl -sfi -H "X-Auth-User: test:tester" -H "X-Auth-Key: testing" "http://127.0.0.1:$B/auth/v1.0" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
    [ -n "$token" ] && curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $token" "http://127.0.0.1:$B/v1/AUTH_test/$S3_BUCKET"
  }
  wait_for 180 swift_create_bucket || fail "cannot create the Swift container (see $D/log)"
  SWIFT_PORT=$B
  s3_env "$B" test:tester testing
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
  wait_port "$PROXY_PORT" || fail "fault_proxy.py did not listen"
  peer_endpoint "$PROXY_PORT"
}
proxy_mode() { echo "$1" > "$PROXY_DIR/mode"; }
proxy_connections() { cat "$PROXY_DIR/connections"; }
proxy_faults() { cat "$PROXY_DIR/faults"; }

# stunnel terminating TLS in front of TARGET_PORT with a certificate for
# 127.0.0.1 and localhost signed by a CA made here: sets TLS_PORT and CA_FILE.
start_tls_proxy() {
  local target=$1 d=$T/tls
  TLS_PORT=$(free_port)
  "$WALE_SOURCE_DIR/tests/peers/stunnel_conf.sh" "$d" "$target" "$TLS_PORT"
  stunnel4 "$d/stunnel.conf" > "$T/stunnel.log" 2>&1 &
  remember_pid $!
  wait_port "$TLS_PORT" || fail "stunnel did not listen"
  CA_FILE=$d/ca.pem
  chmod 0644 "$CA_FILE"
}

# s3_tls_endpoint HOST: WALE_ENV's S3 store is reached through the TLS
# proxy by the name HOST (its certificate names localhost).
s3_tls_endpoint() { s3_endpoint "https+path://$1:$TLS_PORT"; }

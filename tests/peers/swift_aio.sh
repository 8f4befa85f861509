#!/usr/bin/env bash
# An OpenStack Swift all-in-one (Debian 12 packages) on loopback, in DIR:
# account, container, object and proxy servers with one-device rings on
# plain directories (DIR/srv/d1), memcached, tempauth (user test:tester, key
# testing; tokens live TOKEN_LIFE seconds, a day by default), the bulk,
# slo, dlo and s3api middlewares, logs sent over UDP to a sink writing
# DIR/log/swift.log (there is no syslog socket to fall back to). Ports are
# free ones, written to DIR/ports (proxy=, memcached=); every process's pid
# is in DIR/run/NAME.pid. Shared by tests/integration/peers.sh and bench/.
#   tests/peers/swift_aio.sh start DIR [TOKEN_LIFE]   configure, start, wait until the proxy answers
#   tests/peers/swift_aio.sh stop-proxy DIR           stop the proxy alone (the tokens stay in memcached)
#   tests/peers/swift_aio.sh start-proxy DIR          start it again, same port
#   tests/peers/swift_aio.sh stop DIR                 stop everything
set -euo pipefail
cmd=$1 D=$(realpath -m "$2")
PY=/usr/bin/python3

pid_of() { cat "$D/run/$1.pid"; }
proxy_port() { sed -n 's/^proxy=//p' "$D/ports"; }

start_proxy() {
  swift-proxy-server "$D/etc/proxy-server.conf" >> "$D/log/proxy.out" 2>&1 &
  echo $! > "$D/run/proxy.pid"
  local i
  for i in $(seq 1 1200); do
    curl -sf -o /dev/null "http://127.0.0.1:$(proxy_port)/healthcheck" && return 0
    sleep 0.1
  done
  echo "the Swift proxy did not come up; see $D/log" >&2
  return 1
}

stop_proxy() {
  local pid
  pid=$(pid_of proxy)
  kill "$pid" 2> /dev/null || true
  while kill -0 "$pid" 2> /dev/null; do sleep 0.1; done
}

configure() {
  local token_life=$1 ports kind f
  read -r -a ports <<< "$("$PY" -c 'import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')"
  declare -A port=([proxy]=${ports[0]} [account]=${ports[1]} [container]=${ports[2]} [object]=${ports[3]})
  mkdir -p "$D"/{etc,srv/d1,cache,run,log}
  printf 'proxy=%s\nmemcached=%s\nlog=%s\n' "${ports[0]}" "${ports[4]}" "${ports[5]}" > "$D/ports"
  printf '[swift-hash]\nswift_hash_path_suffix = wale\nswift_hash_path_prefix = wale\n[storage-policy:0]\nname = gold\ndefault = yes\n' > "$D/etc/swift.conf"
  header() {
    printf '[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = %s\nworkers = 0\nuser = root\nswift_dir = %s/etc\n' "$1" "$D"
    printf 'devices = %s/srv\nmount_check = false\ndisable_fallocate = true\nrecon_cache_path = %s/cache\n' "$D" "$D"
    printf 'log_udp_host = 127.0.0.1\nlog_udp_port = %s\n' "${ports[5]}"
  }
  for kind in account container object; do
    { header "${port[$kind]}"; printf '[pipeline:main]\npipeline = %s-server\n[app:%s-server]\nuse = egg:swift#%s\n' $kind $kind $kind; } > "$D/etc/$kind-server.conf"
    (cd "$D/etc" && swift-ring-builder $kind.builder create 8 1 1 > /dev/null &&
      swift-ring-builder $kind.builder add "r1z1-127.0.0.1:${port[$kind]}/d1" 100 > /dev/null &&
      { swift-ring-builder $kind.builder rebalance > /dev/null || true; })
  done
  local filters="catch_errors gatekeeper healthcheck proxy_logging memcache listing_formats bulk tempurl s3api tempauth copy slo dlo"
  { header "${port[proxy]}"
    printf '[pipeline:main]\npipeline = %s proxy_logging proxy-server\n[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n' "$filters"
    for f in $filters; do
      printf '[filter:%s]\nuse = egg:swift#%s\n' $f $f
      case $f in
        memcache) printf 'memcache_servers = 127.0.0.1:%s\n' "${ports[4]}" ;;
        tempauth) printf 'user_test_tester = testing .admin\ntoken_life = %s\n' "$token_life" ;;
        s3api) printf 'location = us-east-1\nstorage_domain = s3.localhost\n' ;;
      esac
    done; } > "$D/etc/proxy-server.conf"
}

case $cmd in
  start)
    command -v swift-proxy-server > /dev/null || { echo "Swift is not installed: run scripts/install-deps.sh" >&2; exit 1; }
    configure "${3:-86400}"
    "$PY" -c 'import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1]))); f=open(sys.argv[2],"ab",0)
while 1: f.write(s.recv(65535).rstrip(b"\0")+b"\n")' "$(sed -n 's/^log=//p' "$D/ports")" "$D/log/swift.log" > /dev/null 2>&1 &
    echo $! > "$D/run/logsink.pid"
    memcached -l 127.0.0.1 -p "$(sed -n 's/^memcached=//p' "$D/ports")" -U 0 -u root -m 64 > "$D/log/memcached.log" 2>&1 &
    echo $! > "$D/run/memcached.pid"
    for kind in account container object; do
      swift-$kind-server "$D/etc/$kind-server.conf" > "$D/log/$kind.out" 2>&1 &
      echo $! > "$D/run/$kind.pid"
    done
    start_proxy ;;
  stop-proxy) stop_proxy ;;
  start-proxy) start_proxy ;;
  stop)
    for f in "$D"/run/*.pid; do kill "$(cat "$f")" 2> /dev/null || true; done ;;
  *) echo "usage: $0 start DIR [TOKEN_LIFE] | stop-proxy DIR | start-proxy DIR | stop DIR" >&2; exit 2 ;;
esac

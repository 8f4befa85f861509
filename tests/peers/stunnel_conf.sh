#!/usr/bin/env bash
# Writes what a TLS-terminating stunnel in front of a loopback peer needs:
# a CA made here (DIR/ca.pem), a server certificate it signs for the
# subject alternative names SAN (default: localhost only, so that a test can
# see a host-name mismatch on 127.0.0.1; bench/ adds 127.0.0.1 as a DNS
# name, which pgBackRest compares) and DIR/stunnel.conf accepting TLS on
# TLS_PORT for plain TARGET_PORT. Shared by tests/integration/peers.sh and
# bench/.
#   tests/peers/stunnel_conf.sh DIR TARGET_PORT TLS_PORT [SAN]
set -euo pipefail
d=$1 target=$2 tls_port=$3 san=${4:-DNS:localhost}
mkdir -p "$d"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wal-e test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2> /dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr" 2> /dev/null
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" > "$d/ext.cnf"
openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
  -extfile "$d/ext.cnf" -out "$d/server.pem" 2> /dev/null
cat "$d/server.pem" "$d/server.key" > "$d/stunnel.pem"
cat > "$d/stunnel.conf" <<CONF
foreground = yes
pid =
debug = 3
[s3]
accept = 127.0.0.1:$tls_port
connect = 127.0.0.1:$target
cert = $d/stunnel.pem
CONF

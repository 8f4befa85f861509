// An OpenSSL BIO over a non-blocking socket that the HTTP client's TLS
// connections read and write through directly (http_client.cpp).
//
// Why not asio's ssl::stream: it moves every byte through a memory BIO pair
// and runs one composed operation (executor copies, allocations, an
// error-queue clear) per TLS record of at most 16 KiB. Profiled on recovery
// from S3 over HTTPS (bench/s3_fetch_cpu.sh) that was ~20 % of wal-ed's CPU a
// segment. Here OpenSSL reads the socket itself, many records per recv(),
// and the event loop is involved only when the socket has nothing to read.
//
// Why not OpenSSL's own socket BIO: it writes with write(2), and a peer that
// has closed its end then raises SIGPIPE, which would kill the shim. This
// one sends with MSG_NOSIGNAL.
#pragma once

#include <openssl/bio.h>

namespace wale::net {

// What the BIO reads and writes, owned by the connection.
struct SocketIo {
  int fd = -1;
  int error = 0;  // errno of the last failed send/recv that was not EAGAIN
};

// A new BIO over io (which must outlive it); nullptr if OpenSSL is out of memory.
BIO* new_socket_bio(SocketIo& io);

}  // namespace wale::net

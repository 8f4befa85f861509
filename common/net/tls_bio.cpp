#include "common/net/tls_bio.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace wale::net {
namespace {

SocketIo& io_of(BIO* bio) { return *static_cast<SocketIo*>(BIO_get_data(bio)); }

bool retry_later(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

int socket_write(BIO* bio, const char* data, int size) {
  SocketIo& io = io_of(bio);
  BIO_clear_retry_flags(bio);
  const ssize_t sent = ::send(io.fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (sent >= 0) return static_cast<int>(sent);
  if (retry_later(errno))
    BIO_set_retry_write(bio);
  else
    io.error = errno;
  return -1;
}

int socket_read(BIO* bio, char* data, int size) {
  SocketIo& io = io_of(bio);
  BIO_clear_retry_flags(bio);
  const ssize_t got = ::recv(io.fd, data, static_cast<std::size_t>(size), 0);
  if (got >= 0) return static_cast<int>(got);  // 0: the peer closed its end
  if (retry_later(errno))
    BIO_set_retry_read(bio);
  else
    io.error = errno;
  return -1;
}

long socket_ctrl(BIO*, int command, long, void*) {
  // Nothing is buffered here: a flush has nothing to do. Every other
  // control (kTLS, datagram options) is unsupported.
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int socket_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wal-e socket");
    if (m) {
      BIO_meth_set_write(m, socket_write);
      BIO_meth_set_read(m, socket_read);
      BIO_meth_set_ctrl(m, socket_ctrl);
      BIO_meth_set_create(m, socket_create);
    }
    return m;
  }();
  return method;
}

}  // namespace

BIO* new_socket_bio(SocketIo& io) {
  const BIO_METHOD* method = socket_method();
  if (!method) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio) BIO_set_data(bio, &io);
  return bio;
}

}  // namespace wale::net

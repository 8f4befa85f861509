// libpq is loaded when the first connection is made, not linked: only
// backup-push talks to PostgreSQL, and libpq's dependencies (GnuTLS,
// Kerberos, LDAP, SASL and theirs) were 3.4 MiB of wal-ed's resident set
// from start-up on (measured with /proc/<pid>/smaps), a tenth of its peak
// while draining a backlog to S3. libpq-fe.h still gives every type.
#include "common/pg/connection.hpp"

#include <dlfcn.h>

#include <fstream>
#include <mutex>

#include <libpq-fe.h>

#include "common/core/error.hpp"

namespace wale::pg {
namespace {

// The libpq entry points wal-e calls, resolved once per process.
struct LibPq {
  decltype(&::PQconnectdbParams) connectdb_params = nullptr;
  decltype(&::PQstatus) status = nullptr;
  decltype(&::PQerrorMessage) error_message = nullptr;
  decltype(&::PQfinish) finish = nullptr;
  decltype(&::PQexecParams) exec_params = nullptr;
  decltype(&::PQresultStatus) result_status = nullptr;
  decltype(&::PQclear) clear = nullptr;
  decltype(&::PQntuples) ntuples = nullptr;
  decltype(&::PQnfields) nfields = nullptr;
  decltype(&::PQgetvalue) getvalue = nullptr;
  decltype(&::PQserverVersion) server_version = nullptr;
};

template <typename F>
void resolve(void* library, F& f, const char* name) {
  f = reinterpret_cast<F>(::dlsym(library, name));
  if (f == nullptr)
    throw Error(ErrorKind::permanent, std::string("libpq.so.5 has no ") + name + ": install a libpq5 of PostgreSQL 10 or later");
}

const LibPq& libpq() {
  static std::once_flag once;
  static LibPq pq;
  static std::string failure;
  std::call_once(once, [] {
    // Kept loaded for the life of the process (never dlclose'd).
    void* library = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* why = ::dlerror();
      failure = std::string("cannot load PostgreSQL's client library libpq.so.5 (") + (why ? why : "not found") +
                "): install the libpq5 package";
      return;
    }
    try {
      resolve(library, pq.connectdb_params, "PQconnectdbParams");
      resolve(library, pq.status, "PQstatus");
      resolve(library, pq.error_message, "PQerrorMessage");
      resolve(library, pq.finish, "PQfinish");
      resolve(library, pq.exec_params, "PQexecParams");
      resolve(library, pq.result_status, "PQresultStatus");
      resolve(library, pq.clear, "PQclear");
      resolve(library, pq.ntuples, "PQntuples");
      resolve(library, pq.nfields, "PQnfields");
      resolve(library, pq.getvalue, "PQgetvalue");
      resolve(library, pq.server_version, "PQserverVersion");
    } catch (const Error& e) {
      failure = e.what();
    }
  });
  if (!failure.empty()) throw Error(ErrorKind::permanent, failure);
  return pq;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

ConnectionParams connection_params_for(const std::string& data_dir, const std::string& host, const std::string& port,
                                       const std::string& user, const std::string& database, const std::string& sslmode) {
  ConnectionParams params;
  std::string h = host, p = port;
  if ((h.empty() || p.empty()) && !data_dir.empty()) {
    // postmaster.pid: pid, data directory, start time, port, socket
    // directory, listen address, ...
    std::ifstream in(data_dir + "/postmaster.pid");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(trim(line));
    if (lines.size() < 5) {
      if (h.empty() && p.empty())
        throw Error(ErrorKind::usage, "cannot tell how to reach the server of " + data_dir +
                                          ": it has no postmaster.pid (is it running?); set PGHOST and PGPORT, or use "
                                          "--while-offline for a stopped cluster");
    } else {
      if (p.empty()) p = lines[3];
      if (h.empty()) {
        h = lines[4];
        if (h.empty() && lines.size() > 5) h = lines[5] == "*" ? "localhost" : lines[5];
      }
    }
  }
  if (!h.empty()) params.emplace_back("host", h);
  if (!p.empty()) params.emplace_back("port", p);
  if (!user.empty()) params.emplace_back("user", user);
  params.emplace_back("dbname", database.empty() ? "postgres" : database);
  if (!sslmode.empty()) params.emplace_back("sslmode", sslmode);
  params.emplace_back("application_name", "wal-e");
  params.emplace_back("connect_timeout", "10");
  return params;
}

struct Connection::Impl {
  const LibPq& pq = libpq();
  PGconn* conn = nullptr;
  std::string where;
  ~Impl() {
    if (conn != nullptr) pq.finish(conn);
  }
};

Connection::Connection(const ConnectionParams& params) : impl_(std::make_unique<Impl>()) {
  const LibPq& pq = impl_->pq;
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
    if (k == "host" || k == "port") impl_->where += (impl_->where.empty() ? "" : " ") + k + " " + v;
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  impl_->conn = pq.connectdb_params(keys.data(), values.data(), 0);
  if (impl_->conn == nullptr || pq.status(impl_->conn) != CONNECTION_OK) {
    std::string message = impl_->conn != nullptr ? trim(pq.error_message(impl_->conn)) : "out of memory";
    for (auto& c : message)
      if (c == '\n') c = ' ';
    throw Error(ErrorKind::transient, "cannot connect to PostgreSQL (" + impl_->where + "): " + message +
                                          "; check that the server is running and PGHOST/PGPORT/PGUSER");
  }
}

Connection::~Connection() = default;

std::vector<Connection::Row> Connection::query(const std::string& sql, const std::vector<std::string>& params) {
  const LibPq& pq = impl_->pq;
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  PGresult* raw = pq.exec_params(impl_->conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                 nullptr, nullptr, 0);
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(raw, pq.clear);
  const auto status = pq.result_status(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string message = trim(pq.error_message(impl_->conn));
    for (auto& c : message)
      if (c == '\n') c = ' ';
    throw Error(pq.status(impl_->conn) == CONNECTION_OK ? ErrorKind::permanent : ErrorKind::transient,
                "PostgreSQL (" + impl_->where + ") refused a statement: " + message);
  }
  std::vector<Row> rows;
  const int n = pq.ntuples(result.get()), m = pq.nfields(result.get());
  for (int i = 0; i < n; ++i) {
    Row row;
    for (int j = 0; j < m; ++j) row.emplace_back(pq.getvalue(result.get(), i, j));
    rows.push_back(std::move(row));
  }
  return rows;
}

int Connection::server_version() const { return impl_->pq.server_version(impl_->conn); }

std::string Connection::describe() const { return impl_->where; }

}  // namespace wale::pg

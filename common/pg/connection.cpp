#include "common/pg/connection.hpp"

#include <fstream>

#include <libpq-fe.h>

#include "common/core/error.hpp"

namespace wale::pg {
namespace {

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
  PGconn* conn = nullptr;
  std::string where;
  ~Impl() {
    if (conn != nullptr) PQfinish(conn);
  }
};

Connection::Connection(const ConnectionParams& params) : impl_(std::make_unique<Impl>()) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
    if (k == "host" || k == "port") impl_->where += (impl_->where.empty() ? "" : " ") + k + " " + v;
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  impl_->conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (impl_->conn == nullptr || PQstatus(impl_->conn) != CONNECTION_OK) {
    std::string message = impl_->conn != nullptr ? trim(PQerrorMessage(impl_->conn)) : "out of memory";
    for (auto& c : message)
      if (c == '\n') c = ' ';
    throw Error(ErrorKind::transient, "cannot connect to PostgreSQL (" + impl_->where + "): " + message +
                                          "; check that the server is running and PGHOST/PGPORT/PGUSER");
  }
}

Connection::~Connection() = default;

std::vector<Connection::Row> Connection::query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  PGresult* raw = PQexecParams(impl_->conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(raw, PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string message = trim(PQerrorMessage(impl_->conn));
    for (auto& c : message)
      if (c == '\n') c = ' ';
    throw Error(PQstatus(impl_->conn) == CONNECTION_OK ? ErrorKind::permanent : ErrorKind::transient,
                "PostgreSQL (" + impl_->where + ") refused a statement: " + message);
  }
  std::vector<Row> rows;
  const int n = PQntuples(result.get()), m = PQnfields(result.get());
  for (int i = 0; i < n; ++i) {
    Row row;
    for (int j = 0; j < m; ++j) row.emplace_back(PQgetvalue(result.get(), i, j));
    rows.push_back(std::move(row));
  }
  return rows;
}

int Connection::server_version() const { return PQserverVersion(impl_->conn); }

std::string Connection::describe() const { return impl_->where; }

}  // namespace wale::pg

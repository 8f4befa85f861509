// A libpq session with the cluster being backed up: the non-exclusive
// backup API needs start and stop in the same session.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace wale::pg {

using ConnectionParams = std::vector<std::pair<std::string, std::string>>;

// Where to reach the server of `data_dir`: the given libpq settings where
// set, otherwise port and socket directory from DATADIR/postmaster.pid.
// Throws wale::Error(usage) when neither says, naming what to set. With no
// `data_dir`, only the given settings (libpq's defaults for the rest).
ConnectionParams connection_params_for(const std::string& data_dir, const std::string& host, const std::string& port,
                                       const std::string& user, const std::string& database, const std::string& sslmode);

class Connection {
 public:
  // Throws wale::Error(transient) when the server cannot be reached, with
  // libpq's message and where it tried.
  explicit Connection(const ConnectionParams& params);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  using Row = std::vector<std::string>;
  // Runs one statement with text parameters; returns the rows (NULL as "").
  // Throws wale::Error(permanent) with the server's message.
  std::vector<Row> query(const std::string& sql, const std::vector<std::string>& params = {});
  int server_version() const;
  std::string describe() const;  // "socket /run/postgresql port 5432" for messages

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wale::pg

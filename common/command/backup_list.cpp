// backup-list [QUERY] [--detail] [--json]: WAL-E's seven columns, tab
// separated, lines ending in CRLF (Python's csv excel-tab dialect), the
// detail-only columns empty without --detail (spec §6.4).
#include <nlohmann/json.hpp>

#include "common/archive/backup_catalog.hpp"
#include "common/archive/sentinel.hpp"
#include "common/command/commands.hpp"
#include "common/core/error.hpp"

namespace wale::command {
namespace {

constexpr const char* kColumns[] = {"name",
                                    "last_modified",
                                    "expanded_size_bytes",
                                    "wal_segment_backup_start",
                                    "wal_segment_offset_backup_start",
                                    "wal_segment_backup_stop",
                                    "wal_segment_offset_backup_stop"};

struct Row {
  archive::BackupEntry backup;
  std::optional<archive::Sentinel> detail;
};

// Minimal quoting, as Python's csv module does.
std::string field(const std::string& value) {
  if (value.find_first_of("\t\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string tsv(const std::vector<Row>& rows) {
  std::string out;
  for (const char* c : kColumns) out += std::string(out.empty() ? "" : "\t") + c;
  out += "\r\n";
  for (const auto& r : rows) {
    const auto& d = r.detail;
    const std::vector<std::string> fields{r.backup.name.str(),
                                          r.backup.last_modified,
                                          d ? std::to_string(d->expanded_size_bytes) : "",
                                          r.backup.name.start.str(),
                                          r.backup.name.offset,
                                          d ? d->stop_segment : "",
                                          d ? d->stop_offset : ""};
    for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? "\t" : "") + field(fields[i]);
    out += "\r\n";
  }
  return out;
}

std::string json(const std::vector<Row>& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& r : rows) {
    nlohmann::ordered_json j;
    j["name"] = r.backup.name.str();
    j["last_modified"] = r.backup.last_modified;
    j["expanded_size_bytes"] = r.detail ? nlohmann::ordered_json(r.detail->expanded_size_bytes) : nullptr;
    j["wal_segment_backup_start"] = r.backup.name.start.str();
    j["wal_segment_offset_backup_start"] = r.backup.name.offset;
    j["wal_segment_backup_stop"] = r.detail ? nlohmann::ordered_json(r.detail->stop_segment) : nullptr;
    j["wal_segment_offset_backup_stop"] = r.detail ? nlohmann::ordered_json(r.detail->stop_offset) : nullptr;
    out.push_back(std::move(j));
  }
  return out.dump(2) + "\n";
}

}  // namespace

int backup_list(CommandContext& ctx, storage::BlobStore& store) {
  const auto backups = archive::list_backups(store);
  std::vector<Row> rows;
  std::string invalid;
  if (ctx.cmd.positionals.empty()) {
    for (const auto& b : backups) rows.push_back(Row{b, std::nullopt});
  } else {
    try {
      if (auto b = archive::select_backup(backups, ctx.cmd.positionals[0])) rows.push_back(Row{*b, std::nullopt});
    } catch (const Error& e) {
      invalid = e.what();
    }
  }
  if (ctx.cmd.get_flag("detail")) {
    for (auto& r : rows) {
      r.detail = archive::fetch_sentinel(store, r.backup.name);
    }
  }
  ctx.out(ctx.cmd.get_flag("json") ? json(rows) : tsv(rows));
  // WAL-E prints the header before it rejects the query.
  if (!invalid.empty()) throw Error(ErrorKind::permanent, invalid);
  return 0;
}

}  // namespace wale::command

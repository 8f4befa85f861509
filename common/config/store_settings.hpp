// Which store a command works on, resolved once from the parsed command
// line and environment (WAL-E's precedence, spec §1.1).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/config/options.hpp"
#include "common/storage/blob_store.hpp"
#include "common/storage/gcs/gcs_settings.hpp"

namespace wale::config {

struct StorePrefix {
  storage::StoreUrl url;
  std::string origin;  // the flag or variable it came from, for messages
};

// nullopt when no prefix is configured at all.
std::optional<StorePrefix> find_prefix(const ParsedCommand& cmd);
// Like find_prefix, but a missing prefix is a usage error naming the variables.
StorePrefix require_prefix(const ParsedCommand& cmd);

// Refuses command-line options that cannot apply to the store the command
// works on (S3 credentials for a file:// prefix, Azure or Google options),
// rather than ignoring them silently. Throws wale::Error(usage).
void check_options_apply(const ParsedCommand& cmd, const storage::StoreUrl& url);

// The Google Cloud Storage settings of a gs:// prefix: reads the
// GOOGLE_APPLICATION_CREDENTIALS file; throws wale::Error(usage) naming the
// variable for a missing, unreadable or malformed value.
storage::gcs::GcsSettings gs_settings(const StorePrefix& prefix, const ParsedCommand& cmd);

// Opens the backend for the prefix, with its settings checked (a usage
// error naming the variable that is wrong).
std::unique_ptr<storage::BlobStore> open_store(const StorePrefix& prefix, const ParsedCommand& cmd);

}  // namespace wale::config

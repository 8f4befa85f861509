// What the Swift backend's unit tests share: settings resolved from an
// environment exactly as wal-e resolves them.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "common/config/options.hpp"
#include "common/config/store_settings.hpp"
#include "common/core/error.hpp"
#include "common/storage/swift/swift_store.hpp"
#include "tests/unit/support/error_of.hpp"

namespace wale::test {

// Through open_store, as a command would (no request is made).
inline storage::swift::SwiftSettings swift_settings_of(const config::Environment& env) {
  const auto cmd = config::parse_command_line({"backup-list"}, env);
  const auto store = config::open_store(config::require_prefix(cmd), cmd);
  const auto* swift = dynamic_cast<const storage::swift::SwiftStore*>(store.get());
  REQUIRE(swift != nullptr);
  return swift->settings();
}

}  // namespace wale::test

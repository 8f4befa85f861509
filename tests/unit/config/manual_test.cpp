// The manual pages and the bash completion come from the option table: every
// option and variable is in them, troff's control characters are escaped,
// and the completion script offers each command's own options.
#include "common/config/manual.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "common/config/options.hpp"
#include "common/core/error.hpp"

namespace {

// As the page spells a name: hyphens are minus signs.
std::string in_roff(std::string_view name) {
  std::string out;
  for (const char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

}  // namespace

TEST_CASE("wal-e(1) lists every command, option and variable of the table", "[config][manual]") {
  const std::string page = wale::config::man_page("wal-e", "9.9.9");
  CHECK(page.find(".TH WAL-E 1 \"\" \"wal-e 9.9.9\"") != std::string::npos);
  for (const auto& c : wale::config::command_table()) {
    if (c.name == "wal-ed" || c.name == "wal-prefetch") continue;
    INFO(c.name);
    CHECK(page.find(".TP\n\\fB" + in_roff(c.name) + "\\fR") != std::string::npos);
  }
  for (const auto& o : wale::config::option_table()) {
    if (o.commands == "wal-ed") continue;
    INFO(o.key);
    if (!o.long_flag.empty()) CHECK(page.find("\\fB" + in_roff(o.long_flag) + "\\fR") != std::string::npos);
    if (!o.env.empty()) CHECK(page.find(in_roff(o.env)) != std::string::npos);
  }
  CHECK_THAT(page, Catch::Contains("WALE_COMPRESSION") && Catch::Contains("only one WAL-E can read"));
  // No line of text may start with a control character.
  std::size_t at = 0;
  while ((at = page.find('\n', at)) != std::string::npos) {
    ++at;
    if (at < page.size() && page[at] == '\'') FAIL("a line starts with a quote at " << at);
  }
}

TEST_CASE("wal-ed(8) lists the daemon's options and the global ones", "[config][manual]") {
  const std::string page = wale::config::man_page("wal-ed", "9.9.9");
  CHECK(page.find(".TH WAL-ED 8") != std::string::npos);
  for (const auto& o : wale::config::option_table()) {
    if (o.long_flag.empty() || !(o.commands.empty() || o.commands == "wal-ed")) continue;
    INFO(o.key);
    CHECK(page.find("\\fB" + in_roff(o.long_flag) + "\\fR") != std::string::npos);
  }
  CHECK_THAT(page, Catch::Contains("SIGTERM") && Catch::Contains("/var/lib/wal") && Catch::Contains("\\-\\-one\\-shot"));
  CHECK_THROWS_AS(wale::config::man_page("wal-x", "1"), wale::Error);
}

TEST_CASE("the bash completion offers commands and each command's options", "[config][manual]") {
  const std::string script = wale::config::bash_completion();
  CHECK_THAT(script, Catch::Contains("complete -F _wal_e wal-e") && Catch::Contains("complete -F _wal_ed wal-ed"));
  CHECK_THAT(script, Catch::Contains("wal-push) opts=\"-p --pool-size -h --help\""));
  CHECK_THAT(script, Catch::Contains("wal-fetch) opts=\"-p --prefetch -h --help\""));
  CHECK_THAT(script, Catch::Contains("before retain old-versions everything"));
  CHECK(script.find("wal-prefetch") == std::string::npos);  // internal, not offered
}

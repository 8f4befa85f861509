#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "common/config/options.hpp"

TEST_CASE("the README's option table is the one the code has", "[config]") {
  std::ifstream in(std::string(WALE_SOURCE_DIR) + "/README.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const std::string begin = "<!-- options:begin -->\n";
  const auto from = readme.find(begin);
  const auto to = readme.find("<!-- options:end -->");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  const std::string in_readme = readme.substr(from + begin.size(), to - from - begin.size());
  INFO("run scripts/update-readme-options.sh after changing the option table");
  CHECK(in_readme == wale::config::options_markdown());
}

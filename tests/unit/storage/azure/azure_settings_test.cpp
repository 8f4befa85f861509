// The Azure settings helpers on their own: endpoint parsing, name rules,
// SAS tokens and their expiry.
#include "common/storage/azure/azure_settings.hpp"

#include <catch2/catch.hpp>

#include "common/core/error.hpp"

using namespace wale::storage::azure;

TEST_CASE("azure settings: account and container names follow Azure's rules", "[storage][azure]") {
  CHECK(valid_account_name("devstoreaccount1"));
  CHECK(valid_account_name("abc"));
  CHECK(valid_account_name(std::string(24, 'a')));
  CHECK_FALSE(valid_account_name(std::string(25, 'a')));
  CHECK_FALSE(valid_account_name("ab"));
  CHECK_FALSE(valid_account_name("Abc"));
  CHECK_FALSE(valid_account_name("a-bc"));
  CHECK(valid_container_name("wal"));
  CHECK(valid_container_name("wal-e-01"));
  CHECK(valid_container_name(std::string(63, 'a')));
  CHECK_FALSE(valid_container_name(std::string(64, 'a')));
  CHECK_FALSE(valid_container_name("-wal"));
  CHECK_FALSE(valid_container_name("wal-"));
  CHECK_FALSE(valid_container_name("w--l"));
  CHECK_FALSE(valid_container_name("Wal"));
  CHECK_FALSE(valid_container_name("w_l"));
  CHECK_FALSE(valid_container_name(""));
}

TEST_CASE("azure settings: an IPv6 endpoint keeps its brackets", "[storage][azure]") {
  AzureSettings s;
  parse_wabs_endpoint("http://[::1]:10000/devstoreaccount1", s);
  CHECK(s.endpoint.host == "[::1]");
  CHECK(s.endpoint.port == 10000);
  parse_wabs_endpoint("https://[::1]", s);
  CHECK(s.endpoint.port == 443);
  CHECK(s.base_path.empty());
}

TEST_CASE("azure settings: SAS tokens", "[storage][azure]") {
  CHECK(normalize_sas_token("?sv=2021-08-06&sig=abc%3D") == "sv=2021-08-06&sig=abc%3D");
  CHECK(normalize_sas_token("sig=abc&sv=1") == "sig=abc&sv=1");
  CHECK_THROWS_AS(normalize_sas_token(""), wale::Error);
  CHECK_THROWS_AS(normalize_sas_token("sv=1"), wale::Error);
  CHECK_THROWS_WITH(normalize_sas_token("https://a.blob.core.windows.net/c?sv=1&sig=x"), Catch::Contains("looks like a URL"));
  CHECK(sas_expiry("sv=1&se=2024-01-01T00%3A00%3A00Z&sig=x") == std::optional<std::string>("2024-01-01T00:00:00Z"));
  CHECK(sas_expiry("sv=1&se=2024-01-01&sig=x") == std::optional<std::string>("2024-01-01"));
  CHECK_FALSE(sas_expiry("sv=1&sig=x").has_value());
}

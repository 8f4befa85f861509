#include "common/storage/s3/s3_settings.hpp"

#include "common/core/error.hpp"
#include "common/net/url.hpp"

namespace wale::storage::s3 {
namespace {

[[noreturn]] void bad_endpoint(std::string_view text, const std::string& why) {
  throw Error(ErrorKind::usage, "WALE_S3_ENDPOINT='" + std::string(text) + "' " + why +
                                    "; write it as http+path://host:port, https+virtualhost://host or https+path://host");
}

bool is_ipv4(std::string_view s) {
  int dots = 0;
  for (char c : s) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

}  // namespace

void parse_s3_endpoint(std::string_view text, S3Settings& settings) {
  const auto sep = text.find("://");
  const auto plus = text.find('+');
  if (sep == std::string_view::npos || plus == std::string_view::npos || plus > sep) bad_endpoint(text, "is not of the form protocol+convention://host");
  const std::string_view protocol = text.substr(0, plus);
  const std::string_view convention = text.substr(plus + 1, sep - plus - 1);
  std::string_view authority = text.substr(sep + 3);
  if (protocol == "http") settings.endpoint.tls = false;
  else if (protocol == "https") settings.endpoint.tls = true;
  else bad_endpoint(text, "names the protocol '" + std::string(protocol) + "'; use http or https");
  if (convention == "path") settings.addressing = Addressing::path;
  else if (convention == "virtualhost" || convention == "subdomain") settings.addressing = Addressing::virtual_host;
  else bad_endpoint(text, "names the convention '" + std::string(convention) + "'; use path, virtualhost or subdomain");
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.find('@') == std::string_view::npos && authority.find_first_of("/?#") != std::string_view::npos)
    bad_endpoint(text, "contains a path or a query");
  if (const std::string problem = net::set_authority(authority, settings.endpoint); !problem.empty()) bad_endpoint(text, problem);
}

bool dns_compatible_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  if (b.front() == '-' || b.front() == '.' || b.back() == '-' || b.back() == '.') return false;
  for (char c : b)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  if (b.find("..") != std::string_view::npos || b.find("-.") != std::string_view::npos ||
      b.find(".-") != std::string_view::npos)
    return false;
  return !is_ipv4(b);
}

void use_aws_region(std::string_view region, S3Settings& settings) {
  if (region.empty()) throw Error(ErrorKind::usage, "must define one of AWS_REGION or WALE_S3_ENDPOINT");
  for (char c : region)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      throw Error(ErrorKind::usage, "AWS_REGION='" + std::string(region) + "' is not a region name such as us-east-1");
  settings.region = std::string(region);
  settings.endpoint.tls = true;
  settings.endpoint.port = 443;
  settings.endpoint.host = "s3." + settings.region + (region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com");
  // WAL-E: DNS-compatible bucket names without dots are addressed as virtual
  // hosts; dotted names would not match the wildcard certificate.
  settings.addressing = dns_compatible_bucket(settings.bucket) && settings.bucket.find('.') == std::string::npos
                            ? Addressing::virtual_host
                            : Addressing::path;
}

}  // namespace wale::storage::s3

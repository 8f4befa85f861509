#include "common/storage/s3/sigv4.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "common/codec/digest.hpp"
#include "common/codec/hmac.hpp"
#include "common/core/error.hpp"
#include "common/net/uri.hpp"

namespace wale::storage::s3 {

namespace {

using codec::hmac_sha256;
using codec::SecretBytes;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// "Trimall": no leading or trailing blanks, inner runs reduced to one space.
std::string trim_all(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (const char c : value) {
    if (is_blank(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Lower-cased names, trimmed values, sorted by name; a header given more
// than once signs as one line with its values joined by commas in order.
HeaderList canonical_headers(const HeaderList& headers) {
  HeaderList sorted;
  sorted.reserve(headers.size());
  for (const auto& [name, value] : headers) sorted.emplace_back(lower(name), trim_all(value));
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  HeaderList merged;
  for (auto& header : sorted) {
    if (!merged.empty() && merged.back().first == header.first) {
      merged.back().second += "," + header.second;
    } else {
      merged.push_back(std::move(header));
    }
  }
  return merged;
}

void check_input(const SigningInput& input) {
  const std::string_view date = input.amz_date;
  const bool shaped = date.size() == 16 && date[8] == 'T' && date[15] == 'Z' &&
                      std::all_of(date.begin(), date.begin() + 8, [](char c) { return c >= '0' && c <= '9'; }) &&
                      std::all_of(date.begin() + 9, date.begin() + 15, [](char c) { return c >= '0' && c <= '9'; });
  if (!shaped) throw Error(ErrorKind::usage, "SigV4: x-amz-date must look like 20130524T000000Z, not '" + input.amz_date + "'");
  if (input.method.empty()) throw Error(ErrorKind::usage, "SigV4: the request method is empty");
  if (input.region.empty()) throw Error(ErrorKind::usage, "SigV4: the region is empty");
  if (input.service.empty()) throw Error(ErrorKind::usage, "SigV4: the service is empty");
  // Each of these is one line of the canonical request or one part of the
  // credential scope: a line break (or a '/' in the scope) would forge others.
  const auto breaks_line = [](std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; };
  if (breaks_line(input.method) || input.method.find(' ') != std::string::npos)
    throw Error(ErrorKind::usage, "SigV4: the request method contains a blank or a line break");
  if (breaks_line(input.canonical_uri) || input.canonical_uri.find(' ') != std::string::npos)
    throw Error(ErrorKind::usage, "SigV4: the request path contains a blank or a line break");
  if (breaks_line(input.payload_sha256_hex)) throw Error(ErrorKind::usage, "SigV4: the payload hash contains a line break");
  for (const std::string_view part : {std::string_view(input.region), std::string_view(input.service)})
    if (breaks_line(part) || part.find_first_of("/ ") != std::string_view::npos)
      throw Error(ErrorKind::usage, "SigV4: the region or service contains a '/', a blank or a line break");
  // A line break would let a header forge further canonical lines. Values
  // are never quoted back: one of them may be a session token.
  // Header names are HTTP tokens: anything else (a ';' above all) would
  // change how SignedHeaders reads.
  const auto token = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  };
  for (const auto& [name, value] : input.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), token))
      throw Error(ErrorKind::usage, "SigV4: the header name '" + printable(name) + "' is not an HTTP token");
    if (value.find_first_of("\r\n") != std::string::npos)
      throw Error(ErrorKind::usage, "SigV4: the value of header " + name + " contains a line break");
  }
}

SecretBytes signing_key(const Credentials& credentials, std::string_view date, const SigningInput& input) {
  const SecretBytes secret("AWS4" + credentials.secret_access_key);
  const SecretBytes date_key = hmac_sha256(secret.view(), date);
  const SecretBytes region_key = hmac_sha256(date_key.view(), input.region);
  const SecretBytes service_key = hmac_sha256(region_key.view(), input.service);
  return hmac_sha256(service_key.view(), kTerminator);
}

}  // namespace

std::string canonical_query(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [name, value] : query) {
    name = net::uri_encode(name, false);
    value = net::uri_encode(value, false);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

Signature sign_v4(const SigningInput& input, const Credentials& credentials) {
  check_input(input);
  // It becomes part of the Authorization header; it is not quoted back.
  if (credentials.access_key_id.find_first_of("\r\n,/ ") != std::string::npos)
    throw Error(ErrorKind::usage, "SigV4: the access key id contains a '/', a ',', a blank or a line break");
  Signature result;

  std::string header_lines;
  for (const auto& [name, value] : canonical_headers(input.headers)) {
    header_lines += name + ":" + value + "\n";
    if (!result.signed_headers.empty()) result.signed_headers.push_back(';');
    result.signed_headers += name;
  }

  result.canonical_request = input.method + "\n" + (input.canonical_uri.empty() ? "/" : input.canonical_uri) + "\n" +
                             canonical_query(input.query) + "\n" + header_lines + "\n" + result.signed_headers + "\n" +
                             input.payload_sha256_hex;

  const std::string date = input.amz_date.substr(0, 8);
  const std::string scope = date + "/" + input.region + "/" + input.service + "/" + std::string(kTerminator);
  result.string_to_sign = std::string(kAlgorithm) + "\n" + input.amz_date + "\n" + scope + "\n" +
                          codec::sha256_hex(result.canonical_request);

  const SecretBytes key = signing_key(credentials, date, input);
  result.signature_hex = codec::to_hex(hmac_sha256(key.view(), result.string_to_sign).view());
  result.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" + scope +
                         ", SignedHeaders=" + result.signed_headers + ", Signature=" + result.signature_hex;
  return result;
}

std::string amz_date_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  if (gmtime_r(&now, &utc) == nullptr) throw Error(ErrorKind::permanent, "the system clock is out of range");
  std::array<char, 32> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
  return std::string(text.data(), length);
}

}  // namespace wale::storage::s3

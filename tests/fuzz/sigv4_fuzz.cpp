// libFuzzer target for SigV4 canonicalisation and the signer's input
// handling: arbitrary methods, paths, query pairs, headers, dates and
// regions end in wale::Error(usage) or in a signature whose canonical
// request has exactly one line per part (no input can forge a line), whose
// query is canonical whatever order it came in, and whose hex is well
// formed. Percent-encoding decodes back to its input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/error.hpp"
#include "common/net/uri.hpp"
#include "common/storage/s3/sigv4.hpp"

namespace {

using wale::storage::s3::SigningInput;

// The input's fields, separated by NUL bytes.
std::vector<std::string> fields_of(std::string_view input) {
  std::vector<std::string> out;
  for (;;) {
    const auto nul = input.find('\0');
    out.emplace_back(input.substr(0, nul));
    if (nul == std::string_view::npos) return out;
    input.remove_prefix(nul + 1);
  }
}

std::string decode(std::string_view encoded) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out += encoded[i];
      continue;
    }
    if (i + 2 >= encoded.size()) __builtin_trap();
    out += static_cast<char>(std::stoi(std::string(encoded.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

bool hex_only(std::string_view s) { return s.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto f = fields_of(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto at = [&f](std::size_t i) { return i < f.size() ? f[i] : std::string(); };

  for (const bool keep_slash : {false, true}) {
    const std::string encoded = wale::net::uri_encode(at(0), keep_slash);
    if (encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%/") != std::string::npos)
      __builtin_trap();
    if (!keep_slash && encoded.find('/') != std::string::npos) __builtin_trap();
    if (decode(encoded) != at(0)) __builtin_trap();
  }

  SigningInput in;
  in.method = at(0);
  in.canonical_uri = at(1);
  in.payload_sha256_hex = at(2);
  in.amz_date = at(3).size() == 16 ? at(3) : "20130524T000000Z";
  in.region = at(4).empty() ? "us-east-1" : at(4);
  std::size_t i = 5;
  for (; i + 1 < f.size() && f[i] != "--"; i += 2) in.query.emplace_back(f[i], f[i + 1]);
  for (++i; i + 1 < f.size(); i += 2) in.headers.emplace_back(f[i], f[i + 1]);
  in.headers.emplace_back("host", "bucket.s3.amazonaws.com");

  auto reversed = in.query;
  std::reverse(reversed.begin(), reversed.end());
  if (wale::storage::s3::canonical_query(in.query) != wale::storage::s3::canonical_query(reversed)) __builtin_trap();

  wale::storage::s3::Signature sig;
  try {
    sig = wale::storage::s3::sign_v4(in, {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token"});
  } catch (const wale::Error& e) {
    if (e.kind() != wale::ErrorKind::usage) __builtin_trap();
    return 0;
  }
  // method, path, query, one line per distinct header, blank, signed headers, payload hash
  const std::size_t headers = static_cast<std::size_t>(std::count(sig.signed_headers.begin(), sig.signed_headers.end(), ';')) + 1;
  if (static_cast<std::size_t>(std::count(sig.canonical_request.begin(), sig.canonical_request.end(), '\n')) != 5 + headers)
    __builtin_trap();
  if (std::count(sig.string_to_sign.begin(), sig.string_to_sign.end(), '\n') != 3) __builtin_trap();
  if (sig.signature_hex.size() != 64 || !hex_only(sig.signature_hex)) __builtin_trap();
  if (sig.authorization.find_first_of("\r\n") != std::string::npos) __builtin_trap();
  return 0;
}

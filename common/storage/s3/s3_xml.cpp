#include "common/storage/s3/s3_xml.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <limits>
#include <span>

#include "common/core/error.hpp"
#include "common/net/xml.hpp"

namespace wale::storage::s3 {

namespace {

using net::XmlElement;

constexpr std::size_t kMaxDeleteKeys = 1000;

[[noreturn]] void unexpected(const std::string& what) { throw Error(ErrorKind::corrupt, "S3 answer: " + what); }

// Text the store chose, made fit for a one-line error message.
std::string one_line(std::string_view text) {
  constexpr std::size_t kLongest = 200;
  std::string out(text.substr(0, kLongest));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (text.size() > kLongest) out += "...";
  return out;
}

// The root must be the document the request asks for; an <Error> in its
// place is reported with its code so the operator sees what S3 said.
void expect_root(const XmlElement& root, std::string_view expected) {
  if (root.name == expected) return;
  if (root.name == "Error")
    unexpected("expected <" + std::string(expected) + "> but got error " + one_line(root.child_text("Code")) + ": " +
               one_line(root.child_text("Message")));
  unexpected("expected <" + std::string(expected) + "> but got <" + one_line(root.name) + ">");
}

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// encoding-type=url is form encoding: AWS and MinIO send a space as '+' and
// a literal '+' as %2B.
std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] != '%') {
      out.push_back(text[i]);
    } else {
      const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int low = high >= 0 ? hex_value(text[i + 2]) : -1;
      if (low < 0) unexpected("bad percent-encoding in a url-encoded key");
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return out;
}

std::uint64_t parse_size(std::string_view text) {
  const std::string_view digits = trimmed(text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    unexpected("object size '" + one_line(digits.substr(0, 32)) + "' is not a number");
  return value;
}

bool parse_flag(std::string_view text) {
  const std::string_view flag = trimmed(text);
  if (flag == "true") return true;
  if (flag.empty() || flag == "false") return false;
  unexpected("IsTruncated is '" + one_line(flag.substr(0, 32)) + "', not true or false");
}

ListedObject listed_object(const XmlElement& contents, bool url_encoded) {
  ListedObject object;
  const std::string key = contents.child_text("Key");
  object.key = url_encoded ? url_decode(key) : key;
  if (object.key.empty()) unexpected("a listed object has no Key");
  if (contents.child("Size") == nullptr) unexpected("listed object has no Size");
  object.size = parse_size(contents.child_text("Size"));
  object.last_modified = std::string(trimmed(contents.child_text("LastModified")));
  object.etag = std::string(trimmed(contents.child_text("ETag")));
  return object;
}

S3Error error_of(const XmlElement& error) {
  return S3Error{error.child_text("Code"), error.child_text("Message"), error.child_text("RequestId")};
}

// Codes S3 documents as worth retrying.
bool transient_code(std::string_view code) {
  return code == "InternalError" || code == "SlowDown" || code == "ServiceUnavailable" || code == "RequestTimeout";
}

// For element content only: quotes stay literal, as AWS's own examples and
// SDKs write ETags, while markup and control characters are escaped.
std::string escape_content(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const std::size_t quote = std::min(text.find_first_of("\"'"), text.size());
    out += net::xml_escape(text.substr(0, quote));
    if (quote < text.size()) out.push_back(text[quote]);
    text.remove_prefix(std::min(quote + 1, text.size()));
  }
  return out;
}

// Reads the fields of a timestamp left to right.
class Fields {
 public:
  explicit Fields(std::string_view text) : text_(text) {}

  bool number(std::size_t min_digits, std::size_t max_digits, int& out) {
    std::size_t count = 0;
    out = 0;
    while (count < max_digits && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      out = out * 10 + (text_[pos_++] - '0');
      ++count;
    }
    return count >= min_digits;
  }
  bool literal(std::string_view expected) {
    if (!text_.substr(pos_).starts_with(expected)) return false;
    pos_ += expected.size();
    return true;
  }
  // Digits after a decimal point, as nanoseconds (beyond 9 digits ignored).
  bool fraction(std::int64_t& nanoseconds) {
    std::size_t count = 0;
    nanoseconds = 0;
    for (; pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; ++pos_, ++count) {
      if (count < 9) nanoseconds = nanoseconds * 10 + (text_[pos_] - '0');
    }
    for (std::size_t i = count; i < 9; ++i) nanoseconds *= 10;
    return count > 0;
  }
  // One of `names`; its index.
  bool name(std::span<const std::string_view> names, int& index) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (literal(names[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }
  bool done() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap_year(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// Civil UTC time to nanoseconds since the epoch; 0 for an impossible date
// or one that int64 nanoseconds cannot hold (before 1678 or after 2262).
std::int64_t to_epoch_ns(int year, int month, int day, int hour, int minute, int second, std::int64_t fraction_ns) {
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 60)
    return 0;
  std::tm fields{};
  fields.tm_year = year - 1900;
  fields.tm_mon = month - 1;
  fields.tm_mday = day;
  fields.tm_hour = hour;
  fields.tm_min = minute;
  fields.tm_sec = second;
  const std::time_t seconds = timegm(&fields);
  constexpr std::int64_t kNsPerSecond = 1'000'000'000;
  constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / kNsPerSecond - 1;
  if (seconds > kLimit || seconds < -kLimit) return 0;
  return static_cast<std::int64_t>(seconds) * kNsPerSecond + fraction_ns;
}

}  // namespace

ListPage parse_list_page(std::string_view xml, bool url_encoded) {
  const XmlElement root = net::parse_xml(xml);
  expect_root(root, "ListBucketResult");
  ListPage page;
  for (const XmlElement* contents : root.children_named("Contents")) page.objects.push_back(listed_object(*contents, url_encoded));
  for (const XmlElement* prefixes : root.children_named("CommonPrefixes")) {
    for (const XmlElement* prefix : prefixes->children_named("Prefix"))
      page.common_prefixes.push_back(url_encoded ? url_decode(prefix->text) : prefix->text);
  }
  page.truncated = parse_flag(root.child_text("IsTruncated"));
  // The token is opaque and never url-encoded, whatever encoding-type says.
  // A truncated page without a token is reported as such: what to do about
  // it is the caller's decision.
  page.next_continuation_token = std::string(trimmed(root.child_text("NextContinuationToken")));
  return page;
}

S3Error parse_error(std::string_view xml) {
  try {
    const XmlElement root = net::parse_xml(xml);
    if (root.name == "Error") return error_of(root);
  } catch (const Error&) {
    // Not XML (an HTML page from a proxy, an empty HEAD body): no fields.
  }
  return {};
}

std::string parse_upload_id(std::string_view xml) {
  const XmlElement root = net::parse_xml(xml);
  expect_root(root, "InitiateMultipartUploadResult");
  std::string upload_id(trimmed(root.child_text("UploadId")));
  if (upload_id.empty()) unexpected("InitiateMultipartUploadResult has no UploadId");
  return upload_id;
}

std::optional<S3Error> parse_complete_result(std::string_view xml) {
  const XmlElement root = net::parse_xml(xml);
  if (root.name == "Error") return error_of(root);
  expect_root(root, "CompleteMultipartUploadResult");
  return std::nullopt;
}

std::string complete_multipart_body(const std::vector<CompletedPart>& parts) {
  std::string body = "<CompleteMultipartUpload>";
  for (const CompletedPart& part : parts) {
    body += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>" + escape_content(part.etag) +
            "</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  return body;
}

std::string delete_objects_body(const std::vector<std::string>& keys) {
  if (keys.empty() || keys.size() > kMaxDeleteKeys)
    throw Error(ErrorKind::usage, "DeleteObjects takes 1 to " + std::to_string(kMaxDeleteKeys) + " keys, not " +
                                      std::to_string(keys.size()));
  std::string body = "<Delete><Quiet>true</Quiet>";
  for (const std::string& key : keys) body += "<Object><Key>" + escape_content(key) + "</Key></Object>";
  body += "</Delete>";
  return body;
}

std::vector<DeleteFailure> parse_delete_result(std::string_view xml) {
  const XmlElement root = net::parse_xml(xml);
  if (root.name == "Error") {
    const S3Error error = error_of(root);
    throw Error(transient_code(error.code) ? ErrorKind::transient : ErrorKind::permanent,
                "S3 DeleteObjects failed: " + one_line(error.code) + ": " + one_line(error.message));
  }
  expect_root(root, "DeleteResult");
  std::vector<DeleteFailure> failures;
  for (const XmlElement* error : root.children_named("Error"))
    failures.push_back(DeleteFailure{error->child_text("Key"), error->child_text("Code"), error->child_text("Message")});
  return failures;
}

std::int64_t parse_iso8601_ns(std::string_view text) {
  Fields f(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::int64_t fraction_ns = 0;
  if (!(f.number(4, 4, year) && f.literal("-") && f.number(2, 2, month) && f.literal("-") && f.number(2, 2, day) &&
        f.literal("T") && f.number(2, 2, hour) && f.literal(":") && f.number(2, 2, minute) && f.literal(":") &&
        f.number(2, 2, second)))
    return 0;
  if (f.literal(".") && !f.fraction(fraction_ns)) return 0;
  if (!f.literal("Z") || !f.done()) return 0;
  return to_epoch_ns(year, month, day, hour, minute, second, fraction_ns);
}

std::int64_t parse_http_date_ns(std::string_view text) {
  static constexpr std::array<std::string_view, 7> kWeekdays{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  Fields f(text);
  int weekday = 0, day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!(f.name(kWeekdays, weekday) && f.literal(", ") && f.number(1, 2, day) && f.literal(" ") &&
        f.name(kMonths, month) && f.literal(" ") && f.number(4, 4, year) && f.literal(" ") &&
        f.number(2, 2, hour) && f.literal(":") && f.number(2, 2, minute) && f.literal(":") && f.number(2, 2, second) &&
        f.literal(" GMT") && f.done()))
    return 0;
  return to_epoch_ns(year, month + 1, day, hour, minute, second, 0);
}

}  // namespace wale::storage::s3

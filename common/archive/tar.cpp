// Tar streams (shared/spec/wal-e-format.md §3.5), written from the ustar
// and pax descriptions in IEEE 1003.1-2001 `pax` and the GNU tar manual's
// "Basic Tar Format".
//
// Writer: ustar headers, preceded by a pax 'x' header only for what ustar
// cannot hold, so that plain archives stay readable by the oldest tools.
//
// Reader: a push parser whose state survives between write() calls, so a
// header, a pax record or a member's data may arrive split anywhere. Member
// data is handed to the visitor straight from the caller's buffer; only
// 512-byte headers and extension payloads (bounded) are copied.
#include "common/archive/tar.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include "common/core/error.hpp"

namespace wale::archive {
namespace {

constexpr std::size_t kBlockSize = 512;
constexpr std::size_t kRecordSize = 10240;  // 20 blocks: tar's default blocking factor
// Extension payloads (pax records, GNU long names) are held in memory. Real
// ones are a few hundred bytes; a bound keeps hostile input from making us
// allocate what its header claims.
constexpr std::uint64_t kMaxExtensionSize = std::uint64_t{1} << 20;
constexpr std::uint32_t kNanosPerSecond = 1'000'000'000;

using Block = std::array<char, kBlockSize>;

// The ustar header layout.
struct Field {
  std::size_t offset;
  std::size_t size;
};
constexpr Field kName{0, 100};
constexpr Field kMode{100, 8};
constexpr Field kUid{108, 8};
constexpr Field kGid{116, 8};
constexpr Field kSize{124, 12};
constexpr Field kMtime{136, 12};
constexpr Field kChecksum{148, 8};
constexpr std::size_t kTypeflag = 156;
constexpr Field kLinkname{157, 100};
constexpr Field kMagic{257, 6};
constexpr Field kVersion{263, 2};
constexpr Field kUname{265, 32};
constexpr Field kGname{297, 32};
constexpr Field kPrefix{345, 155};

constexpr std::string_view kPosixMagic{"ustar\0", 6};
constexpr std::string_view kPaxHeaderName = "././@PaxHeader";  // what Python's tarfile writes

const Block kZeroBlock{};

std::string_view field_of(const Block& block, Field f) { return {block.data() + f.offset, f.size}; }

// A NUL-terminated string inside a fixed field (not terminated when full).
std::string_view text_of(const Block& block, Field f) {
  const std::string_view raw = field_of(block, f);
  return raw.substr(0, std::min(raw.find('\0'), raw.size()));
}

// The largest value an octal field holds: all but its last byte are digits,
// the last is the NUL terminator.
constexpr std::uint64_t octal_limit(Field f) { return (std::uint64_t{1} << (3 * (f.size - 1))) - 1; }

struct Checksums {
  std::int64_t unsigned_sum = 0;
  std::int64_t signed_sum = 0;  // what some historical tars computed
};

// Sums of the header's bytes with the checksum field counted as spaces
// (the field is skipped, not tested byte by byte: every header is summed).
Checksums checksums_of(const Block& block) {
  Checksums sums{kChecksum.size * ' ', kChecksum.size * ' '};
  const auto add = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      sums.unsigned_sum += static_cast<unsigned char>(block[i]);
      sums.signed_sum += static_cast<signed char>(block[i]);
    }
  };
  add(0, kChecksum.offset);
  add(kChecksum.offset + kChecksum.size, block.size());
  return sums;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::size_t decimal_digits(std::size_t n) {
  std::size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

// ---- writer helpers ---------------------------------------------------------

class HeaderBuilder {
 public:
  void text(Field f, std::string_view s) { std::copy_n(s.begin(), std::min(s.size(), f.size), block_.begin() + f.offset); }

  void octal(Field f, std::uint64_t value) {
    // Zero-padded digits and a NUL, as Python's tarfile and GNU tar write them.
    std::size_t i = f.size - 1;
    block_[f.offset + i] = '\0';
    while (i > 0) {
      --i;
      block_[f.offset + i] = static_cast<char>('0' + (value & 7));
      value >>= 3;
    }
  }

  void typeflag(char t) { block_[kTypeflag] = t; }

  const Block& finish() {
    text(kMagic, kPosixMagic);
    text(kVersion, "00");
    octal(Field{kChecksum.offset, 7}, static_cast<std::uint64_t>(checksums_of(block_).unsigned_sum));
    block_[kChecksum.offset + 7] = ' ';
    return block_;
  }

 private:
  Block block_{};
};

// "%d key=value\n" where %d counts the whole record, its own digits included.
void append_pax_record(std::string& out, std::string_view key, std::string_view value) {
  const std::size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  std::size_t length = body + decimal_digits(body);
  while (body + decimal_digits(length) != length) length = body + decimal_digits(length);
  out += std::to_string(length);
  out += ' ';
  out += key;
  out += '=';
  out += value;
  out += '\n';
}

// Decimal seconds with the fraction trimmed of trailing zeros; a negative
// time is written as the signed value ("-1.5" is 1.5 s before the epoch).
std::string pax_time(std::int64_t seconds, std::uint32_t nanos) {
  if (nanos == 0) return std::to_string(seconds);
  std::string whole;
  std::uint32_t fraction = nanos;
  if (seconds < 0) {
    whole = "-" + std::to_string(-(seconds + 1));
    fraction = kNanosPerSecond - nanos;
  } else {
    whole = std::to_string(seconds);
  }
  std::string digits = std::to_string(fraction);
  digits.insert(0, 9 - digits.size(), '0');
  digits.erase(digits.find_last_not_of('0') + 1);
  return whole + "." + digits;
}

struct UstarName {
  std::string_view prefix;
  std::string_view name;
};

// ustar stores a long path as prefix (≤155) + '/' + name (≤100), split at a
// '/' that leaves neither part empty.
std::optional<UstarName> split_ustar_name(std::string_view path) {
  if (path.size() <= kName.size) return UstarName{{}, path};
  const std::size_t first = path.size() - kName.size - 1;
  const std::size_t last = std::min(kPrefix.size, path.size() - 2);
  for (std::size_t slash = std::max<std::size_t>(first, 1); slash <= last; ++slash) {
    if (path[slash] == '/') return UstarName{path.substr(0, slash), path.substr(slash + 1)};
  }
  return std::nullopt;
}

char typeflag_of(TarMember::Type type) {
  switch (type) {
    case TarMember::Type::file: return '0';
    case TarMember::Type::directory: return '5';
    case TarMember::Type::symlink: return '2';
    case TarMember::Type::hardlink: return '1';
    case TarMember::Type::other: break;
  }
  throw std::invalid_argument("tar: cannot write a member of type 'other'");
}

void check_writable(const TarMember& m) {
  const auto has_nul = [](std::string_view s) { return s.find('\0') != std::string_view::npos; };
  if (has_nul(m.name) || has_nul(m.link_target) || has_nul(m.uname) || has_nul(m.gname))
    throw std::invalid_argument("tar: member fields cannot contain NUL bytes");
  if (m.name.empty() && m.type != TarMember::Type::directory)
    throw std::invalid_argument("tar: only the root directory may have an empty name");
  if (m.mtime_nsec >= kNanosPerSecond) throw std::invalid_argument("tar: mtime_nsec must be below 1e9");
}

struct EncodedHeader {
  std::string pax_records;  // empty when ustar holds everything
  Block ustar{};
};

EncodedHeader encode_header(const TarMember& m) {
  EncodedHeader out;
  HeaderBuilder h;
  std::string path = m.name;
  if (m.type == TarMember::Type::directory && (path.empty() || path.back() != '/')) path += '/';
  if (const auto split = split_ustar_name(path)) {
    h.text(kPrefix, split->prefix);
    h.text(kName, split->name);
  } else {
    append_pax_record(out.pax_records, "path", path);
    h.text(kName, path);  // truncated: only for readers that ignore pax
  }

  const bool has_link = m.type == TarMember::Type::symlink || m.type == TarMember::Type::hardlink;
  if (has_link) {
    if (m.link_target.size() > kLinkname.size) append_pax_record(out.pax_records, "linkpath", m.link_target);
    h.text(kLinkname, m.link_target);
  }

  const std::uint64_t size = m.type == TarMember::Type::file ? m.size : 0;
  if (size > octal_limit(kSize)) append_pax_record(out.pax_records, "size", std::to_string(size));
  h.octal(kSize, size <= octal_limit(kSize) ? size : 0);

  for (const auto& [field, key, id] : {std::tuple{kUid, "uid", m.uid}, std::tuple{kGid, "gid", m.gid}}) {
    if (id > octal_limit(field)) append_pax_record(out.pax_records, key, std::to_string(id));
    h.octal(field, id <= octal_limit(field) ? id : 0);
  }

  for (const auto& [field, key, name] : {std::tuple{kUname, "uname", &m.uname}, std::tuple{kGname, "gname", &m.gname}}) {
    const bool fits = name->size() <= field.size && is_ascii(*name);
    if (!fits) append_pax_record(out.pax_records, key, *name);
    h.text(field, fits ? std::string_view(*name) : std::string_view());
  }

  const bool mtime_fits = m.mtime >= 0 && static_cast<std::uint64_t>(m.mtime) <= octal_limit(kMtime);
  if (!mtime_fits || m.mtime_nsec != 0) append_pax_record(out.pax_records, "mtime", pax_time(m.mtime, m.mtime_nsec));
  h.octal(kMtime, mtime_fits ? static_cast<std::uint64_t>(m.mtime) : 0);

  h.octal(kMode, m.mode & 07777);
  h.typeflag(typeflag_of(m.type));
  out.ustar = h.finish();
  return out;
}

Block pax_header_block(std::size_t payload_size) {
  HeaderBuilder h;
  h.text(kName, kPaxHeaderName);
  h.octal(kMode, 0);
  h.octal(kUid, 0);
  h.octal(kGid, 0);
  h.octal(kSize, payload_size);
  h.octal(kMtime, 0);
  h.typeflag('x');
  return h.finish();
}

std::string_view view_of(const Block& block) { return {block.data(), block.size()}; }

// ---- reader helpers ---------------------------------------------------------

[[noreturn]] void corrupt(const std::string& what, std::uint64_t offset) {
  throw Error(ErrorKind::corrupt, "tar: " + what + " at offset " + std::to_string(offset));
}

struct Number {
  bool negative = false;
  std::uint64_t magnitude = 0;
};

// GNU's base-256: the first byte's 0x80 bit marks it, its 0x40 bit is the
// sign of a big-endian two's complement number.
std::optional<Number> parse_base256(std::string_view field) {
  const auto first = static_cast<unsigned char>(field[0]);
  const bool negative = (first & 0x40) != 0;
  const auto flip = [negative](unsigned char b) { return negative ? static_cast<unsigned char>(~b) : b; };
  std::uint64_t bits = flip(first) & 0x3f;
  for (const char c : field.substr(1)) {
    if (bits > (std::numeric_limits<std::uint64_t>::max() >> 8)) return std::nullopt;
    bits = (bits << 8) | flip(static_cast<unsigned char>(c));
  }
  if (!negative) return Number{false, bits};
  if (bits == std::numeric_limits<std::uint64_t>::max()) return std::nullopt;
  return Number{true, bits + 1};
}

// Octal digits after optional spaces, ended by a NUL, a space or the end of
// the field; an empty field is 0 (as Python's tarfile reads it).
std::optional<Number> parse_octal(std::string_view field) {
  std::size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  std::uint64_t value = 0;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (value > (std::numeric_limits<std::uint64_t>::max() >> 3)) return std::nullopt;
    value = value * 8 + static_cast<std::uint64_t>(field[i] - '0');
  }
  while (i < field.size() && field[i] == ' ') ++i;
  if (i < field.size() && field[i] != '\0') return std::nullopt;
  return Number{false, value};
}

std::optional<Number> parse_numeric(std::string_view field) {
  if ((static_cast<unsigned char>(field[0]) & 0x80) != 0) return parse_base256(field);
  return parse_octal(field);
}

std::optional<std::uint64_t> parse_decimal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

struct Timestamp {
  std::int64_t seconds = 0;
  std::uint32_t nanos = 0;
};

std::optional<Timestamp> timestamp_of(bool negative, std::uint64_t whole, std::uint32_t fraction) {
  constexpr auto kMaxSeconds = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (whole > kMaxSeconds) return std::nullopt;
  const auto seconds = static_cast<std::int64_t>(whole);
  if (!negative) return Timestamp{seconds, fraction};
  if (fraction == 0) return Timestamp{-seconds, 0};
  return Timestamp{-seconds - 1, kNanosPerSecond - fraction};
}

// pax "mtime": [-]digits[.digits]; digits beyond nanoseconds are dropped.
std::optional<Timestamp> parse_pax_time(std::string_view s) {
  const bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  const std::size_t dot = s.find('.');
  const auto whole = parse_decimal(s.substr(0, dot));
  if (!whole) return std::nullopt;
  std::uint32_t fraction = 0;
  if (dot != std::string_view::npos) {
    const std::string_view digits = s.substr(dot + 1);
    std::uint32_t scale = kNanosPerSecond;
    for (const char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      scale /= 10;
      fraction += static_cast<std::uint32_t>(c - '0') * scale;
    }
  }
  return timestamp_of(negative, *whole, fraction);
}

// The pax keywords that change a member; others (atime, ctime, hdrcharset,
// vendor keywords) are checked for syntax only.
enum class Keyword { path, linkpath, size, uid, gid, uname, gname, mtime, count };

std::optional<Keyword> keyword_of(std::string_view key) {
  static constexpr std::array<std::pair<std::string_view, Keyword>, 8> kKnown{{
      {"path", Keyword::path},
      {"linkpath", Keyword::linkpath},
      {"size", Keyword::size},
      {"uid", Keyword::uid},
      {"gid", Keyword::gid},
      {"uname", Keyword::uname},
      {"gname", Keyword::gname},
      {"mtime", Keyword::mtime},
  }};
  for (const auto& [name, keyword] : kKnown) {
    if (name == key) return keyword;
  }
  return std::nullopt;
}

bool valid_pax_value(Keyword k, std::string_view value) {
  switch (k) {
    case Keyword::size: return parse_decimal(value).has_value();
    case Keyword::uid:
    case Keyword::gid: {
      const auto id = parse_decimal(value);
      return id && *id <= std::numeric_limits<std::uint32_t>::max();
    }
    case Keyword::mtime: return parse_pax_time(value).has_value();
    default: return true;
  }
}

// Raw pax values by keyword. An empty value is kept: in a local header it
// cancels the global value and falls back to the ustar field (POSIX: a
// zero-length value deletes the keyword).
using PaxValues = std::array<std::optional<std::string>, static_cast<std::size_t>(Keyword::count)>;

std::optional<std::string>& slot(PaxValues& values, Keyword k) { return values[static_cast<std::size_t>(k)]; }

// The pax value in force for a member: local, else global; nullopt means the
// ustar field applies.
std::optional<std::string_view> effective(const PaxValues& local, const PaxValues& global, Keyword k) {
  const auto& l = local[static_cast<std::size_t>(k)];
  if (l) return l->empty() ? std::nullopt : std::optional<std::string_view>(*l);
  const auto& g = global[static_cast<std::size_t>(k)];
  if (g) return std::string_view(*g);
  return std::nullopt;
}

bool is_data_type(char t) {
  // Links, devices, fifos and directories carry no data whatever their size
  // field says (as Python's tarfile reads them); unknown types do.
  return std::string_view("123456").find(t) == std::string_view::npos;
}

TarMember::Type member_type(char t, std::string_view raw_name) {
  switch (t) {
    case '0':
    case '7': return TarMember::Type::file;
    case '\0':  // pre-POSIX tar marked directories only by the trailing '/'
      return !raw_name.empty() && raw_name.back() == '/' ? TarMember::Type::directory : TarMember::Type::file;
    case '5': return TarMember::Type::directory;
    case '2': return TarMember::Type::symlink;
    case '1': return TarMember::Type::hardlink;
    default: return TarMember::Type::other;
  }
}

// Member names relative to the restore root: no leading "./", and the data
// directory itself ("/", ".", "") is the empty name. Any other name that
// starts with "/" stays absolute, so that the restore refuses it rather
// than quietly putting it somewhere else.
std::string normalize_name(std::string_view raw, bool directory) {
  if (directory) {
    while (!raw.empty() && raw.back() == '/') raw.remove_suffix(1);
  }
  while (raw.substr(0, 2) == "./") raw.remove_prefix(2);
  if (raw == ".") return {};
  return std::string(raw);
}

}  // namespace

// ---- TarWriter ----------------------------------------------------------------

TarWriter::TarWriter(ByteSink& out) : out_(out) {}

void TarWriter::add(const TarMember& member) {
  if (closed_) throw std::logic_error("tar: add() after close()");
  if (in_member_) throw std::logic_error("tar: add() before end_member() of the previous file");
  check_writable(member);
  const EncodedHeader header = encode_header(member);
  if (!header.pax_records.empty()) {
    emit(view_of(pax_header_block(header.pax_records.size())));
    emit(header.pax_records);
    pad_to_block();
  }
  emit(view_of(header.ustar));
  if (member.type == TarMember::Type::file) {
    in_member_ = true;
    member_left_ = member.size;
  }
}

void TarWriter::write_data(std::string_view data) {
  if (!in_member_) throw std::logic_error("tar: write_data() outside a regular file");
  if (data.size() > member_left_) throw std::logic_error("tar: write_data() beyond the member's declared size");
  member_left_ -= data.size();
  emit(data);
}

// Members other than regular files are complete after add(); ending one
// again is harmless, so callers may end every member uniformly.
void TarWriter::end_member() {
  if (!in_member_) return;
  if (member_left_ != 0)
    throw std::logic_error("tar: end_member() with " + std::to_string(member_left_) + " declared bytes unwritten");
  pad_to_block();
  in_member_ = false;
}

void TarWriter::close() {
  if (closed_) return;
  if (in_member_) throw std::logic_error("tar: close() inside a member");
  emit(view_of(kZeroBlock));
  emit(view_of(kZeroBlock));
  const std::uint64_t tail = written_ % kRecordSize;
  for (std::uint64_t left = tail == 0 ? 0 : kRecordSize - tail; left > 0; left -= kBlockSize) emit(view_of(kZeroBlock));
  closed_ = true;
  out_.close();
}

void TarWriter::emit(std::string_view bytes) {
  out_.write(bytes);
  written_ += bytes.size();
}

void TarWriter::pad_to_block() {
  const std::uint64_t tail = written_ % kBlockSize;
  if (tail != 0) emit(view_of(kZeroBlock).substr(0, kBlockSize - tail));
}

// ---- TarReader ----------------------------------------------------------------

struct TarReader::State {
  enum class Phase { header, data, padding, end };
  // What the bytes after a header are.
  enum class Payload { file_data, skipped, pax_local, pax_global, long_name, long_link };

  explicit State(Visitor& v) : visitor(v) {}

  Visitor& visitor;
  Phase phase = Phase::header;
  Payload payload = Payload::file_data;
  Block block{};
  std::size_t filled = 0;       // bytes of `block` received
  std::uint64_t data_left = 0;  // payload bytes still to come
  std::uint64_t pad_left = 0;   // padding after the payload
  std::string extension;        // payload of an extension header
  PaxValues local;              // 'x' values for the next member
  PaxValues global;             // 'g' values for all following members
  std::optional<std::string> long_name;  // GNU 'L'
  std::optional<std::string> long_link;  // GNU 'K'
  bool extension_pending = false;        // an 'x', 'L' or 'K' awaits its member
  std::string member_name;               // for messages
  bool member_open = false;              // begin_member sent, end_member not yet
  std::uint64_t offset = 0;              // stream offset of the next byte
  std::uint64_t header_offset = 0;       // stream offset of the current header

  void consume(std::string_view data);
  void take_header_bytes(std::string_view& data);
  void take_data(std::string_view& data);
  void take_padding(std::string_view& data);
  void on_header();
  void verify_checksum() const;
  std::uint64_t number(Field f, const char* what) const;
  void start_extension(Payload kind);
  void start_member(char typeflag);
  void start_payload(Payload kind, std::uint64_t size);
  void payload_done();
  void member_done();
  void apply_extension();
  void parse_pax(std::string_view records, PaxValues& into);
  void record_pax(std::string_view key, std::string_view value, PaxValues& into);
  void finish();
};

void TarReader::State::consume(std::string_view data) {
  while (!data.empty()) {
    switch (phase) {
      case Phase::header: take_header_bytes(data); break;
      case Phase::data: take_data(data); break;
      case Phase::padding: take_padding(data); break;
      case Phase::end:  // whatever follows the end-of-archive block is not ours
        offset += data.size();
        return;
    }
  }
}

void TarReader::State::take_header_bytes(std::string_view& data) {
  const std::size_t n = std::min(kBlockSize - filled, data.size());
  std::memcpy(block.data() + filled, data.data(), n);
  filled += n;
  offset += n;
  data.remove_prefix(n);
  if (filled < kBlockSize) return;
  filled = 0;
  header_offset = offset - kBlockSize;
  on_header();
}

void TarReader::State::take_data(std::string_view& data) {
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(data_left, data.size()));
  const std::string_view piece = data.substr(0, n);
  data.remove_prefix(n);
  offset += n;
  data_left -= n;
  if (payload == Payload::file_data) {
    visitor.member_data(piece);
  } else if (payload != Payload::skipped) {
    extension.append(piece);
  }
  if (data_left == 0) payload_done();
}

void TarReader::State::take_padding(std::string_view& data) {
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(pad_left, data.size()));
  data.remove_prefix(n);
  offset += n;
  pad_left -= n;
  if (pad_left == 0) member_done();
}

void TarReader::State::on_header() {
  if (block == kZeroBlock) {
    if (extension_pending) corrupt("extended header not followed by a member", header_offset);
    phase = Phase::end;
    return;
  }
  verify_checksum();
  const char typeflag = block[kTypeflag];
  switch (typeflag) {
    case 'x':
    case 'X': start_extension(Payload::pax_local); return;  // 'X': Solaris' name for 'x'
    case 'g': start_extension(Payload::pax_global); return;
    case 'L': start_extension(Payload::long_name); return;
    case 'K': start_extension(Payload::long_link); return;
    default: start_member(typeflag); return;
  }
}

void TarReader::State::verify_checksum() const {
  const auto stored = parse_octal(field_of(block, kChecksum));
  const Checksums sums = checksums_of(block);
  const bool matches = stored && (static_cast<std::int64_t>(stored->magnitude) == sums.unsigned_sum ||
                                  static_cast<std::int64_t>(stored->magnitude) == sums.signed_sum);
  if (!matches) corrupt("header checksum mismatch (not a tar archive, or damaged)", header_offset);
}

// A non-negative header number.
std::uint64_t TarReader::State::number(Field f, const char* what) const {
  const auto n = parse_numeric(field_of(block, f));
  if (!n || n->negative) corrupt(std::string("malformed ") + what + " field in header", header_offset);
  return n->magnitude;
}

void TarReader::State::start_extension(Payload kind) {
  const std::uint64_t size = number(kSize, "size");
  if (size > kMaxExtensionSize)
    corrupt("extension header of " + std::to_string(size) + " bytes exceeds the limit", header_offset);
  if (kind != Payload::pax_global) extension_pending = true;
  extension.clear();
  start_payload(kind, size);
}

void TarReader::State::start_payload(Payload kind, std::uint64_t size) {
  payload = kind;
  data_left = size;
  pad_left = (kBlockSize - size % kBlockSize) % kBlockSize;
  phase = Phase::data;
  if (data_left == 0) payload_done();
}

void TarReader::State::payload_done() {
  if (payload != Payload::file_data && payload != Payload::skipped) apply_extension();
  if (pad_left != 0) {
    phase = Phase::padding;
  } else {
    member_done();
  }
}

void TarReader::State::member_done() {
  phase = Phase::header;
  if (member_open) {
    member_open = false;
    visitor.end_member();
  }
}

void TarReader::State::apply_extension() {
  // GNU long names are NUL-terminated inside their payload.
  const auto until_nul = [this] { return extension.substr(0, std::min(extension.find('\0'), extension.size())); };
  switch (payload) {
    case Payload::pax_local: parse_pax(extension, local); break;
    case Payload::pax_global: parse_pax(extension, global); break;
    case Payload::long_name: long_name = until_nul(); break;
    case Payload::long_link: long_link = until_nul(); break;
    default: break;
  }
  extension.clear();
}

// Records "%d key=value\n", %d counting the whole record. Writers may pad
// the payload with NULs after the last record.
void TarReader::State::parse_pax(std::string_view records, PaxValues& into) {
  while (!records.empty() && records.find_first_not_of('\0') != std::string_view::npos) {
    std::size_t digits = 0;
    std::uint64_t length = 0;
    while (digits < records.size() && records[digits] >= '0' && records[digits] <= '9') {
      length = length * 10 + static_cast<std::uint64_t>(records[digits] - '0');
      if (length > records.size()) corrupt("pax record length exceeds its header", header_offset);
      ++digits;
    }
    if (digits == 0 || digits >= records.size() || records[digits] != ' ')
      corrupt("malformed pax record length", header_offset);
    if (length < digits + 2) corrupt("pax record length too small", header_offset);
    const std::string_view record = records.substr(0, length);
    if (record.back() != '\n') corrupt("pax record length does not end at a newline", header_offset);
    const std::string_view body = record.substr(digits + 1, length - digits - 2);
    const std::size_t eq = body.find('=');
    if (eq == std::string_view::npos || eq == 0) corrupt("pax record without keyword=value", header_offset);
    record_pax(body.substr(0, eq), body.substr(eq + 1), into);
    records.remove_prefix(length);
  }
}

void TarReader::State::record_pax(std::string_view key, std::string_view value, PaxValues& into) {
  const auto keyword = keyword_of(key);
  if (!keyword) return;
  if (!value.empty() && !valid_pax_value(*keyword, value))
    corrupt("bad pax value for '" + printable(key) + "'", header_offset);
  if (value.empty() && &into == &global) {
    slot(into, *keyword).reset();
  } else {
    slot(into, *keyword) = std::string(value);
  }
}

void TarReader::State::start_member(char typeflag) {
  const std::string_view magic = field_of(block, kMagic);
  const bool has_owner_names = magic.substr(0, 5) == "ustar";  // POSIX "ustar\0" or GNU "ustar "
  std::string raw_name;
  if (const auto path = effective(local, global, Keyword::path)) {
    raw_name = *path;
  } else if (long_name) {
    raw_name = *long_name;
  } else {
    const std::string_view prefix = magic == kPosixMagic ? text_of(block, kPrefix) : std::string_view();
    raw_name = prefix.empty() ? std::string(text_of(block, kName))
                              : std::string(prefix) + "/" + std::string(text_of(block, kName));
  }

  TarMember m;
  m.type = member_type(typeflag, raw_name);
  m.typeflag = typeflag;
  m.name = normalize_name(raw_name, m.type == TarMember::Type::directory);

  std::string link(text_of(block, kLinkname));
  if (const auto pax_link = effective(local, global, Keyword::linkpath)) {
    link = *pax_link;
  } else if (long_link) {
    link = *long_link;
  }
  // A hard link names another member; a symlink's target is kept verbatim.
  if (m.type == TarMember::Type::hardlink) m.link_target = normalize_name(link, false);
  if (m.type == TarMember::Type::symlink) m.link_target = std::move(link);

  m.mode = static_cast<std::uint32_t>(number(kMode, "mode") & 07777);
  const auto id = [&](Keyword k, Field f, const char* what) -> std::uint32_t {
    if (const auto v = effective(local, global, k)) return static_cast<std::uint32_t>(*parse_decimal(*v));
    const std::uint64_t n = number(f, what);
    if (n > std::numeric_limits<std::uint32_t>::max()) corrupt(std::string(what) + " out of range", header_offset);
    return static_cast<std::uint32_t>(n);
  };
  m.uid = id(Keyword::uid, kUid, "uid");
  m.gid = id(Keyword::gid, kGid, "gid");
  const auto owner = [&](Keyword k, Field f) {
    if (const auto v = effective(local, global, k)) return std::string(*v);
    return has_owner_names ? std::string(text_of(block, f)) : std::string();
  };
  m.uname = owner(Keyword::uname, kUname);
  m.gname = owner(Keyword::gname, kGname);

  if (const auto v = effective(local, global, Keyword::mtime)) {
    const Timestamp t = *parse_pax_time(*v);
    m.mtime = t.seconds;
    m.mtime_nsec = t.nanos;
  } else {
    const auto n = parse_numeric(field_of(block, kMtime));
    const auto t = n ? timestamp_of(n->negative, n->magnitude, 0) : std::nullopt;
    if (!t) corrupt("malformed mtime field in header", header_offset);
    m.mtime = t->seconds;
  }

  const auto pax_size = effective(local, global, Keyword::size);
  const std::uint64_t size = pax_size ? *parse_decimal(*pax_size) : number(kSize, "size");
  const std::uint64_t data_size = is_data_type(typeflag) ? size : 0;
  if (m.type == TarMember::Type::file) m.size = data_size;

  local = {};
  long_name.reset();
  long_link.reset();
  extension_pending = false;
  member_name = m.name;
  visitor.begin_member(m);
  member_open = true;
  start_payload(m.type == TarMember::Type::file ? Payload::file_data : Payload::skipped, data_size);
}

// Ending at a block boundary after complete members but before the zero
// blocks is accepted, as GNU tar and Python's tarfile accept it: the blocks
// carry no data, and every member's own size was honoured.
void TarReader::State::finish() {
  switch (phase) {
    case Phase::end: return;
    case Phase::header:
      if (filled != 0) corrupt("stream ends inside a header", offset);
      if (offset == 0) corrupt("empty stream", offset);
      if (extension_pending) corrupt("stream ends after an extended header without its member", offset);
      return;
    case Phase::data:
    case Phase::padding:
      if (payload == Payload::file_data || payload == Payload::skipped)
        corrupt("stream ends inside the data of '" + printable(member_name) + "'", offset);
      corrupt("stream ends inside an extension header", offset);
  }
}

TarReader::TarReader(Visitor& visitor) : visitor_(visitor), state_(std::make_unique<State>(visitor_)) {}

TarReader::~TarReader() = default;

void TarReader::write(std::string_view data) { state_->consume(data); }

void TarReader::close() { state_->finish(); }

}  // namespace wale::archive

// The lzop container on liblzo2, written from shared/spec/wal-e-format.md §4.
//
// The encoder reproduces `lzop -c` byte for byte (apart from the mode and
// mtime the caller supplies), because WAL-E restores pipe objects through the
// real `lzop -d` and an archive written by us must stay readable by WAL-E.
// The decoder is a push parser: bytes arrive in pieces of any size, so every
// item (magic, header, block header, block data) is either taken straight
// from the caller's piece or gathered in `buffer_` until it is complete.
#include "common/codec/lzop.hpp"

#include <lzo/lzo1x.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

#include "common/codec/adler32.hpp"
#include "common/core/error.hpp"

namespace wale::codec {
namespace {

constexpr std::array<unsigned char, 9> kMagic = {0x89, 'L', 'Z', 'O', 0x00, 0x0D, 0x0A, 0x1A, 0x0A};

// lzop reads its input in blocks of this size; `lzop -d` refuses larger ones.
constexpr std::size_t kBlockSize = 256 * 1024;
// Beyond this a block length is treated as damage rather than a big block,
// which also bounds what a hostile stream can make the decoder allocate.
constexpr std::uint32_t kMaxBlockSize = 64 * 1024 * 1024;
constexpr std::uint32_t kSplitFileMarker = 0xFFFFFFFF;

constexpr std::uint16_t kLzopVersion = 0x1040;
constexpr std::uint16_t kVersionNeededToExtract = 0x0940;
// Headers of lzop before 0.94 lack version_needed, level and mtime_high.
constexpr std::uint16_t kFirstFullHeaderVersion = 0x0940;
constexpr std::uint16_t kOldestLzopVersion = 0x0900;

constexpr std::uint8_t kMethodLzo1x1 = 1;
constexpr std::uint8_t kMethodLzo1x999 = 3;
constexpr std::uint8_t kLevelLzo1x1 = 5;

constexpr std::uint32_t kCrc32Init = 0;

constexpr std::uint32_t F_ADLER32_D = 0x00000001;
constexpr std::uint32_t F_ADLER32_C = 0x00000002;
constexpr std::uint32_t F_STDIN = 0x00000004;
constexpr std::uint32_t F_STDOUT = 0x00000008;
constexpr std::uint32_t F_H_EXTRA_FIELD = 0x00000040;
constexpr std::uint32_t F_CRC32_D = 0x00000100;
constexpr std::uint32_t F_CRC32_C = 0x00000200;
constexpr std::uint32_t F_H_FILTER = 0x00000800;
constexpr std::uint32_t F_H_CRC32 = 0x00001000;
constexpr std::uint32_t F_RESERVED = 0x000FC000;
constexpr std::uint32_t F_OS_UNIX = 0x03000000;

// What `lzop -c` on Unix writes when reading stdin and writing stdout.
constexpr std::uint32_t kEncoderFlags = F_OS_UNIX | F_STDOUT | F_STDIN | F_ADLER32_D;
static_assert(kEncoderFlags == 0x0300000D);

// u32 uncompressed_len, u32 compressed_len, u32 Adler-32 of the uncompressed data.
constexpr std::size_t kEncodedBlockHeaderSize = 12;
constexpr std::size_t kEndMarkerSize = 4;

// LZO1X-1 can expand incompressible input by this much (LZO documentation).
constexpr std::size_t max_compressed_size(std::size_t input) { return input + input / 16 + 64 + 3; }

void ensure_lzo_ready() {
  // lzo_init() checks the library matches the headers; once per process is
  // enough, and a function-local static makes that thread-safe.
  static const bool ready = lzo_init() == LZO_E_OK;
  if (!ready) throw Error(ErrorKind::permanent, "liblzo2 failed to initialise (lzo_init)");
}

// liblzo2 declares its inputs as `const lzo_bytep` (a const pointer to
// mutable bytes) although it never writes through them.
lzo_bytep lzo_input(std::string_view bytes) {
  return const_cast<lzo_bytep>(reinterpret_cast<const unsigned char*>(bytes.data()));
}

std::uint32_t adler32(std::string_view bytes, std::uint32_t running = kAdler32Init) {
  return codec::adler32(running, bytes);
}

std::uint32_t crc32(std::string_view bytes, std::uint32_t running = kCrc32Init) {
  return lzo_crc32(running, lzo_input(bytes), bytes.size());
}

void put_u32(char* out, std::uint32_t value) {
  out[0] = static_cast<char>(value >> 24);
  out[1] = static_cast<char>(value >> 16);
  out[2] = static_cast<char>(value >> 8);
  out[3] = static_cast<char>(value);
}

void append_u8(std::string& out, std::uint8_t value) { out.push_back(static_cast<char>(value)); }

void append_u16(std::string& out, std::uint16_t value) {
  append_u8(out, static_cast<std::uint8_t>(value >> 8));
  append_u8(out, static_cast<std::uint8_t>(value));
}

void append_u32(std::string& out, std::uint32_t value) {
  char bytes[4];
  put_u32(bytes, value);
  out.append(bytes, sizeof bytes);
}

// Callers check bounds before reading: every item is complete when parsed.
std::uint8_t get_u8(std::string_view bytes, std::size_t at) { return static_cast<std::uint8_t>(bytes[at]); }

std::uint16_t get_u16(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>(get_u8(bytes, at) << 8 | get_u8(bytes, at + 1));
}

std::uint32_t get_u32(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint32_t>(get_u16(bytes, at)) << 16 | get_u16(bytes, at + 2);
}

std::string hex(std::uint32_t value, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kDigits[(value >> shift) & 0xF]);
  return out;
}

[[noreturn]] void corrupt(const std::string& detail) {
  throw Error(ErrorKind::corrupt, "lzop data is corrupt: " + detail);
}

std::string encode_header(const LzopHeaderFields& fields) {
  std::string header(kMagic.begin(), kMagic.end());
  append_u16(header, kLzopVersion);
  append_u16(header, static_cast<std::uint16_t>(lzo_version() & 0xFFFF));
  append_u16(header, kVersionNeededToExtract);
  append_u8(header, kMethodLzo1x1);
  append_u8(header, kLevelLzo1x1);
  append_u32(header, kEncoderFlags);
  append_u32(header, fields.mode);
  const auto mtime = static_cast<std::uint64_t>(fields.mtime);
  append_u32(header, static_cast<std::uint32_t>(mtime));
  append_u32(header, static_cast<std::uint32_t>(mtime >> 32));
  append_u8(header, 0);  // name length: lzop reading stdin has no name
  append_u32(header, adler32(std::string_view(header).substr(kMagic.size())));
  return header;
}

}  // namespace

// ---------------------------------------------------------------------------
// Encoder

LzopEncoder::LzopEncoder(ByteSink& next, LzopHeaderFields fields) : next_(next), fields_(fields) {
  ensure_lzo_ready();
  pending_.reserve(kBlockSize);
  compressed_ = std::make_unique_for_overwrite<char[]>(kEncodedBlockHeaderSize + max_compressed_size(kBlockSize));
  work_memory_ = std::make_unique_for_overwrite<char[]>(LZO1X_1_MEM_COMPRESS);
}

LzopEncoder::~LzopEncoder() = default;

void LzopEncoder::write(std::string_view data) {
  if (closed_) throw std::logic_error("LzopEncoder::write after close");
  if (!header_written_) emit_header();
  while (!data.empty()) {
    // Whole blocks in the caller's buffer are compressed in place, sparing a copy.
    if (pending_.empty() && data.size() >= kBlockSize) {
      emit_block(data.substr(0, kBlockSize));
      data.remove_prefix(kBlockSize);
      continue;
    }
    const std::size_t take = std::min(kBlockSize - pending_.size(), data.size());
    pending_.append(data.substr(0, take));
    data.remove_prefix(take);
    if (pending_.size() == kBlockSize) flush_block();
  }
}

void LzopEncoder::close() {
  if (closed_) return;
  if (!header_written_) emit_header();
  if (!pending_.empty()) flush_block();
  const char end_marker[kEndMarkerSize] = {};
  next_.write(std::string_view(end_marker, sizeof end_marker));
  closed_ = true;
  next_.close();
}

void LzopEncoder::emit_header() {
  next_.write(encode_header(fields_));
  header_written_ = true;
}

void LzopEncoder::flush_block() {
  emit_block(pending_);
  pending_.clear();
}

void LzopEncoder::emit_block(std::string_view block) {
  // Straight into the next stage's memory when it has room to offer.
  const std::size_t most = kEncodedBlockHeaderSize + max_compressed_size(block.size());
  char* const in_place = next_.in_place_room(most);
  char* const out = in_place != nullptr ? in_place : compressed_.get();
  auto* const payload = reinterpret_cast<unsigned char*>(out + kEncodedBlockHeaderSize);
  lzo_uint compressed_size = 0;
  const int status = lzo1x_1_compress(lzo_input(block), block.size(), payload, &compressed_size,
                                      work_memory_.get());
  // LZO1X-1 cannot fail with a correctly sized output and work memory.
  if (status != LZO_E_OK) throw std::logic_error("lzo1x_1_compress failed with status " + std::to_string(status));

  const auto uncompressed_len = static_cast<std::uint32_t>(block.size());
  const bool stored_raw = compressed_size >= block.size();
  put_u32(out, uncompressed_len);
  put_u32(out + 4, stored_raw ? uncompressed_len : static_cast<std::uint32_t>(compressed_size));
  put_u32(out + 8, adler32(block));
  if (in_place != nullptr) {
    if (stored_raw) std::memcpy(out + kEncodedBlockHeaderSize, block.data(), block.size());
    next_.commit_in_place(kEncodedBlockHeaderSize + (stored_raw ? block.size() : compressed_size));
  } else if (stored_raw) {
    next_.write(std::string_view(out, kEncodedBlockHeaderSize));
    next_.write(block);
  } else {
    next_.write(std::string_view(out, kEncodedBlockHeaderSize + compressed_size));
  }
}

// ---------------------------------------------------------------------------
// Decoder

namespace {

struct StreamHeader {
  std::uint32_t flags = 0;
  bool header_crc32() const { return (flags & F_H_CRC32) != 0; }
};

struct BlockHeader {
  std::uint32_t uncompressed_len = 0;
  std::uint32_t compressed_len = 0;
  std::optional<std::uint32_t> adler32_uncompressed;
  std::optional<std::uint32_t> crc32_uncompressed;
  std::optional<std::uint32_t> adler32_compressed;
  std::optional<std::uint32_t> crc32_compressed;
  bool is_compressed() const { return compressed_len < uncompressed_len; }
};

// Header bytes (after the magic) needed, judging by those present: the total
// grows as the version, flags and name length become known, and equals the
// header's size once it is complete.
std::size_t header_size_so_far(std::string_view header) {
  std::size_t need = 2;  // version
  if (header.size() < need) return need;
  const bool full = get_u16(header, 0) >= kFirstFullHeaderVersion;
  need += 2 + (full ? 2u : 0u) + 1 + (full ? 1u : 0u) + 4;  // lib_version .. flags
  if (header.size() < need) return need;
  const std::uint32_t flags = get_u32(header, need - 4);
  need += ((flags & F_H_FILTER) != 0 ? 4u : 0u) + 4 + 4 + (full ? 4u : 0u) + 1;  // filter .. name length
  if (header.size() < need) return need;
  return need + get_u8(header, need - 1) + 4;  // name, header checksum
}

std::size_t block_checksum_count(std::uint32_t flags, bool compressed) {
  std::size_t count = 0;
  if ((flags & F_ADLER32_D) != 0) ++count;
  if ((flags & F_CRC32_D) != 0) ++count;
  if (compressed && (flags & F_ADLER32_C) != 0) ++count;
  if (compressed && (flags & F_CRC32_C) != 0) ++count;
  return count;
}

// Appends from `data` to `buffer` until it holds `need` bytes; true once it does.
bool gather(std::string& buffer, std::string_view& data, std::size_t need) {
  if (buffer.size() >= need) return true;
  const std::size_t take = std::min(need - buffer.size(), data.size());
  buffer.append(data.substr(0, take));
  data.remove_prefix(take);
  return buffer.size() == need;
}

}  // namespace

struct LzopDecoder::State {
  enum class Phase {
    magic,
    header,
    extra_length,
    extra_data,
    extra_checksum,
    block_header,
    block_data,
    end_of_stream,   // just after an end marker: trailing zeros or a new stream may follow
    trailing_zeros,
    failed,          // an earlier write threw; the stream position is unknown
    closed,
  };

  State(ByteSink& next_sink, std::string& scratch) : next(next_sink), buffer(scratch) {}

  void feed(std::string_view data);
  void finish();

 private:
  void step(std::string_view& data);
  void read_magic(std::string_view& data);
  void read_header(std::string_view& data);
  void check_header(std::string_view header);
  void read_extra_length(std::string_view& data);
  void read_extra_data(std::string_view& data);
  void read_extra_checksum(std::string_view& data);
  void read_block_header(std::string_view& data);
  void check_block_lengths(std::uint32_t uncompressed_len, std::optional<std::uint32_t> compressed_len) const;
  void read_block_data(std::string_view& data);
  void decode_block(std::string_view payload);
  std::string_view decompress(std::string_view compressed);
  void verify(std::optional<std::uint32_t> expected, std::uint32_t actual, const char* what) const;
  void after_end_of_stream(std::string_view& data);
  void skip_trailing_zeros(std::string_view& data);
  std::string block_label() const { return "block " + std::to_string(blocks_decoded + 1); }
  std::string truncation_message() const;

  ByteSink& next;
  std::string& buffer;  // the partial item being gathered
  Phase phase = Phase::magic;
  StreamHeader stream;
  BlockHeader block;
  std::uint64_t streams_started = 0;
  std::uint64_t blocks_decoded = 0;  // over all streams, to name blocks in messages
  std::uint32_t extra_remaining = 0;
  std::uint32_t extra_checksum = 0;
  std::unique_ptr<unsigned char[]> output;
  std::size_t output_capacity = 0;
};

void LzopDecoder::State::feed(std::string_view data) {
  if (phase == Phase::closed) throw std::logic_error("LzopDecoder::write after close");
  if (phase == Phase::failed) corrupt("decoding already failed");
  try {
    while (!data.empty()) step(data);
  } catch (...) {
    phase = Phase::failed;
    throw;
  }
}

void LzopDecoder::State::step(std::string_view& data) {
  switch (phase) {
    case Phase::magic: return read_magic(data);
    case Phase::header: return read_header(data);
    case Phase::extra_length: return read_extra_length(data);
    case Phase::extra_data: return read_extra_data(data);
    case Phase::extra_checksum: return read_extra_checksum(data);
    case Phase::block_header: return read_block_header(data);
    case Phase::block_data: return read_block_data(data);
    case Phase::end_of_stream: return after_end_of_stream(data);
    case Phase::trailing_zeros: return skip_trailing_zeros(data);
    case Phase::failed:
    case Phase::closed: break;
  }
  throw std::logic_error("LzopDecoder: no input expected in this state");
}

void LzopDecoder::State::read_magic(std::string_view& data) {
  const bool complete = gather(buffer, data, kMagic.size());
  // Compare what is there so far, so that garbage is reported at once.
  if (std::memcmp(buffer.data(), kMagic.data(), buffer.size()) != 0) {
    if (streams_started == 0) corrupt("not an lzop stream (bad magic)");
    corrupt("unexpected data after the end of stream " + std::to_string(streams_started));
  }
  if (!complete) return;
  buffer.clear();
  ++streams_started;
  phase = Phase::header;
}

void LzopDecoder::State::read_header(std::string_view& data) {
  for (;;) {
    if (!gather(buffer, data, header_size_so_far(buffer))) return;
    if (header_size_so_far(buffer) == buffer.size()) break;
  }
  check_header(buffer);
  buffer.clear();
  phase = (stream.flags & F_H_EXTRA_FIELD) != 0 ? Phase::extra_length : Phase::block_header;
}

void LzopDecoder::State::check_header(std::string_view header) {
  const std::size_t checksum_at = header.size() - 4;
  const std::uint32_t flags = get_u32(header, get_u16(header, 0) >= kFirstFullHeaderVersion ? 8 : 5);
  const std::string_view covered = header.substr(0, checksum_at);
  const std::uint32_t actual = (flags & F_H_CRC32) != 0 ? crc32(covered) : adler32(covered);
  if (actual != get_u32(header, checksum_at)) corrupt("header checksum mismatch");

  const std::uint16_t version = get_u16(header, 0);
  if (version < kOldestLzopVersion) corrupt("unsupported lzop version " + hex(version, 4));
  const bool full = version >= kFirstFullHeaderVersion;
  if (full) {
    const std::uint16_t needed = get_u16(header, 4);
    if (needed > kLzopVersion) corrupt("needs lzop version " + hex(needed, 4) + " to extract (newer than 1.04)");
    if (needed < kOldestLzopVersion) corrupt("invalid version needed to extract " + hex(needed, 4));
  }
  const std::uint8_t method = get_u8(header, full ? 6 : 4);
  if (method < kMethodLzo1x1 || method > kMethodLzo1x999) {
    corrupt("unsupported compression method " + std::to_string(method));
  }
  if ((flags & F_RESERVED) != 0) corrupt("reserved header flags set (" + hex(flags, 8) + ")");
  // A filter transforms the data before compression; lzop 1.04 never writes
  // one and undoing it is not implemented, so only the null filter passes.
  if ((flags & F_H_FILTER) != 0) {
    const std::uint32_t filter = get_u32(header, full ? 12 : 9);
    if (filter != 0) corrupt("lzop filter " + std::to_string(filter) + " is not supported");
  }
  stream.flags = flags;
}

// The extra field's checksum covers its length and its bytes, of the same
// kind (Adler-32 or CRC-32) as the header checksum.
void LzopDecoder::State::read_extra_length(std::string_view& data) {
  if (!gather(buffer, data, 4)) return;
  extra_remaining = get_u32(buffer, 0);
  extra_checksum = stream.header_crc32() ? crc32(buffer) : adler32(buffer);
  buffer.clear();
  phase = Phase::extra_data;
}

void LzopDecoder::State::read_extra_data(std::string_view& data) {
  // Skipped as it streams past: its length comes from the input, so it is never held.
  const std::size_t take = std::min<std::size_t>(extra_remaining, data.size());
  const std::string_view chunk = data.substr(0, take);
  extra_checksum = stream.header_crc32() ? crc32(chunk, extra_checksum) : adler32(chunk, extra_checksum);
  extra_remaining -= static_cast<std::uint32_t>(take);
  data.remove_prefix(take);
  if (extra_remaining == 0) phase = Phase::extra_checksum;
}

void LzopDecoder::State::read_extra_checksum(std::string_view& data) {
  if (!gather(buffer, data, 4)) return;
  if (get_u32(buffer, 0) != extra_checksum) corrupt("header extra field checksum mismatch");
  buffer.clear();
  phase = Phase::block_header;
}

void LzopDecoder::State::read_block_header(std::string_view& data) {
  if (!gather(buffer, data, 4)) return;
  const std::uint32_t uncompressed_len = get_u32(buffer, 0);
  if (uncompressed_len == 0) {  // end marker
    buffer.clear();
    phase = Phase::end_of_stream;
    return;
  }
  check_block_lengths(uncompressed_len, std::nullopt);
  if (!gather(buffer, data, 8)) return;
  const std::uint32_t compressed_len = get_u32(buffer, 4);
  check_block_lengths(uncompressed_len, compressed_len);

  const bool compressed = compressed_len < uncompressed_len;
  if (!gather(buffer, data, 8 + 4 * block_checksum_count(stream.flags, compressed))) return;
  block = BlockHeader{uncompressed_len, compressed_len, {}, {}, {}, {}};
  std::size_t at = 8;
  auto next_checksum = [&] { return get_u32(buffer, std::exchange(at, at + 4)); };
  if ((stream.flags & F_ADLER32_D) != 0) block.adler32_uncompressed = next_checksum();
  if ((stream.flags & F_CRC32_D) != 0) block.crc32_uncompressed = next_checksum();
  if (compressed && (stream.flags & F_ADLER32_C) != 0) block.adler32_compressed = next_checksum();
  if (compressed && (stream.flags & F_CRC32_C) != 0) block.crc32_compressed = next_checksum();
  buffer.clear();
  phase = Phase::block_data;
}

void LzopDecoder::State::check_block_lengths(std::uint32_t uncompressed_len,
                                             std::optional<std::uint32_t> compressed_len) const {
  if (uncompressed_len == kSplitFileMarker) corrupt(block_label() + " marks a split lzop file (unsupported)");
  if (uncompressed_len > kMaxBlockSize) {
    corrupt(block_label() + " claims " + std::to_string(uncompressed_len) + " bytes (more than 64 MiB)");
  }
  if (!compressed_len) return;
  if (*compressed_len == 0) corrupt(block_label() + " has a compressed length of 0");
  if (*compressed_len > uncompressed_len) {
    corrupt(block_label() + " compressed length " + std::to_string(*compressed_len) +
            " exceeds its uncompressed length " + std::to_string(uncompressed_len));
  }
}

void LzopDecoder::State::read_block_data(std::string_view& data) {
  const std::size_t need = block.compressed_len;
  // A block wholly inside the caller's piece is decoded from there, sparing a copy.
  if (buffer.empty() && data.size() >= need) {
    const std::string_view payload = data.substr(0, need);
    data.remove_prefix(need);
    decode_block(payload);
    return;
  }
  if (!gather(buffer, data, need)) return;
  decode_block(buffer);
  buffer.clear();
}

void LzopDecoder::State::decode_block(std::string_view payload) {
  std::string_view original = payload;
  if (block.is_compressed()) {
    if (block.adler32_compressed) verify(block.adler32_compressed, adler32(payload), "Adler-32 of compressed data");
    if (block.crc32_compressed) verify(block.crc32_compressed, crc32(payload), "CRC-32 of compressed data");
    original = decompress(payload);
  }
  if (block.adler32_uncompressed) verify(block.adler32_uncompressed, adler32(original), "Adler-32");
  if (block.crc32_uncompressed) verify(block.crc32_uncompressed, crc32(original), "CRC-32");
  ++blocks_decoded;
  phase = Phase::block_header;
  next.write(original);
}

std::string_view LzopDecoder::State::decompress(std::string_view compressed) {
  // Grown only when a block needs more, and without zero-filling: the
  // decompressor writes every byte it reports.
  if (output_capacity < block.uncompressed_len) {
    output = std::make_unique_for_overwrite<unsigned char[]>(block.uncompressed_len);
    output_capacity = block.uncompressed_len;
  }
  lzo_uint produced = block.uncompressed_len;
  // LZO1X-1, LZO1X-1(15) and LZO1X-999 share one bitstream, so methods 1-3
  // all decode here; the _safe variant never reads or writes out of bounds.
  const int status = lzo1x_decompress_safe(lzo_input(compressed), compressed.size(), output.get(), &produced,
                                           nullptr);
  if (status != LZO_E_OK) corrupt(block_label() + " does not decompress (LZO error " + std::to_string(status) + ")");
  if (produced != block.uncompressed_len) {
    corrupt(block_label() + " decompresses to " + std::to_string(produced) + " bytes instead of " +
            std::to_string(block.uncompressed_len));
  }
  return {reinterpret_cast<const char*>(output.get()), produced};
}

void LzopDecoder::State::verify(std::optional<std::uint32_t> expected, std::uint32_t actual, const char* what) const {
  if (expected && *expected != actual) corrupt(block_label() + " checksum mismatch (" + what + ")");
}

void LzopDecoder::State::after_end_of_stream(std::string_view& data) {
  // lzop tolerates zero padding after a stream and decodes a further stream
  // that follows it directly.
  phase = data.front() == '\0' ? Phase::trailing_zeros : Phase::magic;
}

void LzopDecoder::State::skip_trailing_zeros(std::string_view& data) {
  const auto garbage = data.find_first_not_of('\0');
  if (garbage != std::string_view::npos) corrupt("non-zero data after the trailing zeros");
  data = {};
}

void LzopDecoder::State::finish() {
  if (phase == Phase::closed) return;
  if (phase == Phase::failed) corrupt("decoding already failed");
  if (phase != Phase::end_of_stream && phase != Phase::trailing_zeros) {
    const std::string message = truncation_message();
    phase = Phase::failed;
    corrupt(message);
  }
  phase = Phase::closed;
}

std::string LzopDecoder::State::truncation_message() const {
  switch (phase) {
    case Phase::magic:
      if (streams_started == 0 && buffer.empty()) return "empty input (no lzop header)";
      return "truncated inside the magic of stream " + std::to_string(streams_started + 1);
    case Phase::header:
    case Phase::extra_length:
    case Phase::extra_data:
    case Phase::extra_checksum: return "truncated inside the header of stream " + std::to_string(streams_started);
    case Phase::block_header:
      if (buffer.empty()) {
        return "truncated before the end marker (after " + std::to_string(blocks_decoded) + " blocks)";
      }
      return "truncated inside the header of " + block_label();
    case Phase::block_data: return "truncated inside " + block_label();
    case Phase::end_of_stream:
    case Phase::trailing_zeros:
    case Phase::failed:
    case Phase::closed: break;
  }
  return "truncated";
}

LzopDecoder::LzopDecoder(ByteSink& next) : next_(next), state_(std::make_unique<State>(next_, buffer_)) {
  ensure_lzo_ready();
}

LzopDecoder::~LzopDecoder() = default;

void LzopDecoder::write(std::string_view data) { state_->feed(data); }

void LzopDecoder::close() {
  state_->finish();
  next_.close();
}

// ---------------------------------------------------------------------------
// Whole-buffer helpers

std::string lzop_compress(std::string_view data, LzopHeaderFields fields) {
  StringSink sink;
  // Enough for incompressible data: raw blocks only add their 12-byte headers.
  sink.data().reserve(data.size() + (data.size() / kBlockSize + 1) * kEncodedBlockHeaderSize + 64);
  LzopEncoder encoder(sink, fields);
  encoder.write(data);
  encoder.close();
  return std::move(sink.data());
}

std::string lzop_decompress(std::string_view container) {
  StringSink sink;
  LzopDecoder decoder(sink);
  decoder.write(container);
  decoder.close();
  return std::move(sink.data());
}

bool has_lzop_magic(std::string_view prefix) {
  return prefix.size() >= kMagic.size() && std::memcmp(prefix.data(), kMagic.data(), kMagic.size()) == 0;
}

}  // namespace wale::codec

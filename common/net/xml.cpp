#include "common/net/xml.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/core/error.hpp"

namespace wale::net {

namespace {

// Blob-store answers are at most a few MiB (a listing page of 5000 Azure
// blobs); anything far beyond is hostile or broken.
constexpr std::size_t kMaxDocumentBytes = 64u << 20;
constexpr int kMaxDepth = 64;
// Each element or attribute costs ~100 bytes of tree, so a document of
// "<a/>" repeated must not be allowed to grow the tree to gigabytes.
constexpr std::size_t kMaxNodes = 1u << 20;
// Keeps the duplicate-attribute check cheap; real answers carry one or two.
constexpr std::size_t kMaxAttributes = 64;

[[noreturn]] void malformed(const std::string& what, std::size_t offset) {
  throw Error(ErrorKind::corrupt, "malformed XML: " + what + " at byte " + std::to_string(offset));
}

// Names in messages are cut short: the message must stay one readable line.
std::string shown(std::string_view name) {
  constexpr std::size_t kShown = 64;
  return "<" + std::string(name.substr(0, kShown)) + (name.size() > kShown ? "...>" : ">");
}

std::string hex(std::uint32_t value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value & 0xF]);
    value >>= 4;
  } while (value != 0);
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Non-ASCII bytes are accepted in names without consulting the Unicode
// tables: the whole document has already been checked to be valid UTF-8.
bool is_name_start(char c) {
  return is_ascii_letter(c) || c == '_' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_name_char(char c) { return is_name_start(c) || is_digit(c) || c == '-' || c == '.'; }

// XML 1.0 "Char": what may appear literally in a document.
bool is_xml_char(std::uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

// What a character reference may name. XML 1.1 admits references to the C0
// controls, and S3 keys may hold them, so only code points that no version
// allows (NUL, surrogates, U+FFFE/U+FFFF, beyond U+10FFFF) are refused.
bool is_referable(std::uint32_t cp) {
  return (cp >= 0x1 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

void append_utf8(std::string& out, std::uint32_t cp) {
  auto byte = [&out](std::uint32_t b) { out.push_back(static_cast<char>(static_cast<unsigned char>(b))); };
  if (cp < 0x80) {
    byte(cp);
  } else if (cp < 0x800) {
    byte(0xC0 | (cp >> 6));
    byte(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    byte(0xE0 | (cp >> 12));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  } else {
    byte(0xF0 | (cp >> 18));
    byte(0x80 | ((cp >> 12) & 0x3F));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  }
}

// Decodes one UTF-8 sequence at `pos`; returns its length, or 0 when it is
// malformed (truncated, overlong, a surrogate or beyond U+10FFFF).
std::size_t decode_utf8(std::string_view s, std::size_t pos, std::uint32_t& cp) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  std::size_t length = 0;
  std::uint32_t min = 0;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, min = 0x80, cp = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, min = 0x800, cp = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, min = 0x10000, cp = lead & 0x07u;
  } else {
    return 0;
  }
  if (s.size() - pos < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(s[pos + i]);
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

// Checked once up front so that the parser can treat every byte >= 0x80 as
// part of a well-formed character.
void check_characters(std::string_view doc) {
  for (std::size_t pos = 0; pos < doc.size();) {
    std::uint32_t cp = 0;
    const std::size_t length = decode_utf8(doc, pos, cp);
    if (length == 0) malformed("invalid UTF-8", pos);
    if (!is_xml_char(cp)) malformed("character U+" + hex(cp) + " not allowed in XML", pos);
    pos += length;
  }
}

// Line-end handling (XML 1.0 §2.11): CR LF and lone CR read as LF.
void append_normalized(std::string& out, std::string_view raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\r') {
      out.push_back(raw[i]);
      continue;
    }
    out.push_back('\n');
    if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
  }
}

class Reader {
 public:
  explicit Reader(std::string_view doc) : doc_(doc) {}

  XmlElement document() {
    skip_byte_order_mark();
    read_prolog();
    if (at_end() || peek() != '<') malformed("expected the root element", pos_);
    XmlElement root = element(1);
    read_misc();
    if (!at_end()) malformed("content after the root element", pos_);
    return root;
  }

 private:
  bool at_end() const { return pos_ >= doc_.size(); }
  char peek() const { return doc_[pos_]; }
  bool looking_at(std::string_view s) const { return doc_.substr(pos_).starts_with(s); }

  void expect(std::string_view s, const char* what) {
    if (!looking_at(s)) malformed(std::string("expected ") + what, pos_);
    pos_ += s.size();
  }

  void skip_space() {
    while (!at_end() && is_space(peek())) ++pos_;
  }

  // Azure prefixes its answers with one.
  void skip_byte_order_mark() {
    if (looking_at("\xEF\xBB\xBF")) pos_ += 3;
  }

  // Whitespace may precede the declaration: S3 sends spaces to keep a
  // CompleteMultipartUpload connection alive before the document proper.
  void read_prolog() {
    skip_space();
    if (looking_at("<?") && is_xml_declaration(pos_ + 2)) processing_instruction(true);
    read_misc();
    if (looking_at("<!DOCTYPE")) malformed("DOCTYPE declarations are not accepted", pos_);
  }

  // Comments, processing instructions and whitespace, as allowed around the
  // root element.
  void read_misc() {
    for (;;) {
      skip_space();
      if (looking_at("<!--")) {
        comment();
      } else if (looking_at("<?")) {
        processing_instruction(false);
      } else {
        return;
      }
    }
  }

  // "<?xml" followed by whitespace or "?>", in any case (the name is reserved).
  bool is_xml_declaration(std::size_t at) const {
    if (doc_.size() - at < 3) return false;
    for (std::size_t i = 0; i < 3; ++i) {
      if ((doc_[at + i] | 0x20) != "xml"[i]) return false;
    }
    return at + 3 >= doc_.size() || is_space(doc_[at + 3]) || doc_[at + 3] == '?';
  }

  void processing_instruction(bool declaration_allowed) {
    const std::size_t start = pos_;
    pos_ += 2;
    if (!declaration_allowed && is_xml_declaration(pos_)) malformed("XML declaration not at the start", start);
    name();
    const std::size_t end = doc_.find("?>", pos_);
    if (end == std::string_view::npos) malformed("unterminated processing instruction", start);
    if (end != pos_ && !is_space(peek())) malformed("bad processing instruction target", pos_);
    pos_ = end + 2;
  }

  void comment() {
    const std::size_t start = pos_;
    pos_ += 4;
    const std::size_t end = doc_.find("--", pos_);
    if (end == std::string_view::npos) malformed("unterminated comment", start);
    if (end + 2 >= doc_.size() || doc_[end + 2] != '>') malformed("'--' inside a comment", end);
    pos_ = end + 3;
  }

  std::string_view name() {
    const std::size_t start = pos_;
    if (at_end() || !is_name_start(peek())) malformed("expected a name", pos_);
    while (!at_end() && is_name_char(peek())) ++pos_;
    return doc_.substr(start, pos_ - start);
  }

  // "prefix:local" reads as "local"; a name with an empty part or more than
  // one colon is not namespace-well-formed.
  std::string local_name(std::string_view qualified, std::size_t at) const {
    const std::size_t colon = qualified.find(':');
    if (colon == std::string_view::npos) return std::string(qualified);
    const std::string_view local = qualified.substr(colon + 1);
    if (colon == 0 || local.empty() || local.find(':') != std::string_view::npos || !is_name_start(local.front()))
      malformed("bad qualified name", at);
    return std::string(local);
  }

  // After '&': a predefined entity or a character reference, appended decoded.
  void reference(std::string& out) {
    const std::size_t start = pos_;
    ++pos_;
    // Leading zeros aside, "#x10FFFF" is the longest valid reference; a
    // bounded search keeps a stray '&' from scanning the rest of the document.
    constexpr std::size_t kLongest = 32;
    const std::size_t semicolon = doc_.substr(pos_, kLongest).find(';');
    if (semicolon == std::string_view::npos) malformed("bad entity reference", start);
    const std::string_view body = doc_.substr(pos_, semicolon);
    pos_ += semicolon + 1;
    if (body == "lt") {
      out.push_back('<');
    } else if (body == "gt") {
      out.push_back('>');
    } else if (body == "amp") {
      out.push_back('&');
    } else if (body == "quot") {
      out.push_back('"');
    } else if (body == "apos") {
      out.push_back('\'');
    } else if (body.starts_with('#')) {
      append_utf8(out, character_reference(body.substr(1), start));
    } else {
      malformed("unknown entity (no DTD is read)", start);
    }
  }

  static std::uint32_t character_reference(std::string_view digits, std::size_t at) {
    unsigned base = 10;
    if (!digits.empty() && digits.front() == 'x') {
      base = 16;
      digits.remove_prefix(1);
    }
    if (digits.empty()) malformed("empty character reference", at);
    std::uint32_t cp = 0;
    for (const char c : digits) {
      unsigned value = 0;
      if (is_digit(c)) {
        value = static_cast<unsigned>(c - '0');
      } else if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        value = static_cast<unsigned>((c | 0x20) - 'a' + 10);
      } else {
        malformed("bad digit in character reference", at);
      }
      cp = cp * base + value;
      if (cp > 0x10FFFF) malformed("character reference beyond Unicode", at);
    }
    if (!is_referable(cp)) malformed("character reference to a forbidden code point", at);
    return cp;
  }

  std::string attribute_value() {
    if (at_end() || (peek() != '"' && peek() != '\'')) malformed("expected a quoted attribute value", pos_);
    const char quote = peek();
    const std::size_t start = pos_++;
    std::string value;
    for (;;) {
      if (at_end()) malformed("unterminated attribute value", start);
      const char c = peek();
      if (c == quote) break;
      if (c == '<') malformed("'<' in an attribute value", pos_);
      if (c == '&') {
        reference(value);
        continue;
      }
      // Attribute-value normalization (XML 1.0 §3.3.3): literal whitespace
      // reads as a space, CR LF as one.
      if (c == '\r' && pos_ + 1 < doc_.size() && doc_[pos_ + 1] == '\n') ++pos_;
      value.push_back(is_space(c) ? ' ' : c);
      ++pos_;
    }
    ++pos_;
    return value;
  }

  // Attribute names keep their prefix: "xmlns:xsi" and "xsi:nil" stay
  // distinguishable from "xmlns" and "nil".
  void attributes(XmlElement& element) {
    for (;;) {
      const bool spaced = !at_end() && is_space(peek());
      skip_space();
      if (at_end() || peek() == '>' || peek() == '/') return;
      if (!spaced) malformed("expected whitespace before an attribute", pos_);
      const std::size_t start = pos_;
      count_node(start);
      if (element.attributes.size() == kMaxAttributes) malformed("too many attributes", start);
      std::string attribute_name(name());
      for (const auto& attribute : element.attributes) {
        if (attribute.first == attribute_name) malformed("duplicate attribute", start);
      }
      skip_space();
      expect("=", "'=' after an attribute name");
      skip_space();
      element.attributes.emplace_back(std::move(attribute_name), attribute_value());
    }
  }

  XmlElement element(int depth) {
    if (depth > kMaxDepth) malformed("elements nested too deeply", pos_);
    count_node(pos_);
    const std::size_t start = pos_;
    expect("<", "'<'");
    const std::string_view qualified = name();
    XmlElement element;
    element.name = local_name(qualified, start);
    attributes(element);
    if (looking_at("/>")) {
      pos_ += 2;
      return element;
    }
    expect(">", "'>' closing a start tag");
    content(element, depth);
    end_tag(qualified);
    return element;
  }

  void end_tag(std::string_view qualified) {
    const std::size_t start = pos_;
    pos_ += 2;  // "</", seen by content()
    if (name() != qualified) malformed("end tag does not match start tag " + shown(qualified), start);
    skip_space();
    expect(">", "'>' closing an end tag");
  }

  // Character data, references, CDATA, comments, PIs and child elements up
  // to the matching end tag (left unread).
  void content(XmlElement& element, int depth) {
    for (;;) {
      if (at_end()) malformed("unterminated element " + shown(element.name), pos_);
      if (peek() == '&') {
        reference(element.text);
      } else if (peek() != '<') {
        character_data(element.text);
      } else if (looking_at("</")) {
        return;
      } else if (looking_at("<![CDATA[")) {
        cdata(element.text);
      } else if (looking_at("<!--")) {
        comment();
      } else if (looking_at("<?")) {
        processing_instruction(false);
      } else if (looking_at("<!")) {
        malformed("markup declaration inside an element", pos_);
      } else {
        element.children.push_back(this->element(depth + 1));
      }
    }
  }

  void character_data(std::string& out) {
    const std::size_t start = pos_;
    const std::size_t end = doc_.find_first_of("<&", pos_);
    const std::string_view raw = doc_.substr(start, end == std::string_view::npos ? doc_.size() - start : end - start);
    if (const std::size_t bad = raw.find("]]>"); bad != std::string_view::npos)
      malformed("']]>' in character data", start + bad);
    append_normalized(out, raw);
    pos_ = start + raw.size();
  }

  void cdata(std::string& out) {
    const std::size_t start = pos_;
    pos_ += 9;  // "<![CDATA["
    const std::size_t end = doc_.find("]]>", pos_);
    if (end == std::string_view::npos) malformed("unterminated CDATA section", start);
    append_normalized(out, doc_.substr(pos_, end - pos_));
    pos_ = end + 3;
  }

  void count_node(std::size_t at) {
    if (++nodes_ > kMaxNodes) malformed("too many elements and attributes", at);
  }

  std::string_view doc_;
  std::size_t pos_ = 0;
  std::size_t nodes_ = 0;
};

}  // namespace

const XmlElement* XmlElement::child(std::string_view child_name) const {
  for (const XmlElement& c : children) {
    if (c.name == child_name) return &c;
  }
  return nullptr;
}

std::string XmlElement::child_text(std::string_view child_name) const {
  const XmlElement* c = child(child_name);
  return c == nullptr ? std::string() : c->text;
}

std::vector<const XmlElement*> XmlElement::children_named(std::string_view child_name) const {
  std::vector<const XmlElement*> found;
  for (const XmlElement& c : children) {
    if (c.name == child_name) found.push_back(&c);
  }
  return found;
}

XmlElement parse_xml(std::string_view document) {
  if (document.size() > kMaxDocumentBytes)
    throw Error(ErrorKind::corrupt, "malformed XML: document of " + std::to_string(document.size()) +
                                        " bytes exceeds the limit of " + std::to_string(kMaxDocumentBytes));
  check_characters(document);
  return Reader(document).document();
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters (CR, LF and tab included) would not survive
        // line-end and attribute normalization as literals.
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "&#" + std::to_string(static_cast<unsigned>(c)) + ";";
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

}  // namespace wale::net

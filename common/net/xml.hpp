// A small, strict-enough XML reader for the documents blob stores answer
// with (S3 ListBucketResult, Error, DeleteResult, multipart results; Azure
// EnumerationResults). No DTDs; element names lose their namespace prefix,
// attribute names keep it. Hostile input ends in wale::Error(corrupt), never a crash.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wale::net {

struct XmlElement {
  std::string name;  // local name (any "prefix:" removed)
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // the concatenated character data directly inside (entities decoded, CDATA kept)
  std::vector<XmlElement> children;

  // The first child with this name, or nullptr.
  const XmlElement* child(std::string_view child_name) const;
  // The text of the first child with this name, or "" when there is none.
  std::string child_text(std::string_view child_name) const;
  // Every child with this name, in document order.
  std::vector<const XmlElement*> children_named(std::string_view child_name) const;
};

// Parses a whole document and returns its root element. Throws
// wale::Error(corrupt) on malformed input. Depth and size are bounded.
XmlElement parse_xml(std::string_view document);

// Escapes text for use in element content or attribute values.
std::string xml_escape(std::string_view text);

}  // namespace wale::net

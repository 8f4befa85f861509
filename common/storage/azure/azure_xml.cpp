#include "common/storage/azure/azure_xml.hpp"

#include <charconv>

#include "common/core/error.hpp"
#include "common/net/xml.hpp"
#include "common/storage/azure/blob_naming.hpp"

namespace wale::storage::azure {
namespace {

using net::XmlElement;

[[noreturn]] void unexpected(const std::string& what) { throw Error(ErrorKind::corrupt, "Azure answer: " + what); }

// Text the store chose, made fit for a one-line message: the first line, no
// control characters, bounded.
std::string first_line(std::string_view text) {
  constexpr std::size_t kLongest = 300;
  text = text.substr(0, text.find_first_of("\r\n"));
  std::string out(text.substr(0, kLongest));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (text.size() > kLongest) out += "...";
  return out;
}

const XmlElement& root_named(const XmlElement& root, std::string_view expected) {
  if (root.name == expected) return root;
  if (root.name == "Error")
    unexpected("expected <" + std::string(expected) + "> but got error " + first_line(root.child_text("Code")) + ": " +
               first_line(root.child_text("Message")));
  unexpected("expected <" + std::string(expected) + "> but got <" + first_line(root.name) + ">");
}

// <Name Encoded="true">: the name is percent-encoded (RFC 3986, no '+').
std::string blob_name(const XmlElement& element) {
  bool encoded = false;
  for (const auto& [name, value] : element.attributes)
    if (name == "Encoded" && value == "true") encoded = true;
  if (!encoded) return element.text;
  auto decoded = percent_decode(element.text);
  if (!decoded) unexpected("bad percent-encoding in an encoded blob name");
  return *decoded;
}

std::uint64_t parse_size(const std::string& text) {
  std::uint64_t size = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), size);
  if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size())
    unexpected("Content-Length '" + first_line(text) + "' is not a size");
  return size;
}

}  // namespace

BlobPage parse_blob_page(std::string_view xml) {
  const XmlElement document = net::parse_xml(xml);
  const XmlElement& root = root_named(document, "EnumerationResults");
  BlobPage page;
  if (const XmlElement* blobs = root.child("Blobs")) {
    for (const XmlElement* blob : blobs->children_named("Blob")) {
      const XmlElement* name = blob->child("Name");
      const XmlElement* properties = blob->child("Properties");
      if (name == nullptr || name->text.empty()) unexpected("a <Blob> without a <Name>");
      if (properties == nullptr) unexpected("blob " + first_line(name->text) + " has no <Properties>");
      ListedBlob listed;
      listed.name = blob_name(*name);
      listed.size = parse_size(properties->child_text("Content-Length"));
      listed.last_modified = properties->child_text("Last-Modified");
      page.blobs.push_back(std::move(listed));
    }
  }
  page.next_marker = root.child_text("NextMarker");
  return page;
}

AzureError parse_error(std::string_view xml) {
  AzureError error;
  try {
    const XmlElement root = net::parse_xml(xml);
    if (root.name != "Error") return error;
    error.code = first_line(root.child_text("Code"));
    error.message = first_line(root.child_text("Message"));
  } catch (const Error&) {
    // Not XML (an HTML page from a proxy, an empty HEAD body): no details.
  }
  return error;
}

std::string block_list_body(std::uint32_t count) {
  std::string body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  for (std::uint32_t n = 1; n <= count; ++n) body += "<Latest>" + block_id(n) + "</Latest>";
  body += "</BlockList>";
  return body;
}

}  // namespace wale::storage::azure

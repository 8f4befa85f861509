// libFuzzer target for the XML reader that every blob-store answer goes
// through: hostile documents must end in a tree or in wale::Error (kind
// corrupt), never in a crash, an overrun, unbounded recursion or an
// unbounded allocation. The tree is walked so that its accessors run too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/error.hpp"
#include "common/net/xml.hpp"

namespace {

std::size_t walk(const wale::net::XmlElement& element) {
  std::size_t seen = element.name.size() + element.text.size() + element.attributes.size();
  seen += element.child_text("Key").size() + element.children_named("Contents").size();
  for (const auto& child : element.children) seen += walk(child);
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  wale::net::XmlElement root;
  try {
    root = wale::net::parse_xml(input);
  } catch (const wale::Error& e) {
    if (e.kind() != wale::ErrorKind::corrupt) __builtin_trap();
    return 0;
  }
  if (root.name.empty()) __builtin_trap();
  (void)walk(root);
  // Whatever text the reader produced, escaping it must read back unchanged,
  // as element content and as an attribute value; a refusal here escapes
  // uncaught and is reported as a crash.
  const std::string escaped = wale::net::xml_escape(root.text);
  const wale::net::XmlElement again = wale::net::parse_xml("<k a=\"" + escaped + "\">" + escaped + "</k>");
  if (again.text != root.text || again.attributes.at(0).second != root.text) __builtin_trap();
  return 0;
}

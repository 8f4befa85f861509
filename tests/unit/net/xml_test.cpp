// The XML reader for blob-store answers: every construct such answers use
// (and a few they might), entity and character-reference decoding, and the
// refusals — DTDs, broken structure, bad characters, excessive nesting —
// which must all end in wale::Error(corrupt).
#include "common/net/xml.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "common/core/error.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::net::parse_xml;
using wale::net::xml_escape;
using wale::net::XmlElement;

namespace {

// True when the document is refused as corrupt with a one-line message.
bool refused(std::string_view document) {
  try {
    (void)parse_xml(document);
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.size() < 200);
    return e.kind() == ErrorKind::corrupt;
  }
  return false;
}

std::string nested(int depth) {
  std::string document;
  for (int i = 0; i < depth; ++i) document += "<a>";
  for (int i = 0; i < depth; ++i) document += "</a>";
  return document;
}

std::string attribute(const XmlElement& element, std::string_view name) {
  for (const auto& [key, value] : element.attributes) {
    if (key == name) return value;
  }
  return "<absent>";
}

}  // namespace

TEST_CASE("xml: a minimal document", "[net][xml]") {
  const XmlElement root = parse_xml("<a/>");
  CHECK(root.name == "a");
  CHECK(root.text.empty());
  CHECK(root.children.empty());
  CHECK(root.attributes.empty());
  CHECK(parse_xml("<a></a>").name == "a");
  CHECK(parse_xml("<a >x</a >").text == "x");
}

TEST_CASE("xml: declaration and byte order mark and surrounding whitespace", "[net][xml]") {
  CHECK(parse_xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r>t</r>\n").text == "t");
  CHECK(parse_xml("<?xml version='1.0' encoding='utf-8' standalone='yes'?><r/>").name == "r");
  CHECK(parse_xml("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults/>").name ==
        "EnumerationResults");
  // S3 keeps a slow CompleteMultipartUpload alive with spaces sent ahead of
  // the document.
  CHECK(parse_xml("   \n  \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error/>").name == "Error");
  CHECK(parse_xml("\n\t <r/> \n\r\n").name == "r");
}

TEST_CASE("xml: comments and processing instructions", "[net][xml]") {
  const XmlElement root = parse_xml(
      "<?xml version=\"1.0\"?>\n<!-- before -->\n<?xml-stylesheet href=\"a.xsl\"?>\n"
      "<r>a<!-- in <b>not an element</b> -->b<?pi data?>c<?empty?></r>\n<!-- after --><?tail?>\n");
  CHECK(root.name == "r");
  CHECK(root.text == "abc");
  CHECK(root.children.empty());
  CHECK(parse_xml("<r><!----></r>").text.empty());
  CHECK(parse_xml("<r><!-- - --></r>").text.empty());
}

TEST_CASE("xml: CDATA sections are kept verbatim", "[net][xml]") {
  const XmlElement root = parse_xml("<r>a<![CDATA[<b>&amp;</b> ]] ]]>z</r>");
  CHECK(root.text == "a<b>&amp;</b> ]] z");
  CHECK(root.children.empty());
  CHECK(parse_xml("<r><![CDATA[]]></r>").text.empty());
}

TEST_CASE("xml: attributes in both quotes", "[net][xml]") {
  const XmlElement root = parse_xml("<r a=\"1\" b='two' c = \"it's\" d='say \"hi\"' e=\"&lt;&amp;&#65;\"/>");
  REQUIRE(root.attributes.size() == 5);
  CHECK(root.attributes[0] == std::pair<std::string, std::string>{"a", "1"});
  CHECK(attribute(root, "b") == "two");
  CHECK(attribute(root, "c") == "it's");
  CHECK(attribute(root, "d") == "say \"hi\"");
  CHECK(attribute(root, "e") == "<&A");
  SECTION("literal whitespace in a value reads as spaces, references do not") {
    const XmlElement r = parse_xml("<r v=\"a\tb\nc\r\nd&#10;e\"/>");
    CHECK(attribute(r, "v") == "a b c d\ne");
  }
}

TEST_CASE("xml: namespaces", "[net][xml]") {
  const XmlElement root = parse_xml(
      "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
      "<s3:Name>b</s3:Name><Other xsi:nil=\"true\"/></s3:ListBucketResult>");
  CHECK(root.name == "ListBucketResult");
  CHECK(attribute(root, "xmlns:s3") == "http://s3.amazonaws.com/doc/2006-03-01/");
  CHECK(attribute(root, "xmlns:xsi") == "http://www.w3.org/2001/XMLSchema-instance");
  CHECK(root.child_text("Name") == "b");
  REQUIRE(root.child("Other") != nullptr);
  CHECK(attribute(*root.child("Other"), "xsi:nil") == "true");

  const XmlElement plain = parse_xml("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>");
  CHECK(attribute(plain, "xmlns") == "http://s3.amazonaws.com/doc/2006-03-01/");
}

TEST_CASE("xml: predefined entities and character references", "[net][xml]") {
  CHECK(parse_xml("<r>&lt;&gt;&amp;&quot;&apos;</r>").text == "<>&\"'");
  CHECK(parse_xml("<r>&#65;&#x42;</r>").text == "AB");
  CHECK(parse_xml("<r>a&amp;lt;b</r>").text == "a&lt;b");  // decoded once only
}

TEST_CASE("xml: character references are encoded as UTF-8", "[net][xml]") {
  CHECK(parse_xml("<r>&#65;&#x42;&#x0043;&#0000068;</r>").text == "ABCD");
  CHECK(parse_xml("<r>&#233;</r>").text == "\xC3\xA9");
  CHECK(parse_xml("<r>&#x20AC;</r>").text == "\xE2\x82\xAC");
  CHECK(parse_xml("<r>&#x1F600;</r>").text == "\xF0\x9F\x98\x80");
  CHECK(parse_xml("<r>&#x10FFFF;</r>").text == "\xF4\x8F\xBF\xBF");
  CHECK(parse_xml("<r>&#xd7ff;&#xE000;&#xfffd;</r>").text == "\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBD");
  // Line breaks and controls given as references survive as themselves.
  CHECK(parse_xml("<r>&#13;&#10;&#9;&#1;</r>").text == "\r\n\t\x01");
}

TEST_CASE("xml: text and whitespace", "[net][xml]") {
  const XmlElement root = parse_xml("<r>\n  <a> x  y </a>\n  <b></b>\n</r>");
  CHECK(root.text == "\n  \n  \n");
  CHECK(root.child_text("a") == " x  y ");
  CHECK(root.child_text("b").empty());
  CHECK(parse_xml("<r>caf\xC3\xA9 \xE2\x82\xAC > ]] </r>").text == "caf\xC3\xA9 \xE2\x82\xAC > ]] ");
  SECTION("line ends are normalized") { CHECK(parse_xml("<r>a\r\nb\rc\nd</r>").text == "a\nb\nc\nd"); }
}

TEST_CASE("xml: child lookups", "[net][xml]") {
  const XmlElement root = parse_xml("<r><k>1</k><j>x</j><k>2</k><k/></r>");
  REQUIRE(root.children.size() == 4);
  CHECK(root.child("k") == &root.children[0]);
  CHECK(root.child("missing") == nullptr);
  CHECK(root.child_text("j") == "x");
  CHECK(root.child_text("missing").empty());
  const auto ks = root.children_named("k");
  REQUIRE(ks.size() == 3);
  CHECK(ks[0]->text == "1");
  CHECK(ks[1]->text == "2");
  CHECK(ks[2]->text.empty());
  CHECK(root.children_named("missing").empty());
}

TEST_CASE("xml: DOCTYPE and entity declarations are refused", "[net][xml]") {
  CHECK(refused("<!DOCTYPE r><r/>"));
  CHECK(refused("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>"));
  CHECK(refused("<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>"));
  CHECK(refused("<!-- c --><!DOCTYPE r><r/>"));
  CHECK(refused("<r><!DOCTYPE r></r>"));
  CHECK(refused("<r><!ENTITY e \"x\"></r>"));
  CHECK(refused("<r/><!DOCTYPE r>"));
  CHECK(refused("<r>&e;</r>"));
  CHECK(refused("<r>&nbsp;</r>"));
}

TEST_CASE("xml: broken structure is refused", "[net][xml]") {
  CHECK(refused(""));
  CHECK(refused("   "));
  CHECK(refused("text"));
  CHECK(refused("<a>"));
  CHECK(refused("<a><b></a></b>"));
  CHECK(refused("<a></b>"));
  CHECK(refused("<a></A>"));
  CHECK(refused("<p:a></q:a>"));
  CHECK(refused("<p:a></a>"));
  CHECK(refused("</a>"));
  CHECK(refused("<a/><b/>"));
  CHECK(refused("<a/>trailing"));
  CHECK(refused("<a/>&amp;"));
  CHECK(refused("leading<a/>"));
  CHECK(refused("<a"));
  CHECK(refused("<a/"));
  CHECK(refused("<a>x</a"));
  CHECK(refused("<a>x</"));
  CHECK(refused("< a/>"));
  CHECK(refused("<1a/>"));
  CHECK(refused("<-a/>"));
  CHECK(refused("<a><b></a>"));
  CHECK(refused("<a>]]></a>"));
  CHECK(refused("<a><![CDATA[x</a>"));
  CHECK(refused("<a><!-- x</a>"));
  CHECK(refused("<a><!-- a -- b --></a>"));
  CHECK(refused("<a><!---></a>"));
  CHECK(refused("<a><?pi x</a>"));
  CHECK(refused("<a><?</a>"));
  CHECK(refused("<a><!x></a>"));
  CHECK(refused("<a/><!-- unterminated"));
  CHECK(refused(":a/>"));
  CHECK(refused("<:a/>"));
  CHECK(refused("<a:/>"));
  CHECK(refused("<a:b:c/>"));
}

TEST_CASE("xml: bad declarations and processing instructions are refused", "[net][xml]") {
  CHECK(refused("<?xml version=\"1.0\""));
  CHECK(refused("<r/><?xml version=\"1.0\"?>"));
  CHECK(refused("<r><?xml version=\"1.0\"?></r>"));
  CHECK(refused("<?xml version=\"1.0\"?><?xml version=\"1.0\"?><r/>"));
  CHECK(refused("<?XML version=\"1.0\"?><?xml version=\"1.0\"?><r/>"));
  CHECK(refused("<?pi?x?><r/>"));
  CHECK(refused("<? pi?><r/>"));
}

TEST_CASE("xml: bad attributes are refused", "[net][xml]") {
  CHECK(refused("<a b/>"));
  CHECK(refused("<a b=/>"));
  CHECK(refused("<a b=c/>"));
  CHECK(refused("<a b=\"c/>"));
  CHECK(refused("<a b='c\"/>"));
  CHECK(refused("<a b=\"<\"/>"));
  CHECK(refused("<a b=\"&\"/>"));
  CHECK(refused("<a b=\"1\" b=\"2\"/>"));
  CHECK(refused("<a b=\"1\"c=\"2\"/>"));
  CHECK(refused("<a b=\"1\""));
  std::string many = "<a";
  for (int i = 0; i < 100; ++i) many += " a" + std::to_string(i) + "=\"\"";
  CHECK(refused(many + "/>"));
}

TEST_CASE("xml: bad references are refused", "[net][xml]") {
  CHECK(refused("<r>&</r>"));
  CHECK(refused("<r>& amp;</r>"));
  CHECK(refused("<r>&amp</r>"));
  CHECK(refused("<r>&;</r>"));
  CHECK(refused("<r>&#;</r>"));
  CHECK(refused("<r>&#x;</r>"));
  CHECK(refused("<r>&#12a;</r>"));
  CHECK(refused("<r>&#xG1;</r>"));
  CHECK(refused("<r>&#X41;</r>"));  // only a lower-case x introduces hex
  CHECK(refused("<r>&AMP;</r>"));
  CHECK(refused("<r>&#-1;</r>"));
  CHECK(refused("<r>&#0;</r>"));
  CHECK(refused("<r>&#x0;</r>"));
  CHECK(refused("<r>&#xD800;</r>"));
  CHECK(refused("<r>&#xDFFF;</r>"));
  CHECK(refused("<r>&#xFFFE;</r>"));
  CHECK(refused("<r>&#xFFFF;</r>"));
  CHECK(refused("<r>&#x110000;</r>"));
  CHECK(refused("<r>&#1114112;</r>"));
  CHECK(refused("<r>&#99999999999999999999;</r>"));
  CHECK(refused("<r>&#x" + std::string(100, '0') + "41;</r>"));
}

TEST_CASE("xml: bad characters are refused", "[net][xml]") {
  CHECK(refused(std::string_view("<r>\0</r>", 8)));
  CHECK(refused("<r>\x01</r>"));
  CHECK(refused("<r>\x1F</r>"));
  CHECK(refused("<r>\xFF</r>"));
  CHECK(refused("<r>\xC3</r>"));
  CHECK(refused("<r>\xC0\xAF</r>"));          // overlong '/'
  CHECK(refused("<r>\xE0\x80\xAF</r>"));      // overlong '/'
  CHECK(refused("<r>\xED\xA0\x80</r>"));      // a surrogate
  CHECK(refused("<r>\xF4\x90\x80\x80</r>"));  // beyond U+10FFFF
  CHECK(refused("<r>\xEF\xBF\xBE</r>"));      // U+FFFE
  CHECK(refused("<r>\x80</r>"));
  CHECK(refused("<r a=\"\x01\"/>"));
}

TEST_CASE("xml: nesting depth is bounded", "[net][xml]") {
  CHECK(parse_xml(nested(64)).name == "a");
  CHECK(refused(nested(65)));
  CHECK(refused(nested(100000)));
  std::string unclosed;
  for (int i = 0; i < 100000; ++i) unclosed += "<a>";
  CHECK(refused(unclosed));
}

TEST_CASE("xml: document size is bounded", "[net][xml]") {
  std::string huge = "<r>";
  huge.append(64u << 20, 'x');
  huge += "</r>";
  CHECK(refused(huge));
}

TEST_CASE("xml: the number of elements is bounded", "[net][xml]") {
  std::string many = "<r>";
  for (int i = 0; i < (1 << 20); ++i) many += "<a/>";
  many += "</r>";
  CHECK(refused(many));
}

TEST_CASE("xml: escaping round-trips through the reader", "[net][xml]") {
  CHECK(xml_escape("") == "");
  CHECK(xml_escape("plain/key_0001.lzo") == "plain/key_0001.lzo");
  CHECK(xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
  CHECK(xml_escape("line\r\nnext\t") == "line&#13;&#10;next&#9;");
  CHECK(xml_escape("caf\xC3\xA9") == "caf\xC3\xA9");
  const std::string awkward = "a<b>&\"c' \r\n\t ]]> caf\xC3\xA9 \x01";
  CHECK(parse_xml("<k>" + xml_escape(awkward) + "</k>").text == awkward);
  const XmlElement attr = parse_xml("<k v=\"" + xml_escape(awkward) + "\"/>");
  CHECK(attribute(attr, "v") == awkward);
}

// wale-store-probe: a test tool that drives one store through the
// project's storage interface, configured exactly as wal-e is (prefix,
// credentials and endpoint from the environment). The integration tests use
// it to look inside an archive on any backend and to exercise what no wal-e
// command reaches yet (multipart uploads, batch deletes).
//
//   wale-store-probe list PREFIX            keys, sizes and timestamps, one per line
//   wale-store-probe get KEY                the object's bytes on stdout
//   wale-store-probe head KEY               size and metadata
//   wale-store-probe put KEY                stdin as one object
//   wale-store-probe stream-put KEY         stdin through the streaming (multipart) writer
//   wale-store-probe stream-abandon KEY N   N bytes of stdin into the streaming writer, then abandon it
//   wale-store-probe put-many PREFIX N      N small objects PREFIX00000 ...
//   wale-store-probe delete                 the keys read from stdin, one per line
//   wale-store-probe uploads                multipart uploads in progress (S3 only)
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/config/options.hpp"
#include "common/config/store_settings.hpp"
#include "common/core/error.hpp"
#include "common/net/http_client.hpp"
#include "common/net/xml.hpp"
#include "common/storage/s3/s3_store.hpp"

namespace {

std::string read_stdin() {
  std::string data;
  char buf[1 << 16];
  for (ssize_t n; (n = ::read(STDIN_FILENO, buf, sizeof(buf))) > 0;) data.append(buf, static_cast<std::size_t>(n));
  return data;
}

class StdoutSink final : public wale::ByteSink {
 public:
  void write(std::string_view data) override { std::cout.write(data.data(), static_cast<std::streamsize>(data.size())); }
};

int run(const std::vector<std::string>& args) {
  using namespace wale;
  if (args.empty()) throw Error(ErrorKind::usage, "usage: wale-store-probe list|get|head|put|stream-put|stream-abandon|put-many|delete|uploads ...");
  const auto cmd = config::parse_command_line({"backup-list"}, config::process_environment());
  auto store = config::open_store(config::require_prefix(cmd), cmd);
  const std::string& what = args[0];
  const std::string arg = args.size() > 1 ? args[1] : "";
  if (what == "list") {
    store->list(arg, [](storage::ObjectInfo&& o) { std::cout << o.key << '\t' << o.size << '\t' << o.last_modified << '\n'; });
  } else if (what == "get") {
    StdoutSink out;
    store->get(arg, out);
  } else if (what == "head") {
    const auto info = store->head(arg);
    if (!info) return 1;
    std::cout << "size\t" << info->size << '\n';
    for (const auto& [k, v] : info->metadata) std::cout << k << '\t' << v << '\n';
  } else if (what == "put") {
    store->put(arg, read_stdin(), {});
  } else if (what == "stream-put") {
    auto writer = store->open_writer(arg, {});
    char buf[1 << 16];
    for (ssize_t n; (n = ::read(STDIN_FILENO, buf, sizeof(buf))) > 0;) writer->write(std::string_view(buf, static_cast<std::size_t>(n)));
    writer->close();
  } else if (what == "stream-abandon") {
    auto writer = store->open_writer(arg, {});
    const std::string data = read_stdin();
    writer->write(std::string_view(data).substr(0, std::stoull(args.at(2))));
    writer.reset();  // abandoned: no object, no parts
  } else if (what == "put-many") {
    const int n = std::stoi(args.at(2));
    for (int i = 0; i < n; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "%05d", i);
      store->put(arg + name, name, {});
    }
  } else if (what == "delete") {
    std::vector<std::string> keys;
    for (std::string line; std::getline(std::cin, line);)
      if (!line.empty()) keys.push_back(line);
    store->remove(keys);
  } else if (what == "uploads") {
    auto* s3 = dynamic_cast<storage::s3::S3Store*>(store.get());
    if (s3 == nullptr) throw Error(ErrorKind::usage, "uploads: not an S3 store");
    storage::s3::S3Store::Request r;
    r.path = "/";
    if (s3->settings().addressing == storage::s3::Addressing::path) r.path += s3->settings().bucket;
    r.query = {{"uploads", ""}};
    const auto response = s3->send(r);
    if (response.status != 200) s3->fail("cannot list multipart uploads", response);
    const auto doc = net::parse_xml(response.body);
    for (const auto* upload : doc.children_named("Upload")) std::cout << upload->child_text("Key") << '\t' << upload->child_text("UploadId") << '\n';
  } else {
    throw Error(ErrorKind::usage, "unknown probe command " + what);
  }
  std::cerr << "connections opened: " << store->connections_opened() << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const wale::Error& e) {
    std::cerr << "wale-store-probe: " << e.what() << '\n';
    return e.kind() == wale::ErrorKind::not_found ? 1 : 2;
  }
}

#include "common/archive/sentinel.hpp"

#include <nlohmann/json.hpp>

#include "common/core/error.hpp"
#include "proto/bounded_json.hpp"

namespace wale::archive {
namespace {

using Json = nlohmann::ordered_json;

// Python's json.dumps with default separators: ", " between items, ": "
// after keys, non-ASCII escaped as \uXXXX.
void dump_python(const Json& j, std::string& out) {
  switch (j.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : j.items()) {
        if (!first) out += ", ";
        first = false;
        out += Json(k).dump(-1, ' ', true);
        out += ": ";
        dump_python(v, out);
      }
      out += '}';
      break;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& v : j) {
        if (!first) out += ", ";
        first = false;
        dump_python(v, out);
      }
      out += ']';
      break;
    }
    default:
      out += j.dump(-1, ' ', true);
  }
}

Json spec_json(const RestoreSpec& spec) {
  Json j = Json::object();
  j["base_prefix"] = spec.base_prefix;
  Json oids = Json::array();
  for (const auto& t : spec.tablespaces) oids.push_back(t.oid);
  j["tablespaces"] = oids;
  for (const auto& t : spec.tablespaces) j[t.oid] = Json{{"loc", t.location}, {"link", t.link}};
  return j;
}

RestoreSpec spec_from_checked(const Json& j);

// A specification whose values have the wrong JSON types is as unusable as
// a malformed one.
RestoreSpec spec_from(const Json& j) {
  try {
    return spec_from_checked(j);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::corrupt, std::string("malformed restore specification: ") + e.what());
  }
}

RestoreSpec spec_from_checked(const Json& j) {
  RestoreSpec spec;
  if (!j.is_object()) throw Error(ErrorKind::corrupt, "a restore specification must be a JSON object");
  if (j.contains("base_prefix") && j["base_prefix"].is_string()) spec.base_prefix = j["base_prefix"].get<std::string>();
  if (j.contains("tablespaces")) {
    for (const auto& oid_json : j.at("tablespaces")) {
      const std::string oid = oid_json.is_string() ? oid_json.get<std::string>() : oid_json.dump();
      // The oid and link become paths of the restore: anything but a
      // tablespace's OID and its pg_tblspc link could lead outside it.
      if (oid.empty() || oid.size() > 10 || oid.find_first_not_of("0123456789") != std::string::npos)
        throw Error(ErrorKind::corrupt, "the restore specification names the tablespace '" + printable(oid) +
                                            "', which is not a tablespace OID");
      TablespaceSpec t;
      t.oid = oid;
      t.link = "pg_tblspc/" + oid;
      if (j.contains(oid)) {
        const auto& entry = j.at(oid);
        if (!entry.is_object()) throw Error(ErrorKind::corrupt, "the restore specification's entry for tablespace " + oid + " is not an object");
        t.location = entry.value("loc", std::string());
        if (entry.value("link", t.link) != t.link)
          throw Error(ErrorKind::corrupt, "the restore specification links tablespace " + oid + " elsewhere than " + t.link);
      }
      spec.tablespaces.push_back(std::move(t));
    }
  }
  return spec;
}

}  // namespace

std::string sentinel_json(const Sentinel& s) {
  Json j = Json::object();
  j["wal_segment_backup_stop"] = s.stop_segment;
  j["wal_segment_offset_backup_stop"] = s.stop_offset;
  j["expanded_size_bytes"] = s.expanded_size_bytes;
  if (s.spec) j["spec"] = spec_json(*s.spec);
  if (s.partitions) j["partitions"] = *s.partitions;
  std::string out;
  dump_python(j, out);
  return out;
}

Sentinel parse_sentinel(std::string_view text) {
  try {
    const auto j = proto::parse_bounded_json<Json>(text);
    Sentinel s;
    s.stop_segment = j.value("wal_segment_backup_stop", std::string());
    s.stop_offset = j.value("wal_segment_offset_backup_stop", std::string());
    if (j.contains("expanded_size_bytes") && j["expanded_size_bytes"].is_number_unsigned())
      s.expanded_size_bytes = j["expanded_size_bytes"].get<std::uint64_t>();
    if (j.contains("spec") && j["spec"].is_object()) s.spec = spec_from(j["spec"]);
    if (j.contains("partitions") && j["partitions"].is_number_unsigned()) s.partitions = j["partitions"].get<std::uint64_t>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::corrupt, std::string("the backup sentinel is not valid JSON: ") + e.what());
  }
}

RestoreSpec merge_restore_spec(const RestoreSpec& base, std::string_view text) {
  Json merged = spec_json(base);
  try {
    const auto given = proto::parse_bounded_json<Json>(text);
    if (!given.is_object()) throw Error(ErrorKind::usage, "the restore specification must be a JSON object");
    for (const auto& [k, v] : given.items()) merged[k] = v;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::usage, std::string("the restore specification is not valid JSON: ") + e.what());
  }
  return spec_from(merged);
}

}  // namespace wale::archive

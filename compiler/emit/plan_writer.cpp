// Plan records to bytes: the layout of runtime/plan/format.h, and string interning.
#include "compiler/emit/plan_writer.h"

#include <xxhash.h>

#include <cstddef>
#include <cstring>

namespace banyan::emit {

using namespace banyan::plan;

StrRef PlanWriter::str(std::string_view s) {
  auto it = interned_.find(s);
  if (it != interned_.end()) return it->second;
  StrRef r{static_cast<uint32_t>(strings_.size()), static_cast<uint32_t>(s.size())};
  strings_.append(s);
  interned_.emplace(std::string(s), r);
  return r;
}

Slice PlanWriter::strs(const std::vector<std::string>& v) {
  Slice s{static_cast<uint32_t>(str_lists.size()), static_cast<uint32_t>(v.size())};
  for (const auto& x : v) str_lists.push_back(str(x));
  return s;
}

Slice PlanWriter::u32s(const std::vector<uint32_t>& v) {
  Slice s{static_cast<uint32_t>(u32_lists.size()), static_cast<uint32_t>(v.size())};
  u32_lists.insert(u32_lists.end(), v.begin(), v.end());
  return s;
}

std::string PlanWriter::finish(const uint8_t (&sha)[32]) {
  std::string out(sizeof(Header) + sizeof(SectionEntry) * kSectionCount, '\0');
  SectionEntry table[kSectionCount] = {};
  auto put = [&](Section s, const void* data, size_t count, size_t size) {
    const size_t align = s == Section::Nodes ? kNodeAlign : 8;
    out.resize((out.size() + align - 1) / align * align, '\0');
    table[static_cast<uint32_t>(s)] = {static_cast<uint32_t>(out.size()), static_cast<uint32_t>(count), static_cast<uint32_t>(size), 0};
    if (count > 0) out.append(static_cast<const char*>(data), count * size);
  };
  auto put_all = [&](Section s, const auto& v) { put(s, v.data(), v.size(), sizeof(v[0])); };
  put(Section::Strings, strings_.data(), strings_.size(), 1);
  put_all(Section::StrLists, str_lists);
  put_all(Section::U32Lists, u32_lists);
  put_all(Section::Listeners, listeners);
  put_all(Section::Tls, tls);
  put_all(Section::Upstreams, upstreams);
  put_all(Section::Servers, servers);
  put_all(Section::Caches, caches);
  put_all(Section::Sites, sites);
  put_all(Section::Hosts, hosts);
  put_all(Section::Nodes, nodes);
  put_all(Section::NodeKeys, node_keys);
  put_all(Section::Entries, entries);
  put_all(Section::ChildSlots, child_slots);
  put_all(Section::CaptureRefs, captures);
  put_all(Section::Routes, routes);
  put_all(Section::GlobSegments, glob_segments);
  put_all(Section::ValueTests, value_tests);
  put_all(Section::HeaderOps, header_ops);
  put_all(Section::CachePolicies, cache_policies);
  put_all(Section::CacheValids, cache_valids);
  put_all(Section::Migrations, migrations);
  put_all(Section::MovePatterns, move_patterns);
  put_all(Section::ShiftSteps, shift_steps);
  put_all(Section::Sources, sources);
  out.resize((out.size() + 7) / 8 * 8, '\0');

  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kFormatVersion;
  h.file_size = out.size();
  h.section_count = kSectionCount;
  std::memcpy(h.source_sha256, sha, sizeof sha);
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + sizeof h, table, sizeof table);
  h.checksum = XXH3_64bits(out.data() + kChecksumFrom, out.size() - kChecksumFrom);
  std::memcpy(out.data() + offsetof(Header, checksum), &h.checksum, sizeof h.checksum);
  return out;
}

}  // namespace banyan::emit

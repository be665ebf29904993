// Shadow traffic's comparison (shadow_compare.h): each side's response as the
// comparison needs it, compared field by field (migrations/compare.h) once every side
// is in, counted, and a mismatch kept as a sample for GET /migrations/NAME/diffs.
#include "runtime/proxy/exchange/shadow_compare.h"

#include <algorithm>
#include <vector>

#include "migrations/compare.h"
#include "migrations/schedule.h"
#include "runtime/http/fields.h"
#include "runtime/proxy/access_log.h"
#include "runtime/proxy/clock.h"
#include "runtime/proxy/migration_control.h"

namespace banyan::proxy {

static_assert(plan::kCompareStatus == migrations::kStatus && plan::kCompareHeaders == migrations::kHeaders &&
              plan::kCompareBody == migrations::kBody && plan::kCompareJson == migrations::kJson &&
              plan::kCompareNoise == migrations::kNoise);

namespace {


// Fields that differ between any two answers, so comparing them says nothing, and
// those the migration's `ignore` names.
bool ignored_field(std::string_view n, const ShadowPair& p) {
  for (std::string_view f : {"date", "age", "server", "set-cookie", "x-request-id", "request-id", "x-served-by",
                             "transfer-encoding", "connection", "keep-alive", "via"})
    if (http::iequals(n, f)) return true;
  for (plan::StrRef r : p.plan->str_list(p.ignore))
    if (http::iequals(n, p.plan->str(r))) return true;
  return (p.compare & plan::kCompareBody) && http::iequals(n, "content-length");
}

std::string json(std::string_view s) {
  std::string out = "\"";
  append_json_escaped(out, s);
  return out + "\"";
}

// A mismatch's sample: the request, both statuses, the differing headers, the JSON
// fields or where the bytes part, and what was left out as noise.
std::string sample(const ShadowPair& p, const std::vector<migrations::FieldDifference>& found,
                   const std::vector<std::string>& noise) {
  const migrations::Answer &a = p.primary.answer, &b = p.copy.answer;
  std::string d = "{\"time\":" + json(migrations::format_timestamp(unix_ms_now())) + ",\"request\":" +
                  json(p.request_line) + ",\"status\":[" + std::to_string(a.status) + "," + std::to_string(b.status) + "]";
  std::string headers, fields;
  bool body = false;
  size_t shown = 0;
  for (const migrations::FieldDifference& f : found) {
    if (f.field.starts_with("header ")) {  // the fields one side has and the other has not (or with another value)
      std::string name = f.field.substr(7);
      if (!f.a.empty()) headers += std::string(headers.empty() ? "" : ",") + "{\"old\":" + json(name + ": " + f.a) + "}";
      if (!f.b.empty()) headers += std::string(headers.empty() ? "" : ",") + "{\"new\":" + json(name + ": " + f.b) + "}";
    } else if (f.field.starts_with("$") && shown++ < kSampleFields) {
      fields += std::string(fields.empty() ? "" : ",") + "{\"path\":" + json(f.field) + ",\"old\":" +
                json(f.a.substr(0, kSampleValue)) + ",\"new\":" + json(f.b.substr(0, kSampleValue)) + "}";
    }
    body = body || f.field == "body";
  }
  if (!headers.empty()) d += ",\"headers\":[" + headers + "]";
  if (!fields.empty()) d += ",\"json\":[" + fields + "]";
  if (body) {
    const std::string &x = p.primary.excerpt, &y = p.copy.excerpt;
    size_t at = 0;
    while (at < x.size() && at < y.size() && x[at] == y[at]) ++at;
    d += ",\"body\":{\"lengths\":[" + std::to_string(a.length) + "," + std::to_string(b.length) + "]";
    d += at < x.size() || at < y.size() ? ",\"first_difference\":" + std::to_string(at)
                                        : ",\"first_difference\":\"after the first " + std::to_string(kExcerptBytes) +
                                              " bytes\"";
    d += ",\"old\":" + json(x.substr(at > 16 ? at - 16 : 0, 64)) + ",\"new\":" + json(y.substr(at > 16 ? at - 16 : 0, 64));
    d += "}";
  }
  if (!noise.empty()) {
    d += ",\"noise\":[";
    for (size_t i = 0; i < noise.size() && i < kSampleFields; ++i) d += (i ? "," : "") + json(noise[i]);
    d += "]";
  }
  return d + "}";
}

// Every side is in: count, and keep a sample of a mismatch.
void compare(ShadowPair& p) {
  ShadowCounters& c = p.rt->shadow;
  if (!p.primary.whole || !p.copy.whole) {
    if (!p.copy.whole) c.failed.fetch_add(1, std::memory_order_relaxed);
    return;  // a failed copy, or a primary cut short: nothing to compare
  }
  c.compared.fetch_add(1, std::memory_order_relaxed);
  const bool json_bodies = p.compare & plan::kCompareJson;
  p.primary.finish(json_bodies);
  p.copy.finish(json_bodies);
  if ((p.compare & plan::kCompareJson) && !(p.primary.answer.is_json && p.copy.answer.is_json))
    c.not_json.fetch_add(1, std::memory_order_relaxed);
  std::vector<migrations::FieldDifference> found = migrations::differences(p.primary.answer, p.copy.answer, p.compare);
  std::vector<std::string> noise;
  if ((p.compare & plan::kCompareNoise) && !found.empty()) {
    if (p.second.whole) {
      p.second.finish(json_bodies);
      found = migrations::without_noise(std::move(found), migrations::differences(p.primary.answer, p.second.answer, p.compare),
                                        noise);
    } else {
      c.noise_failed.fetch_add(1, std::memory_order_relaxed);  // compared without knowing the noise
    }
  }
  if (!noise.empty()) {
    c.noise.fetch_add(1, std::memory_order_relaxed);
    p.rt->note_noise(noise);
  }
  if (found.empty()) {
    c.matched.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  bool status = false, headers = false, body = false;
  for (const migrations::FieldDifference& f : found) {
    status = status || f.field == "status";
    headers = headers || f.field.starts_with("header ");
    body = body || f.field == "body" || f.field.starts_with("$");
  }
  if (status) c.status_mismatches.fetch_add(1, std::memory_order_relaxed);
  if (headers) c.header_mismatches.fetch_add(1, std::memory_order_relaxed);
  if (body) c.body_mismatches.fetch_add(1, std::memory_order_relaxed);
  p.rt->keep_diff(sample(p, found, noise));
}

}  // namespace

void keep_head(ShadowSide& s, const http::ResponseHead& h, const ShadowPair& p) {
  s.answer.status = h.status;
  s.answer.headers.clear();
  for (const plan::HeaderField& f : h.fields) {
    if (ignored_field(f.name, p)) continue;
    std::string name(f.name);
    for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    s.answer.headers.emplace_back(std::move(name), std::string(f.value));
  }
  std::sort(s.answer.headers.begin(), s.answer.headers.end());
}

void side_done(const std::shared_ptr<ShadowPair>& p) {
  if (p->primary.done && p->copy.done && (!(p->compare & plan::kCompareNoise) || p->second.done)) compare(*p);
}

}  // namespace banyan::proxy

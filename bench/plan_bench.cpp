// plan_bench PLAN_FILE REQUESTS_FILE: what a compiled plan costs the runtime. Loads the
// plan (read + verify, median of 5), the resident memory the kept plan adds, and the
// time of plan::match() over pre-built requests (median and p99 of 1,000-lookup
// batches). Prints one `key=value` line for bench/plan_scale.py; exits 1 when fewer
// than 90% of the requests match, since a benchmark that routes nothing measures nothing.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "runtime/plan/matcher.h"
#include "runtime/plan/normalize_path.h"
#include "runtime/plan/plan.h"

namespace {

using Clock = std::chrono::steady_clock;

// Lookups per timed batch: long enough that the two clock reads (~25 ns) vanish in
// the per-lookup figure, short enough to give thousands of batches to rank.
constexpr size_t kBatch = 1000;
constexpr double kLookupSeconds = 0.5;  // total time spent timing lookups
constexpr int kLoads = 5;

volatile uint64_t g_sink;  // route ids go here so no lookup is optimised away

// One sized read, as a runtime would load a plan: streaming through an ostringstream
// copies a 20 MiB plan three times and was most of the measured load time.
bool read_file(const char* path, std::string& out) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return false;
  out.resize(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  return static_cast<bool>(in.read(out.data(), static_cast<std::streamsize>(out.size())));
}

// VmRSS of this process, in KiB.
long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// The requests file, kept as one buffer the views point into: `HOST METHOD PATH
// [NAME:VALUE]...` a line. Paths are normalised in place, as the runtime would.
struct Requests {
  std::string text;
  std::vector<banyan::plan::HeaderField> headers;
  std::vector<banyan::plan::RequestView> views;
};

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    if (end > pos) words.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

bool parse_requests(Requests& rq, std::string& error) {
  std::vector<std::pair<size_t, size_t>> header_ranges;  // per request: first, count
  size_t pos = 0, line_no = 0;
  while (pos < rq.text.size()) {
    size_t end = rq.text.find('\n', pos);
    if (end == std::string::npos) end = rq.text.size();
    std::string_view line(rq.text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::vector<std::string_view> w = split_words(line);
    if (w.empty()) continue;
    if (w.size() < 3) {
      error = "line " + std::to_string(line_no) + ": expected HOST METHOD PATH [NAME:VALUE]...";
      return false;
    }
    banyan::plan::RequestView v;
    v.host = w[0];
    v.method = w[1];
    std::string_view target = w[2];
    size_t q = target.find('?');
    if (q != std::string_view::npos) v.query = target.substr(q + 1);
    std::string_view raw = target.substr(0, q);
    char* buf = const_cast<char*>(raw.data());  // normalised in place: never longer
    banyan::plan::NormalizedPath np = banyan::plan::normalize_path(raw, buf);
    if (np.error != banyan::plan::PathError::None) {
      error = "line " + std::to_string(line_no) + ": " + std::string(banyan::plan::describe(np.error));
      return false;
    }
    v.path = {buf, np.length};
    header_ranges.emplace_back(rq.headers.size(), w.size() - 3);
    for (size_t i = 3; i < w.size(); ++i) {
      size_t colon = w[i].find(':');
      rq.headers.push_back({w[i].substr(0, colon), colon == std::string_view::npos ? "" : w[i].substr(colon + 1)});
    }
    rq.views.push_back(v);
  }
  // The header vector is complete: only now can the spans point into it.
  for (size_t i = 0; i < rq.views.size(); ++i)
    rq.views[i].headers = std::span(rq.headers).subspan(header_ranges[i].first, header_ranges[i].second);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: plan_bench PLAN_FILE REQUESTS_FILE\n");
    return 2;
  }
  // Memory first, before anything else is allocated: the resident set with the plan
  // loaded and its file bytes freed, against the resident set before reading it.
  long rss_before = rss_kib();
  std::unique_ptr<banyan::plan::Plan> plan;
  double first_load_ms = 0;  // the cold load: every page of the plan faulted in fresh
  {
    Clock::time_point t = Clock::now();
    banyan::plan::LoadResult r = banyan::plan::load_plan_file(argv[1]);  // as the runtime loads
    if (!r.plan) {
      std::fprintf(stderr, "plan_bench: %s: invalid plan: %s\n", argv[1], r.error.c_str());
      return 1;
    }
    plan = std::move(r.plan);
    first_load_ms = ms_since(t);
  }
  malloc_trim(0);  // hand back what loading freed, so only what the plan keeps counts
  long rss_added = rss_kib() - rss_before;

  // Load time as a reload pays it: read the file, verify, derive (the allocator
  // reuses the freed memory, so these are warm; the first load above was cold).
  std::vector<double> loads;
  for (int i = 0; i < kLoads; ++i) {
    Clock::time_point t = Clock::now();
    banyan::plan::LoadResult r = banyan::plan::load_plan_file(argv[1]);
    loads.push_back(ms_since(t));
    if (!r.plan) return 1;
  }
  std::sort(loads.begin(), loads.end());

  Requests rq;
  std::string error;
  if (!read_file(argv[2], rq.text)) {
    std::fprintf(stderr, "plan_bench: cannot read '%s'\n", argv[2]);
    return 2;
  }
  if (!parse_requests(rq, error) || rq.views.empty()) {
    std::fprintf(stderr, "plan_bench: %s: %s\n", argv[2], error.empty() ? "no requests" : error.c_str());
    return 2;
  }
  const size_t n = rq.views.size();

  // Warm-up pass, which also counts the requests that match.
  banyan::plan::MatchResult m;
  size_t matched = 0;
  uint64_t acc = 0;
  for (const auto& v : rq.views) {
    matched += banyan::plan::match(*plan, v, m);
    acc += m.route;
  }

  // Whole passes over the list until kLookupSeconds have gone, timed in batches.
  std::vector<double> batch_ns;
  Clock::time_point start = Clock::now();
  size_t at = 0;
  while (at != 0 || ms_since(start) < kLookupSeconds * 1000) {
    size_t count = std::min(kBatch, n - at);
    Clock::time_point t = Clock::now();
    for (size_t i = at; i < at + count; ++i) {
      banyan::plan::match(*plan, rq.views[i], m);
      acc += m.route;
    }
    batch_ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t).count() / static_cast<double>(count));
    at = at + count == n ? 0 : at + count;
  }
  g_sink = acc;
  std::sort(batch_ns.begin(), batch_ns.end());
  double p99 = batch_ns[std::min(batch_ns.size() - 1, batch_ns.size() * 99 / 100)];

  std::printf("load_ms=%.3f first_load_ms=%.3f plan_bytes=%zu rss_added_kib=%ld median_ns=%.1f p99_ns=%.1f batches=%zu matched=%zu/%zu\n",
              loads[loads.size() / 2], first_load_ms, plan->size_bytes(), rss_added, batch_ns[batch_ns.size() / 2], p99,
              batch_ns.size(), matched, n);
  if (matched * 10 < n * 9) {
    std::fprintf(stderr, "plan_bench: only %zu of %zu requests matched a route: the requests do not fit the plan\n",
                 matched, n);
    return 1;
  }
  return 0;
}

// Migrations at runtime (migration_control.h): counters, modes, the rollback loop,
// the admin's actions and their record in the state store.
#include "runtime/proxy/migration_control.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "migrations/bucket.h"
#include "migrations/schedule.h"
#include "runtime/proxy/access_log.h"
#include "runtime/proxy/generation.h"

namespace banyan::proxy {
namespace {

static_assert(static_cast<int>(plan::Metric::Status5xxRate) == static_cast<int>(migrations::Metric::Status5xxRate) &&
              static_cast<int>(plan::Metric::LatencyP99) == static_cast<int>(migrations::Metric::LatencyP99));
static_assert(static_cast<int>(plan::Comparator::LessEqual) == static_cast<int>(migrations::Comparator::LessEqual) &&
              static_cast<int>(plan::Comparator::Less) == static_cast<int>(migrations::Comparator::Less));

// History is kept at this spacing (the evaluation runs more often, on the newest counts).
inline constexpr int64_t kSnapshotEveryMs = 1000;

migrations::Rule rule_of(const plan::Migration& m) {
  migrations::Rule r;
  r.metric = static_cast<migrations::Metric>(m.rollback_metric);
  r.comparator = static_cast<migrations::Comparator>(m.rollback_comparator);
  r.relative = m.rollback_relative != 0;
  const bool latency = m.rollback_metric == plan::Metric::LatencyP50 || m.rollback_metric == plan::Metric::LatencyP99;
  r.threshold = latency ? m.rollback_threshold * 1000 : m.rollback_threshold;  // the plan's ms, as µs
  r.window_ms = m.rollback_window_ms;
  return r;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  append_json_escaped(out, s);
  return out + "\"";
}

}  // namespace

void SideCounters::record(bool error, bool upstream_5xx, uint64_t micros) {
  requests.fetch_add(1, std::memory_order_relaxed);
  if (error) errors.fetch_add(1, std::memory_order_relaxed);
  if (upstream_5xx) status_5xx.fetch_add(1, std::memory_order_relaxed);
  latency[migrations::latency_bucket(micros)].fetch_add(1, std::memory_order_relaxed);
  latency_us_sum.fetch_add(micros, std::memory_order_relaxed);
}

migrations::SideCounts SideCounters::snapshot() const {
  migrations::SideCounts c;
  c.requests = requests.load(std::memory_order_relaxed);
  c.errors = errors.load(std::memory_order_relaxed);
  c.status_5xx = status_5xx.load(std::memory_order_relaxed);
  for (int i = 0; i < migrations::kLatencyBuckets; ++i) c.latency[i] = latency[i].load(std::memory_order_relaxed);
  return c;
}

std::string_view mode_name(MigrationMode m) {
  switch (m) {
    case MigrationMode::Running: return "running";
    case MigrationMode::Paused: return "paused";
    case MigrationMode::RolledBack: return "rolled_back";
    case MigrationMode::Promoted: return "promoted";
  }
  return "running";
}

uint32_t MigrationRuntime::weight(const PreparedMigration& pm, int64_t now_ms) const {
  switch (mode.load(std::memory_order_relaxed)) {
    case MigrationMode::RolledBack: return 0;
    case MigrationMode::Promoted: return migrations::kBuckets;
    case MigrationMode::Paused: return held_basis_points.load(std::memory_order_relaxed);
    case MigrationMode::Running: break;
  }
  return migrations::weight_at(pm.steps, pm.shift_begin_ms, now_ms);
}

void MigrationRuntime::keep_diff(std::string json) {
  if (diffs_fd >= 0 && json.size() > 1) {  // one write(2) of a whole line: lines never interleave (O_APPEND)
    std::string line = "{\"migration\":" + json_string(name) + "," + json.substr(1) + "\n";
    if (::write(diffs_fd, line.data(), line.size()) < 0) shadow.diff_write_errors.fetch_add(1, std::memory_order_relaxed);
  }
  std::lock_guard lock(diffs_mutex_);
  diffs_.push_back(std::move(json));
  if (diffs_.size() > kDiffSamples) diffs_.pop_front();
}

void MigrationRuntime::note_noise(const std::vector<std::string>& fields) {
  std::lock_guard lock(diffs_mutex_);
  for (const std::string& f : fields) {
    auto it = std::find_if(noise_.begin(), noise_.end(), [&](const auto& kv) { return kv.first == f; });
    if (it != noise_.end()) {
      ++it->second;
    } else if (noise_.size() < kNoiseFields) {
      noise_.emplace_back(f, 1);
    } else {
      ++noise_others_;
    }
  }
}

std::string MigrationRuntime::noise_json() const {
  std::lock_guard lock(diffs_mutex_);
  std::string out = "{";
  for (size_t i = 0; i < noise_.size(); ++i) out += (i ? "," : "") + json_string(noise_[i].first) + ":" + std::to_string(noise_[i].second);
  if (noise_others_) out += std::string(noise_.empty() ? "" : ",") + "\"(others)\":" + std::to_string(noise_others_);
  return out + "}";
}

std::string MigrationRuntime::diffs_json() const {
  std::lock_guard lock(diffs_mutex_);
  std::string out = "{\"migration\":" + json_string(name) + ",\"diffs\":[";
  for (size_t i = 0; i < diffs_.size(); ++i) out += (i ? "," : "") + diffs_[i];
  return out + "]}\n";
}

MigrationControl::MigrationControl(std::unique_ptr<StateStore> store) : store_(std::move(store)) {}

MigrationControl::~MigrationControl() {
  if (diffs_fd_ >= 0) ::close(diffs_fd_);
}

void MigrationControl::set_diffs_fd(int fd) {
  diffs_fd_ = fd;
  for (MigrationRuntime& m : runtimes_) m.diffs_fd = fd;
}

std::string MigrationControl::load() {
  std::string error;
  records_ = store_->load(error);
  return error;
}

MigrationRuntime* MigrationControl::runtime(std::string_view name) {
  for (MigrationRuntime& m : runtimes_)
    if (m.name == name) return &m;
  MigrationRuntime& m = runtimes_.emplace_back(std::string(name));
  m.diffs_fd = diffs_fd_;
  if (auto it = records_.find(m.name); it != records_.end()) {
    const MigrationRecord& r = it->second;
    MigrationMode mode = r.mode == "paused"        ? MigrationMode::Paused
                         : r.mode == "rolled_back" ? MigrationMode::RolledBack
                         : r.mode == "promoted"    ? MigrationMode::Promoted
                                                   : MigrationMode::Running;
    m.mode.store(mode, std::memory_order_relaxed);
    m.held_basis_points.store(r.held_basis_points, std::memory_order_relaxed);
    if (!r.decisions.empty()) {
      m.reason = r.decisions.back().action + ": " + r.decisions.back().reason + " (recorded)";
      m.since_ms = r.decisions.back().at_ms;
    }
  }
  return &m;
}

int64_t MigrationControl::effective_start(std::string_view name, int64_t plan_start_ms, int64_t now_ms) {
  if (plan_start_ms >= 0) return plan_start_ms;
  MigrationRecord& r = records_[std::string(name)];
  if (r.start_ms < 0) {
    r.start_ms = now_ms;
    (void)store_->save(records_);  // a failure is said at the next decision; the start holds in memory
  }
  return r.start_ms;
}

std::string MigrationControl::decide(MigrationRuntime& m, MigrationMode mode, std::string_view action,
                                     std::string reason, int64_t now_ms, uint32_t held) {
  m.held_basis_points.store(held, std::memory_order_relaxed);
  m.mode.store(mode, std::memory_order_relaxed);
  m.reason = std::string(action) + ": " + reason;
  m.since_ms = now_ms;
  MigrationRecord& r = records_[m.name];
  r.mode = std::string(mode_name(mode));
  r.held_basis_points = held;
  r.decisions.push_back({now_ms, std::string(action), std::move(reason)});
  if (r.decisions.size() > kMaxDecisionsKept) r.decisions.erase(r.decisions.begin());
  return store_->save(records_);
}

void MigrationControl::tick(const Generation& g, int64_t now_ms, const std::function<void(const std::string&)>& note) {
  const plan::Plan& p = *g.plan;
  for (size_t i = 0; i < g.migrations.size(); ++i) {
    const plan::Migration& m = p.migrations()[i];
    const PreparedMigration& pm = g.migrations[i];
    MigrationRuntime& rt = *pm.runtime;
    MigrationRuntime::Snapshot now{now_ms, {rt.sides[0].snapshot(), rt.sides[1].snapshot()}};
    if (rt.history.empty() || now_ms - rt.history.back().at_ms >= kSnapshotEveryMs) rt.history.push_back(now);
    const int64_t window = m.has_rollback ? m.rollback_window_ms : 0;
    while (rt.history.size() > 1 && rt.history[1].at_ms <= now_ms - window) rt.history.pop_front();
    if (!m.has_rollback || rt.mode.load(std::memory_order_relaxed) != MigrationMode::Running) continue;
    if (rt.weight(pm, now_ms) == 0) continue;  // nothing has moved: nothing to judge
    const MigrationRuntime::Snapshot& from = rt.history.front();
    rt.last = migrations::evaluate(rule_of(m), now.sides[1].minus(from.sides[1]), now.sides[0].minus(from.sides[0]),
                                   now.sides[0]);
    if (!rt.last.rollback) continue;
    rt.rollbacks.fetch_add(1, std::memory_order_relaxed);
    std::string failed = decide(rt, MigrationMode::RolledBack, "rollback", "the rule held: " + rt.last.why, now_ms, 0);
    note("migration \"" + rt.name + "\" rolled back: " + rt.last.why + "; every request goes to " +
         std::string(p.str(p.upstreams()[m.from].name)) +
         (failed.empty() ? "" : "; the decision could not be recorded (" + failed + ")"));
  }
}

std::string MigrationControl::act(const Generation& g, std::string_view name, std::string_view action, int64_t now_ms) {
  const plan::Plan& p = *g.plan;
  for (size_t i = 0; i < g.migrations.size(); ++i) {
    if (p.str(p.migrations()[i].name) != name) continue;
    MigrationRuntime& rt = *g.migrations[i].runtime;
    const uint32_t share = rt.weight(g.migrations[i], now_ms);
    std::string failed;
    if (action == "pause")
      failed = decide(rt, MigrationMode::Paused, action, "asked through the admin API", now_ms, share);
    else if (action == "resume")
      failed = decide(rt, MigrationMode::Running, action, "asked through the admin API", now_ms, 0);
    else if (action == "rollback")
      failed = decide(rt, MigrationMode::RolledBack, action, "asked through the admin API", now_ms, 0);
    else if (action == "promote")
      failed = decide(rt, MigrationMode::Promoted, action, "asked through the admin API", now_ms, 0);
    else
      return "unknown action '" + std::string(action) + "': pause, resume, rollback or promote";
    return failed.empty() ? "" : "done, but not recorded: " + failed;
  }
  return "no migration named \"" + std::string(name) + "\" in the serving plan";
}

namespace {

// What a running migration is doing: waiting for its start, shadowing before its
// shift, shifting (a step with a duration in force), holding (a `hold` step, or a last
// step below 100%), or done (at 100% for good).
std::string_view state_of(const PreparedMigration& pm, int step, uint32_t share, int64_t now_ms) {
  if (now_ms < pm.begin_ms) return "waiting";
  if (pm.steps.empty())  // shadow only: until its timed shadow ends, or for ever
    return pm.shift_begin_ms > pm.begin_ms && now_ms >= pm.shift_begin_ms ? "done" : "shadowing";
  if (step < 0) return "shadowing";  // a timed shadow before the shift
  const migrations::Step& s = pm.steps[static_cast<size_t>(step)];
  const bool last = static_cast<size_t>(step) + 1 == pm.steps.size();
  if (last && share >= migrations::kBuckets) return "done";
  return s.hold || last ? "holding" : "shifting";
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string MigrationControl::json(const Generation& g, int64_t now_ms) const {
  const plan::Plan& p = *g.plan;
  std::string out = "{\"migrations\":[";
  for (size_t i = 0; i < g.migrations.size(); ++i) {
    const plan::Migration& m = p.migrations()[i];
    const PreparedMigration& pm = g.migrations[i];
    const MigrationRuntime& rt = *pm.runtime;
    const uint32_t share = rt.weight(pm, now_ms);
    auto next = migrations::moves_at(pm.steps, pm.shift_begin_ms, now_ms, share);  // when the share next grows
    out += i ? ",{" : "{";
    out += "\"name\":" + json_string(rt.name);
    out += ",\"from\":" + json_string(p.str(p.upstreams()[m.from].name));
    out += ",\"to\":" + json_string(p.str(p.upstreams()[m.to].name));
    const MigrationMode mode = rt.mode.load(std::memory_order_relaxed);
    const int step = migrations::step_at(pm.steps, pm.shift_begin_ms, now_ms);
    out += ",\"mode\":" + json_string(mode_name(mode));
    out += ",\"state\":" + json_string(mode != MigrationMode::Running ? mode_name(mode) : state_of(pm, step, share, now_ms));
    out += ",\"share_basis_points\":" + std::to_string(share);
    out += ",\"step\":" + std::to_string(step + 1) + ",\"steps\":" + std::to_string(pm.steps.size());
    out += ",\"start\":" + json_string(migrations::format_timestamp(pm.begin_ms));
    out += ",\"shift_begins\":" + json_string(migrations::format_timestamp(pm.shift_begin_ms));
    if (next && rt.mode.load(std::memory_order_relaxed) == MigrationMode::Running && share < migrations::kBuckets)
      out += ",\"next_step\":" + json_string(migrations::format_timestamp(*next));
    out += ",\"reason\":" + json_string(rt.reason);
    if (m.has_rollback) {
      out += ",\"rollback\":{\"decided\":" + std::string(rt.last.decided ? "true" : "false");
      out += ",\"holds\":" + std::string(rt.last.rollback ? "true" : "false");
      out += ",\"value\":" + number(rt.last.new_value) + ",\"limit\":" + number(rt.last.limit);
      out += ",\"last\":" + json_string(rt.last.why) + ",\"rollbacks\":" + std::to_string(rt.rollbacks.load()) + "}";
    }
    if (m.shadow_basis_points) {
      const ShadowCounters& sc = rt.shadow;
      out += ",\"shadow\":{\"share_basis_points\":" + std::to_string(m.shadow_basis_points) +
             ",\"sent\":" + std::to_string(sc.sent.load()) + ",\"compared\":" + std::to_string(sc.compared.load()) +
             ",\"matched\":" + std::to_string(sc.matched.load()) + ",\"status_mismatches\":" +
             std::to_string(sc.status_mismatches.load()) + ",\"header_mismatches\":" +
             std::to_string(sc.header_mismatches.load()) + ",\"body_mismatches\":" +
             std::to_string(sc.body_mismatches.load()) + ",\"failed\":" + std::to_string(sc.failed.load()) +
             ",\"dropped\":" + std::to_string(sc.dropped.load()) + ",\"skipped_body\":" +
             std::to_string(sc.skipped_body.load());
      if (m.compare & plan::kCompareJson) out += ",\"not_json\":" + std::to_string(sc.not_json.load());
      if (m.compare & plan::kCompareNoise)
        out += ",\"noise\":" + std::to_string(sc.noise.load()) + ",\"noise_failed\":" +
               std::to_string(sc.noise_failed.load()) + ",\"noise_fields\":" + rt.noise_json();
      out += "}";
    }
    for (int s = 0; s < 2; ++s) {
      migrations::SideCounts c = rt.sides[s].snapshot();
      out += s ? ",\"new\":{" : ",\"old\":{";
      out += "\"requests\":" + std::to_string(c.requests) + ",\"errors\":" + std::to_string(c.errors) +
             ",\"status_5xx\":" + std::to_string(c.status_5xx) + ",\"p50_us\":" +
             std::to_string(c.latency_quantile_us(0.5)) + ",\"p99_us\":" + std::to_string(c.latency_quantile_us(0.99)) +
             "}";
    }
    out += "}";
  }
  return out + "]}\n";
}

}  // namespace banyan::proxy

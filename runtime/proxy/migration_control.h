// Migrations at runtime. Each migration, by name, has counters per side of what its
// moved paths' exchanges did (written by the workers' outcome phase as relaxed
// atomics: no locks on the request path), a mode the split phase reads (running,
// paused at a share, rolled back, promoted to 100%), and a history the main thread
// keeps: every kEvaluateEveryMs it snapshots the counters, evaluates each rollback
// rule over its window (migrations/rollback.h), and acts on it for every worker at
// once. Decisions and effective starts go to the state store (state_store.h), so a
// restart resumes where the gateway was. A reload keeps all of it: runtimes live as
// long as the process, like the metrics' series.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "migrations/rollback.h"
#include "runtime/proxy/state_store.h"

namespace banyan::proxy {

struct Generation;
struct PreparedMigration;

// Rollback rules are evaluated this often (the main thread's timer).
inline constexpr int64_t kEvaluateEveryMs = 250;

struct SideCounters {
  std::atomic<uint64_t> requests{0}, errors{0}, status_5xx{0};
  std::array<std::atomic<uint64_t>, migrations::kLatencyBuckets> latency{};
  std::atomic<uint64_t> latency_us_sum{0};  // for /metrics' histogram

  // One exchange: `error` as rollback.h's error_rate counts it, `upstream_5xx` as
  // status_5xx_rate does.
  void record(bool error, bool upstream_5xx, uint64_t micros);
  migrations::SideCounts snapshot() const;
};

// Shadow traffic's counts (exchange/shadow.h).
struct ShadowCounters {
  std::atomic<uint64_t> sent{0}, compared{0}, matched{0}, failed{0};
  std::atomic<uint64_t> status_mismatches{0}, header_mismatches{0}, body_mismatches{0};
  std::atomic<uint64_t> dropped{0}, skipped_body{0};  // over the in-flight cap; a body over its budget
  std::atomic<uint64_t> not_json{0};  // with `json`: compared by digest, a body not JSON or over its budget
  std::atomic<uint64_t> noise{0}, noise_failed{0};  // with `noise`: fields left out; the second answer failed
  std::atomic<uint64_t> diff_write_errors{0};       // samples `[log] shadow_diffs` could not take
};

// The fields `noise` left out, by name, with how often (kNoiseFields names at most;
// the rest are counted together).
inline constexpr size_t kNoiseFields = 32;

// Mismatch samples kept per migration (GET /migrations/NAME/diffs), the newest.
inline constexpr size_t kDiffSamples = 32;

enum class MigrationMode : uint8_t { Running, Paused, RolledBack, Promoted };
std::string_view mode_name(MigrationMode m);  // "running", "paused", "rolled_back", "promoted"

struct MigrationRuntime {
  explicit MigrationRuntime(std::string n) : name(std::move(n)) {}

  const std::string name;
  int diffs_fd = -1;  // `[log] shadow_diffs`, owned by MigrationControl; -1: none
  std::array<SideCounters, 2> sides;  // [0] the old side, [1] the new one
  std::atomic<MigrationMode> mode{MigrationMode::Running};
  std::atomic<uint32_t> held_basis_points{0};  // the share a paused migration holds
  std::atomic<uint64_t> rollbacks{0};
  ShadowCounters shadow;

  // A mismatch's sample, a JSON object (a worker's, on a mismatch only: a lock is fine).
  void keep_diff(std::string json);
  std::string diffs_json() const;
  // The fields a comparison left out as noise (the same lock: only when there are any).
  void note_noise(const std::vector<std::string>& fields);
  std::string noise_json() const;  // {"NAME": count, ..., "(others)": count}

  // The new side's share now (basis points), as the split phase applies it.
  uint32_t weight(const PreparedMigration& pm, int64_t now_ms) const;

  // The main thread's: snapshots over the longest window, the last verdict, the reason
  // for the current mode.
  struct Snapshot {
    int64_t at_ms = 0;
    std::array<migrations::SideCounts, 2> sides;
  };
  std::deque<Snapshot> history;
  migrations::Verdict last;
  std::string reason;
  int64_t since_ms = 0;

 private:
  mutable std::mutex diffs_mutex_;
  std::deque<std::string> diffs_;
  std::vector<std::pair<std::string, uint64_t>> noise_;
  uint64_t noise_others_ = 0;
};

class MigrationControl {
 public:
  explicit MigrationControl(std::unique_ptr<StateStore> store);

  // At start (main thread): reads the store. "" or why it could not be read.
  std::string load();
  // For prepare_generation (main thread): a migration's runtime (created on first use,
  // in the mode the store recorded) and its effective start: the plan's `start`, else
  // the recorded one, else `now_ms`, which is then recorded.
  MigrationRuntime* runtime(std::string_view name);
  int64_t effective_start(std::string_view name, int64_t plan_start_ms, int64_t now_ms);

  // Every kEvaluateEveryMs on the main thread: snapshots and rollback rules.
  void tick(const Generation& g, int64_t now_ms, const std::function<void(const std::string&)>& note);
  // The admin's pause / resume / rollback / promote: "" when done, else why not.
  std::string act(const Generation& g, std::string_view name, std::string_view action, int64_t now_ms);
  // GET /migrations: each migration of `g`, its mode, share, step, rule and counts.
  std::string json(const Generation& g, int64_t now_ms) const;
  std::string store_where() const { return store_->where(); }
  // At start, before any plan: the file each mismatch sample is also appended to (owned).
  void set_diffs_fd(int fd);
  ~MigrationControl();

 private:
  std::string decide(MigrationRuntime& m, MigrationMode mode, std::string_view action, std::string reason,
                     int64_t now_ms, uint32_t held);

  std::unique_ptr<StateStore> store_;
  MigrationRecords records_;
  int diffs_fd_ = -1;
  std::deque<MigrationRuntime> runtimes_;  // a deque: pointers stay put as it grows
};

}  // namespace banyan::proxy

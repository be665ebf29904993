// Where a migration's progress outlives the process: its effective start (for one
// without `start`) and every decision taken on it (rolled back, paused, resumed,
// promoted), with the time and the reason. The gateway loads the records at start and
// saves them whole after each change, on the main thread only.
//
// What a store must guarantee, whatever holds it (this directory today; etcd for a
// fleet later, so that every replica acts on one decision):
//   - a save is atomic: a reader sees the old records or the new ones, never a mix;
//   - saves are ordered: a later decision is never overwritten by an earlier one;
//   - when the store cannot be read or written, the gateway keeps serving on the last
//     decision it knows, says so, and never resumes a rolled-back shift on its own.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace banyan::proxy {

struct MigrationDecision {
  int64_t at_ms = 0;       // Unix ms
  std::string action;      // "rollback", "pause", "resume", "promote"
  std::string reason;      // the rule that held, or who asked
};

struct MigrationRecord {
  int64_t start_ms = -1;          // the effective start; -1: not recorded
  std::string mode = "running";   // running, paused, rolled_back, promoted
  uint32_t held_basis_points = 0;  // the share a paused migration holds
  std::vector<MigrationDecision> decisions;
};

using MigrationRecords = std::map<std::string, MigrationRecord>;

class StateStore {
 public:
  virtual ~StateStore() = default;
  // The records, or empty ones with `error` set when they cannot be read.
  virtual MigrationRecords load(std::string& error) = 0;
  // "" when saved, else why not.
  virtual std::string save(const MigrationRecords& records) = 0;
  virtual std::string where() const = 0;  // for messages: "/var/lib/banyan/migrations.toml"
};

// The file `migrations.toml` in `dir`, written to a temporary file, flushed and renamed
// over; an empty `dir`: a store in memory (progress is lost on restart).
std::unique_ptr<StateStore> make_state_store(const std::string& dir);

// Decisions kept per migration in the store: the newest, older ones dropped.
inline constexpr size_t kMaxDecisionsKept = 100;

}  // namespace banyan::proxy

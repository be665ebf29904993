// The local-directory state store (state_store.h): TOML written by toml++, replaced
// atomically (write, fsync, rename, fsync the directory).
#include "runtime/proxy/state_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <toml++/toml.h>

namespace banyan::proxy {
namespace {

class MemoryStore final : public StateStore {
 public:
  MigrationRecords load(std::string&) override { return records_; }
  std::string save(const MigrationRecords& r) override {
    records_ = r;
    return {};
  }
  std::string where() const override { return "memory (no [state] dir)"; }

 private:
  MigrationRecords records_;
};

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

class DirectoryStore final : public StateStore {
 public:
  explicit DirectoryStore(std::string dir) : dir_(std::move(dir)), path_(dir_ + "/migrations.toml") {}

  MigrationRecords load(std::string& error) override {
    MigrationRecords out;
    if (::access(path_.c_str(), F_OK) != 0) return out;  // nothing recorded yet
    toml::table root;
    try {  // the main thread, at start: toml++ reports by exception, turned into the error here
      root = toml::parse_file(path_);
    } catch (const toml::parse_error& e) {
      std::ostringstream why;
      why << e.description() << " (line " << e.source().begin.line << ")";
      error = path_ + ": " + why.str();
      return out;
    }
    const toml::table* all = root["migrations"].as_table();
    if (!all) return out;
    for (auto&& [name, node] : *all) {
      const toml::table* t = node.as_table();
      if (!t) continue;
      MigrationRecord r;
      r.start_ms = (*t)["start_ms"].value_or<int64_t>(-1);
      r.mode = (*t)["mode"].value_or<std::string>("running");
      r.held_basis_points = static_cast<uint32_t>((*t)["held_basis_points"].value_or<int64_t>(0));
      if (const toml::array* ds = (*t)["decisions"].as_array()) {
        for (const toml::node& d : *ds) {
          const toml::table* dt = d.as_table();
          if (!dt) continue;
          r.decisions.push_back({(*dt)["at_ms"].value_or<int64_t>(0), (*dt)["action"].value_or<std::string>(""),
                                 (*dt)["reason"].value_or<std::string>("")});
        }
      }
      out[std::string(name.str())] = std::move(r);
    }
    return out;
  }

  std::string save(const MigrationRecords& records) override {
    toml::table all;
    for (const auto& [name, r] : records) {
      toml::array decisions;
      size_t first = r.decisions.size() > kMaxDecisionsKept ? r.decisions.size() - kMaxDecisionsKept : 0;
      for (size_t i = first; i < r.decisions.size(); ++i) {
        const MigrationDecision& d = r.decisions[i];
        decisions.push_back(toml::table{{"at_ms", d.at_ms}, {"action", d.action}, {"reason", d.reason}});
      }
      all.insert(name, toml::table{{"start_ms", r.start_ms},
                                   {"mode", r.mode},
                                   {"held_basis_points", static_cast<int64_t>(r.held_basis_points)},
                                   {"decisions", std::move(decisions)}});
    }
    std::ostringstream text;
    text << "# Written by banyan: each migration's effective start and the decisions taken on it.\n"
         << toml::table{{"migrations", std::move(all)}} << "\n";
    std::string tmp = path_ + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot write " + tmp + ": " + std::strerror(errno);
    bool ok = write_all(fd, text.str()) && ::fsync(fd) == 0;
    int saved = errno;
    ::close(fd);
    if (!ok) return "cannot write " + tmp + ": " + std::strerror(saved);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) return "cannot replace " + path_ + ": " + std::strerror(errno);
    if (int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
      (void)::fsync(dfd);  // the rename itself survives a crash
      ::close(dfd);
    }
    return {};
  }

  std::string where() const override { return path_; }

 private:
  std::string dir_, path_;
};

}  // namespace

std::unique_ptr<StateStore> make_state_store(const std::string& dir) {
  if (dir.empty()) return std::make_unique<MemoryStore>();
  return std::make_unique<DirectoryStore>(dir);
}

}  // namespace banyan::proxy

// What tells the gateway that its plan file changed: inotify (inotify(7)) on the file and
// on its directory. The directory's events catch a file replaced by rename (`banyanc
// compile -o`, most editors), created again after a delete, or swapped through a
// symlink beside it (a Kubernetes ConfigMap's `..data`); the file's own events (the
// inode the path names now, through symlinks) catch a write in place, wherever the
// file really lives. Events only say "look again": the gateway compares the file's
// stamp (gateway.cpp) before it reloads, so a spurious event costs one stat.
//
// Without inotify (its per-user limits reached, or no inotify at all) `ok()` is false
// and the gateway polls the file instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace banyan::proxy {

// How long the plan file must be quiet after an event before it is read: a file
// written in place comes as several events, and is read once, whole.
inline constexpr std::chrono::milliseconds kPlanSettle{200};
// The poll without inotify; a change is read once it has been still for a poll.
inline constexpr std::chrono::milliseconds kPlanPoll{1000};
// With inotify, a poll this often all the same: what inotify cannot see (a network
// file system changed from another machine) is found late, not never.
inline constexpr std::chrono::milliseconds kPlanBackstop{10'000};

// What a reload is decided on: the file's modification time, size and inode, through
// symlinks (size -1: there is no file).
struct FileStamp {
  int64_t mtime_ns = 0, size = -1, inode = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp stamp_of(const std::string& path);

class PlanWatch {
 public:
  explicit PlanWatch(const std::string& path);
  ~PlanWatch();
  PlanWatch(const PlanWatch&) = delete;
  PlanWatch& operator=(const PlanWatch&) = delete;

  bool ok() const { return fd_ >= 0; }
  // The inotify descriptor (non-blocking), readable when an event is queued; the
  // caller waits on it and owns nothing (the watch closes it).
  int fd() const { return fd_; }
  // Why there is no watch (when !ok()).
  const std::string& error() const { return error_; }
  // Reads every queued event; true if there was one. Then watches the inode the path
  // names now (a rename or a symlink swap put another one there).
  bool drain();

 private:
  void watch_file();

  std::string path_;
  std::string error_;
  int fd_ = -1;
  int file_wd_ = -1;
};

}  // namespace banyan::proxy

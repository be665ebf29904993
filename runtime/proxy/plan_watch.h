// What tells the gateway that its plan changed on disk: inotify (inotify(7)) on the
// plan file, on the routes files it `include`s when it is a routes file, and on their
// directories. A directory's events (names that come or go, not writes) catch a file
// replaced by rename (`banyanc compile -o`, most editors), created again after a
// delete, or swapped through a symlink beside it (a Kubernetes ConfigMap's `..data`);
// a file's own events (the inode its path names now, through symlinks) catch a write
// in place, wherever the file really lives. Events only say "look again": the gateway
// compares the files' stamps (gateway.cpp) before it reloads, so a spurious event
// costs a stat per file.
//
// Without inotify (its per-user limits reached, or no inotify at all) `ok()` is false
// and the gateway polls the files instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace banyan::proxy {

// How long the watched files must be quiet after an event before they are read: a file
// written in place comes as several events, and is read once, whole.
inline constexpr std::chrono::milliseconds kPlanSettle{200};
// The poll without inotify; a change is read once it has been still for a poll.
inline constexpr std::chrono::milliseconds kPlanPoll{1000};
// With inotify, a poll this often all the same: what inotify cannot see (a network
// file system changed from another machine) is found late, not never.
inline constexpr std::chrono::milliseconds kPlanBackstop{10'000};

// What a reload is decided on: a file's modification time, size and inode, through
// symlinks (size -1: there is no file).
struct FileStamp {
  int64_t mtime_ns = 0, size = -1, inode = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp stamp_of(const std::string& path);
std::vector<FileStamp> stamps_of(const std::vector<std::string>& paths);

class PlanWatch {
 public:
  PlanWatch();
  ~PlanWatch();
  PlanWatch(const PlanWatch&) = delete;
  PlanWatch& operator=(const PlanWatch&) = delete;

  bool ok() const { return fd_ >= 0; }
  // The inotify descriptor (non-blocking), readable when an event is queued; the
  // caller waits on it and owns nothing (the watch closes it).
  int fd() const { return fd_; }
  // Why there is no watch (when !ok()).
  const std::string& error() const { return error_; }
  // Watches these files (and their directories) instead of the ones before.
  void watch(const std::vector<std::string>& paths);
  // Reads every queued event; true if one was about a watched file. Then watches the
  // inodes the paths name now (a rename or a symlink swap put others there).
  bool drain();

 private:
  void watch_files();

  std::string error_;
  int fd_ = -1;
  std::vector<std::string> paths_;
  std::vector<int> file_wds_;  // per path; -1 while the file is missing
  std::vector<int> dirs_;      // the directories' watch descriptors
};

}  // namespace banyan::proxy

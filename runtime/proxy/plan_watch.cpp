// The plan's inotify watch (plan_watch.h).
#include "runtime/proxy/plan_watch.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace banyan::proxy {
namespace {

// In a directory: a name came or went (rename, create, delete, a symlink swapped).
// Not writes: those are the files' own watches', and a log written beside the plan
// would wake the gateway for each of its writes.
constexpr uint32_t kDirEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
// On a file itself: written (in place, by any path), touched, moved or deleted.
constexpr uint32_t kFileEvents = IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF;

// A path's directory ("." for a bare name).
std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

FileStamp stamp_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, st.st_size,
          static_cast<int64_t>(st.st_ino)};
}

std::vector<FileStamp> stamps_of(const std::vector<std::string>& paths) {
  std::vector<FileStamp> out;
  out.reserve(paths.size());
  for (const std::string& p : paths) out.push_back(stamp_of(p));
  return out;
}

PlanWatch::PlanWatch() {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) error_ = std::string("inotify_init1: ") + std::strerror(errno);
}

PlanWatch::~PlanWatch() {
  if (fd_ >= 0) ::close(fd_);
}

void PlanWatch::watch(const std::vector<std::string>& paths) {
  if (fd_ < 0) return;
  // The old watches go first: a file or directory watched again gets a new descriptor,
  // and the old one's removal notice (IN_IGNORED) then names nothing watched.
  for (int wd : file_wds_)
    if (wd >= 0) ::inotify_rm_watch(fd_, wd);
  for (int wd : dirs_) ::inotify_rm_watch(fd_, wd);
  paths_ = paths;
  file_wds_.assign(paths.size(), -1);
  dirs_.clear();
  for (const std::string& p : paths) {
    const std::string dir = directory_of(p);
    const int wd = ::inotify_add_watch(fd_, dir.c_str(), kDirEvents | IN_ONLYDIR);
    if (wd < 0) continue;  // a directory that is not there: the poll
    if (std::find(dirs_.begin(), dirs_.end(), wd) == dirs_.end()) dirs_.push_back(wd);
  }
  watch_files();
}

void PlanWatch::watch_files() {
  // The inode each path names now (through symlinks): the same inode keeps its watch
  // descriptor, another one gets a new one and the old watch goes. A missing file has
  // none: its directory's watch sees it come back.
  for (size_t i = 0; i < paths_.size(); ++i) {
    const int wd = ::inotify_add_watch(fd_, paths_[i].c_str(), kFileEvents);
    const int old = file_wds_[i];
    file_wds_[i] = wd;
    if (old >= 0 && old != wd && std::find(file_wds_.begin(), file_wds_.end(), old) == file_wds_.end())
      ::inotify_rm_watch(fd_, old);
  }
}

bool PlanWatch::drain() {
  if (fd_ < 0) return false;
  alignas(inotify_event) char buf[4096];
  bool relevant = false;
  while (true) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: nothing more queued
    for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      if ((e->mask & IN_Q_OVERFLOW) || std::find(file_wds_.begin(), file_wds_.end(), e->wd) != file_wds_.end()) {
        relevant = true;
        continue;
      }
      // A name came or went in a watched directory: a watched file replaced, a
      // Kubernetes ConfigMap's `..data` swapped, or a file a routes file will include
      // created. Rare (a log written beside the plan makes none, until it is rotated).
      if (std::find(dirs_.begin(), dirs_.end(), e->wd) != dirs_.end()) relevant = true;
    }
  }
  if (relevant) watch_files();
  return relevant;
}

}  // namespace banyan::proxy

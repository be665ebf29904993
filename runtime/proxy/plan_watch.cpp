// The plan file's inotify watch (plan_watch.h).
#include "runtime/proxy/plan_watch.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace banyan::proxy {
namespace {

// In the directory: a name came or went (rename, create, delete, a symlink swapped).
// Not writes: those are the file watch's, and a log written beside the plan would
// wake the gateway for each of its writes.
constexpr uint32_t kDirEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
// On the file itself: written (in place, by any path), touched, moved or deleted.
constexpr uint32_t kFileEvents = IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF;

}  // namespace

FileStamp stamp_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, st.st_size,
          static_cast<int64_t>(st.st_ino)};
}

PlanWatch::PlanWatch(const std::string& path) : path_(path) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    error_ = std::string("inotify_init1: ") + std::strerror(errno);
    return;
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::inotify_add_watch(fd_, dir.c_str(), kDirEvents | IN_ONLYDIR) < 0) {
    error_ = "inotify_add_watch " + dir + ": " + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return;
  }
  watch_file();
}

PlanWatch::~PlanWatch() {
  if (fd_ >= 0) ::close(fd_);
}

void PlanWatch::watch_file() {
  // The inode the path names now (through symlinks); the same inode keeps its watch
  // descriptor, another one gets a new one and the old watch goes. A missing file has
  // none: the directory's watch sees it come back.
  const int wd = ::inotify_add_watch(fd_, path_.c_str(), kFileEvents);
  if (file_wd_ >= 0 && wd != file_wd_) ::inotify_rm_watch(fd_, file_wd_);
  file_wd_ = wd;
}

bool PlanWatch::drain() {
  if (fd_ < 0) return false;
  const size_t slash = path_.rfind('/');
  const std::string_view name = slash == std::string::npos ? std::string_view(path_) : std::string_view(path_).substr(slash + 1);
  alignas(inotify_event) char buf[4096];
  bool relevant = false;
  while (true) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: nothing more queued
    for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      if (e->wd == file_wd_ || (e->mask & IN_Q_OVERFLOW)) {
        relevant = true;
        continue;
      }
      // The directory's event names a file: this one, or a Kubernetes ConfigMap's
      // `..data` symlink (and its `..2026_...` targets) that the path goes through.
      // Other files of the directory (a log written beside the plan) are not looked at.
      const std::string_view child = e->len ? std::string_view(e->name) : std::string_view();
      if (child == name || child.starts_with("..")) relevant = true;
    }
  }
  if (relevant) watch_file();
  return relevant;
}

}  // namespace banyan::proxy

// `git show REV:PATH` through fork and exec (no shell, so a path is never a command),
// its output read up to the caller's budget.
#include "compiler/source/git_file_reader.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace banyan::source {

std::optional<std::string> GitFileReader::read(const std::string& path, size_t max_bytes, std::string& error) {
  std::string object = revision_ + ":" + path;
  int out[2];
  if (pipe(out) != 0) {
    error = "cannot start git";
    return std::nullopt;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    error = "cannot start git";
    return std::nullopt;
  }
  if (pid == 0) {
    dup2(out[1], 1);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2);
    close(out[0]);
    close(out[1]);
    const char* argv[] = {"git", "show", "--no-textconv", object.c_str(), nullptr};
    execvp("git", const_cast<char* const*>(argv));
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[65536];
  bool over = false;
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!over) text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      text.resize(max_bytes + 1);  // the caller says "too large"; drain the rest
      over = true;
    }
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "git is not installed"
                                                             : "git has no '" + object + "' (git show failed)";
    return std::nullopt;
  }
  return text;
}

std::string GitFileReader::canonical(const std::string& path) {
  return revision_ + ":" + std::filesystem::path(path).lexically_normal().string();
}

bool split_git_spec(const std::string& spec, std::string& revision, std::string& path) {
  size_t colon = spec.find(':');
  if (colon == 0 || colon == std::string::npos || colon + 1 == spec.size()) return false;
  if (spec[0] == '-') return false;  // never an option to git
  std::error_code ec;
  if (std::filesystem::exists(spec, ec)) return false;
  revision = spec.substr(0, colon);
  path = spec.substr(colon + 1);
  return true;
}

}  // namespace banyan::source

#include "tests/support/test_files.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "compiler/source/file_reader.h"

namespace banyan::test {

std::string source_dir() { return BANYAN_SOURCE_DIR; }

std::vector<std::string> files_under(const std::string& dir, const std::string& ext) {
  std::vector<std::string> out;
  std::filesystem::path root = std::filesystem::path(source_dir()) / dir;
  if (!std::filesystem::exists(root)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().string().size() > ext.size() &&
        e.path().string().compare(e.path().string().size() - ext.size(), ext.size(), ext) == 0)
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

bool updating_golden() {
  const char* v = std::getenv("UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

namespace {

// Files from memory by name; any other file from disk, a relative path from tests/fixtures/.
class FixtureReader : public source::FileReader {
 public:
  explicit FixtureReader(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  std::optional<std::string> read(const std::string& path, size_t max_bytes, std::string& error) override {
    if (auto it = files_.find(path); it != files_.end()) return it->second.substr(0, max_bytes + 1);
    std::filesystem::path p(path);
    if (p.is_relative()) p = std::filesystem::path(source_dir()) / "tests/fixtures" / p;
    return disk_.read(p.string(), max_bytes, error);
  }
  std::string canonical(const std::string& path) override { return path; }

 private:
  std::map<std::string, std::string> files_;
  source::DiskFileReader disk_;
};

}  // namespace

void check_text(Checked& out, const std::string& name, const std::string& text, const CheckOptions& options) {
  check_files(out, name, {{name, text}}, options);
}

void check_files(Checked& out, const std::string& root, const std::map<std::string, std::string>& files,
                 const CheckOptions& options) {
  FixtureReader reader(files);
  out.result = check_file(root, out.sm, out.sink, reader, options);
}

void check_disk_file(Checked& out, const std::string& path, const CheckOptions& options) {
  source::DiskFileReader reader;
  out.result = check_file(path, out.sm, out.sink, reader, options);
}

std::optional<int64_t> parse_utc(const std::string& text) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &s, &tail);
  if (n != 3 && !(n == 7 && tail == 'Z')) return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{mo}, day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  return static_cast<int64_t>(sys_days{ymd}.time_since_epoch().count()) * 86400 + h * 3600 + mi * 60 + s;
}

}  // namespace banyan::test

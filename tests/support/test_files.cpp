#include "tests/support/test_files.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

void check_text(Checked& out, const std::string& name, const std::string& text) {
  source::MemoryFileReader reader;
  reader.add(name, text);
  out.result = check_file(name, out.sm, out.sink, reader);
}

namespace {
class OverlayReader : public source::FileReader {
 public:
  OverlayReader(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {}
  std::optional<std::string> read(const std::string& path, size_t max_bytes, std::string& error) override {
    if (path == path_) return text_;
    return disk_.read(path, max_bytes, error);
  }
  std::string canonical(const std::string& path) override { return path == path_ ? path : disk_.canonical(path); }

 private:
  std::string path_, text_;
  source::DiskFileReader disk_;
};
}  // namespace

void check_text_at(Checked& out, const std::string& path, const std::string& text) {
  OverlayReader reader(path, text);
  out.result = check_file(path, out.sm, out.sink, reader);
}

std::vector<std::pair<int, std::string>> routes_blocks(const std::string& markdown) {
  std::vector<std::pair<int, std::string>> out;
  int line = 0, start = 0;
  bool inside = false;
  std::string block;
  size_t pos = 0;
  while (pos < markdown.size()) {
    size_t end = markdown.find('\n', pos);
    if (end == std::string::npos) end = markdown.size();
    std::string l = markdown.substr(pos, end - pos);
    ++line;
    if (!inside && l == "```routes") {
      inside = true, start = line + 1, block.clear();
    } else if (inside && l == "```") {
      inside = false;
      out.emplace_back(start, block);
    } else if (inside) {
      block += l + "\n";
    }
    pos = end + 1;
  }
  return out;
}

void check_disk_file(Checked& out, const std::string& path) {
  source::DiskFileReader reader;
  out.result = check_file(path, out.sm, out.sink, reader);
}

}  // namespace banyan::test

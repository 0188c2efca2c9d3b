#include "input_files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace handtrack::cli {
namespace {

namespace fs = std::filesystem;

bool HasImageExtension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".jpg" || extension == ".jpeg" || extension == ".png";
}

}  // namespace

InputList ExpandInputs(const std::vector<std::string>& arguments) {
  InputList inputs;
  for (const std::string& argument : arguments) {
    std::error_code error;
    if (!fs::is_directory(argument, error)) {
      inputs.files.push_back(argument);
      continue;
    }
    std::vector<std::string> names;
    for (fs::directory_iterator it(argument, error), end; !error && it != end; it.increment(error)) {
      std::error_code type_error;
      if (HasImageExtension(it->path()) && !it->is_directory(type_error)) {
        names.push_back(it->path().filename().string());
      }
    }
    if (error) {
      inputs.problems.push_back("failed to list " + argument + ": " + error.message());
      continue;
    }
    if (names.empty()) {
      inputs.problems.push_back("failed to find images in " + argument + ": no .jpg, .jpeg or .png files");
      continue;
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) inputs.files.push_back((fs::path(argument) / name).string());
  }
  return inputs;
}

}  // namespace handtrack::cli

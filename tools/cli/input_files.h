// Turning the IMAGE_OR_DIR arguments of `handtrack detect` into a list of files.
#pragma once

#include <string>
#include <vector>

namespace handtrack::cli {

struct InputList {
  std::vector<std::string> files;     // in processing order
  std::vector<std::string> problems;  // one line per argument that gave no file at all
};

// A directory expands to its .jpg/.jpeg/.png files (any case), sorted by name, not
// recursing; as "DIR/NAME". Anything else is kept as given: files are sniffed by
// content when read, and a missing path becomes that file's error.
InputList ExpandInputs(const std::vector<std::string>& arguments);

}  // namespace handtrack::cli

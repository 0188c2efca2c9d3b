// A program outside handtrack's build that uses an installed handtrack through its public API
// (include/handtrack) only: it lists the backends and, given a .tflite model, runs it once on
// zeros and prints the output shapes. Built by CMakeLists.txt (find_package) or the Makefile
// (pkg-config); scripts/test.sh runs both against `cmake --install`.
//
//   consumer [MODEL.tflite]
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "handtrack/models.h"

namespace {

std::string ShapeString(const std::vector<int>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    std::fprintf(stderr, "usage: %s [MODEL.tflite]\n", argv[0]);
    return 2;
  }
  for (const handtrack::BackendInfo& backend : handtrack::ListBackends()) {
    std::printf("backend %s: %s\n", backend.name.c_str(), backend.available ? "available" : "unavailable");
  }
  if (argc < 2) return 0;

  const std::string path = argv[1];
  handtrack::Result<std::unique_ptr<handtrack::ModelRunner>> created =
      handtrack::ModelRunner::Create(path, handtrack::ModelRunner::Options{});
  if (!created.ok()) {
    std::fprintf(stderr, "consumer: %s\n", created.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<handtrack::ModelRunner> runner = std::move(created).value();
  for (int i = 0; i < runner->num_inputs(); ++i) {
    for (float& value : runner->input(i)) value = 0.0f;
  }
  if (handtrack::Status status = runner->Run(); !status.ok()) {
    std::fprintf(stderr, "consumer: %s\n", status.ToString().c_str());
    return 1;
  }
  for (int i = 0; i < runner->num_outputs(); ++i) {
    std::printf("output %d: %s\n", i, ShapeString(runner->output_shape(i)).c_str());
  }
  return 0;
}

// libFuzzer target: arbitrary bytes through the .tflite reader must give a
// Graph or an error, never a crash, hang or out-of-bounds read.
#include <cstddef>
#include <cstdint>

#include "model/tflite_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto graph = handtrack::model::ReadTflite({data, size}, "fuzz");
  if (graph.ok()) {
    // A verified graph must also pass every per-node check again.
    for (int i = 0; i < static_cast<int>(graph->nodes.size()); ++i) (void)handtrack::model::ValidateNode(*graph, i);
  }
  return 0;
}

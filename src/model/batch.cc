#include "model/batch.h"

#include <string>
#include <vector>

#include "model/tflite_reader.h"

namespace handtrack::model {

Result<Graph> WithBatch(const Graph& graph, int n) {
  if (n < 1 || n > kMaxBatch) {
    return InvalidArgumentError("batch " + std::to_string(n) + " is out of range [1, " +
                                std::to_string(kMaxBatch) + "]");
  }
  Graph out = graph;
  if (n == 1) return out;
  for (int index : graph.inputs) {
    const Tensor& t = graph.tensors[index];
    if (t.shape.empty() || t.shape[0] != 1) {
      return InvalidArgumentError("cannot batch model " + graph.name + ": input '" + t.name +
                                  "' has no leading batch dimension of 1");
    }
  }
  std::vector<bool> batched(out.tensors.size(), false);
  for (size_t i = 0; i < out.tensors.size(); ++i) {
    Tensor& t = out.tensors[i];
    if (t.is_constant || t.shape.empty() || t.shape[0] != 1) continue;
    t.shape[0] = n;
    batched[i] = true;
  }
  for (Node& node : out.nodes) {
    if (node.op != OpType::kReshape || node.inputs.size() < 2 || node.inputs[1] < 0) continue;
    if (!batched[node.outputs[0]]) continue;
    const Tensor& original = graph.tensors[node.inputs[1]];
    if (original.type != DataType::kInt32 || !original.is_constant || original.i32.empty() ||
        original.i32[0] != 1) {
      continue;
    }
    // The operand may be shared by several RESHAPEs; give this node its own copy
    // unless it is already rewritten.
    Tensor shape = original;
    shape.i32[0] = n;
    shape.name = original.name + "/batch" + std::to_string(n);
    node.inputs[1] = static_cast<int>(out.tensors.size());
    out.tensors.push_back(std::move(shape));
    batched.push_back(false);
  }
  for (int i = 0; i < static_cast<int>(out.nodes.size()); ++i) {
    if (const Status valid = ValidateNode(out, i); !valid.ok()) {
      return InvalidArgumentError("cannot run model " + graph.name + " at batch " + std::to_string(n) + ": " +
                                  valid.message());
    }
  }
  return out;
}

}  // namespace handtrack::model

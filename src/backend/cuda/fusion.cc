#include "backend/cuda/fusion.h"

#include <algorithm>

namespace handtrack::backend::cuda {
namespace {

// How many nodes of the whole graph read each tensor (a node reading a
// tensor twice counts twice, which only makes folding more careful).
std::vector<int> ReaderCounts(const model::Graph& graph) {
  std::vector<int> readers(graph.tensors.size(), 0);
  for (const model::Node& node : graph.nodes) {
    for (int tensor : node.inputs) {
      if (tensor >= 0) ++readers[tensor];
    }
  }
  return readers;
}

// spec.nodes, except that a node taking an epilogue whose output only a later ADD reads moves
// to just before that ADD (see fusion.h). Moving a node later keeps the order valid: its inputs
// are computed before its old place, and no node in between reads its output.
std::vector<int> StepOrder(const model::Graph& graph, const SegmentSpec& spec,
                           const std::vector<int>& readers, TakesEpilogueFn takes_epilogue) {
  const std::vector<int>& nodes = spec.nodes;
  std::vector<int> moved_before(nodes.size(), -1);  // per position: the node moved to just before it
  std::vector<bool> moved(nodes.size(), false);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const model::Node& node = graph.nodes[nodes[i]];
    if (!takes_epilogue(node.op) || node.op == model::OpType::kAdd || node.outputs.size() != 1) continue;
    const int output = node.outputs[0];
    if (readers[output] != 1 ||
        std::find(spec.outputs.begin(), spec.outputs.end(), output) != spec.outputs.end()) {
      continue;
    }
    for (size_t j = i + 2; j < nodes.size(); ++j) {
      const model::Node& reader = graph.nodes[nodes[j]];
      if (std::find(reader.inputs.begin(), reader.inputs.end(), output) == reader.inputs.end()) continue;
      if (reader.op == model::OpType::kAdd && moved_before[j] < 0 &&
          (reader.inputs[0] == output) != (reader.inputs[1] == output)) {
        moved_before[j] = nodes[i];
        moved[i] = true;
      }
      break;
    }
  }
  std::vector<int> order;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (moved_before[i] >= 0) order.push_back(moved_before[i]);
    if (!moved[i]) order.push_back(nodes[i]);
  }
  return order;
}

}  // namespace

std::vector<Step> PlanSteps(const model::Graph& graph, const SegmentSpec& spec, bool fuse,
                            TakesEpilogueFn takes_epilogue, bool move_to_add) {
  const std::vector<int> readers = ReaderCounts(graph);
  // A tensor may stay inside a step when only the next node reads it and the host never sees it.
  auto private_to_next_node = [&](int tensor) {
    return readers[tensor] == 1 &&
           std::find(spec.outputs.begin(), spec.outputs.end(), tensor) == spec.outputs.end();
  };
  const std::vector<int> nodes =
      fuse && move_to_add ? StepOrder(graph, spec, readers, takes_epilogue) : spec.nodes;
  std::vector<Step> steps;
  for (size_t i = 0; i < nodes.size(); ++i) {
    Step step;
    step.node = nodes[i];
    step.output = graph.nodes[step.node].outputs[0];
    if (fuse && takes_epilogue(graph.nodes[step.node].op)) {
      // An ADD first (not into an ADD: its epilogue holds one), then a PRELU.
      if (i + 1 < nodes.size() && graph.nodes[step.node].op != model::OpType::kAdd) {
        const model::Node& next = graph.nodes[nodes[i + 1]];
        if (next.op == model::OpType::kAdd && private_to_next_node(step.output) &&
            (next.inputs[0] == step.output) != (next.inputs[1] == step.output)) {
          step.add = nodes[++i];
          step.add_residual = next.inputs[0] == step.output ? next.inputs[1] : next.inputs[0];
          step.output = next.outputs[0];
        }
      }
      if (i + 1 < nodes.size()) {
        const model::Node& next = graph.nodes[nodes[i + 1]];
        if (next.op == model::OpType::kPRelu && next.inputs[0] == step.output &&
            private_to_next_node(step.output)) {
          step.prelu = nodes[++i];
          step.output = next.outputs[0];
        }
      }
    }
    steps.push_back(step);
  }
  return steps;
}

std::vector<int> StepNodes(const Step& step) {
  std::vector<int> nodes = {step.node};
  if (step.add >= 0) nodes.push_back(step.add);
  if (step.prelu >= 0) nodes.push_back(step.prelu);
  return nodes;
}

}  // namespace handtrack::backend::cuda

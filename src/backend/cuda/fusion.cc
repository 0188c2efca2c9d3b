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

}  // namespace

std::vector<Step> PlanSteps(const model::Graph& graph, const SegmentSpec& spec, bool fuse,
                            TakesEpilogueFn takes_epilogue) {
  const std::vector<int> readers = ReaderCounts(graph);
  // A tensor may stay inside a step when only the next node reads it and the host never sees it.
  auto private_to_next_node = [&](int tensor) {
    return readers[tensor] == 1 &&
           std::find(spec.outputs.begin(), spec.outputs.end(), tensor) == spec.outputs.end();
  };
  std::vector<Step> steps;
  for (size_t i = 0; i < spec.nodes.size(); ++i) {
    Step step;
    step.node = spec.nodes[i];
    step.output = graph.nodes[step.node].outputs[0];
    if (fuse && takes_epilogue(graph.nodes[step.node].op)) {
      // An ADD first (not into an ADD: its epilogue holds one), then a PRELU.
      if (i + 1 < spec.nodes.size() && graph.nodes[step.node].op != model::OpType::kAdd) {
        const model::Node& next = graph.nodes[spec.nodes[i + 1]];
        if (next.op == model::OpType::kAdd && private_to_next_node(step.output) &&
            (next.inputs[0] == step.output) != (next.inputs[1] == step.output)) {
          step.add = spec.nodes[++i];
          step.add_residual = next.inputs[0] == step.output ? next.inputs[1] : next.inputs[0];
          step.output = next.outputs[0];
        }
      }
      if (i + 1 < spec.nodes.size()) {
        const model::Node& next = graph.nodes[spec.nodes[i + 1]];
        if (next.op == model::OpType::kPRelu && next.inputs[0] == step.output &&
            private_to_next_node(step.output)) {
          step.prelu = spec.nodes[++i];
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

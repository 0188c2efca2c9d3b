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

// Whether `tensor` is read by exactly one node and is not a segment output.
bool ReadOnlyByOneNode(const SegmentSpec& spec, const std::vector<int>& readers, int tensor) {
  return readers[tensor] == 1 &&
         std::find(spec.outputs.begin(), spec.outputs.end(), tensor) == spec.outputs.end();
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
    if (!ReadOnlyByOneNode(spec, readers, output)) continue;
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

// Whether `node` is a MAX_POOL that an epilogue can compute (Epilogue::pooled_input): a 2x2
// window at stride 2 that covers its input exactly (no padding), no activation, channels a
// multiple of 8 (the tensor-core epilogue reads them 8 at a time).
bool FoldablePool(const model::Graph& graph, const model::Node& node) {
  if (node.op != model::OpType::kMaxPool2D || node.inputs.size() != 1 || node.outputs.size() != 1)
    return false;
  const model::NodeParams& p = node.params;
  const std::vector<int>& in = graph.tensors[node.inputs[0]].shape;
  const std::vector<int>& out = graph.tensors[node.outputs[0]].shape;
  return p.filter_h == 2 && p.filter_w == 2 && p.stride_h == 2 && p.stride_w == 2 &&
         p.activation == model::Activation::kNone && in.size() == 4 && out.size() == 4 && in[0] == out[0] &&
         in[1] == 2 * out[1] && in[2] == 2 * out[2] && in[3] == out[3] && in[3] % 8 == 0;
}

// Whether `node` is a PAD that only adds zero channels after the last one.
bool FoldableChannelPad(const model::Graph& graph, const model::Node& node) {
  if (node.op != model::OpType::kPad || node.inputs.size() != 2 || node.outputs.size() != 1) return false;
  const std::vector<int32_t>& paddings = graph.tensors[node.inputs[1]].i32;
  if (graph.tensors[node.inputs[0]].shape.size() != 4 || paddings.size() != 8) return false;
  for (int i = 0; i < 7; ++i) {
    if (paddings[i] != 0) return false;
  }
  return paddings[7] >= 0;
}

// Folds each ADD operand computed by MAX_POOL -> PAD (or a MAX_POOL alone) into the step of the
// ADD (see fusion.h): the pool and pad steps go, the step reads the pool's input. Only where the
// tensors in between have no other reader, and the step's node is a CONV_2D (whose kernels all
// apply the pooled epilogue).
void FoldPooledResiduals(const model::Graph& graph, const SegmentSpec& spec, const std::vector<int>& readers,
                         std::vector<Step>& steps) {
  std::vector<int> step_of_node(graph.nodes.size(), -1);
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].add < 0 && steps[i].prelu < 0) step_of_node[steps[i].node] = static_cast<int>(i);
  }
  // The node producing each tensor, among the single-node steps.
  std::vector<int> producer(graph.tensors.size(), -1);
  for (size_t node = 0; node < graph.nodes.size(); ++node) {
    if (step_of_node[node] < 0) continue;
    for (int tensor : graph.nodes[node].outputs) producer[tensor] = static_cast<int>(node);
  }
  std::vector<bool> removed(steps.size(), false);
  for (Step& step : steps) {
    if (step.add < 0 || graph.nodes[step.node].op != model::OpType::kConv2D) continue;
    if (!ReadOnlyByOneNode(spec, readers, step.add_residual)) continue;
    int pad = -1, pool = producer[step.add_residual];
    if (pool >= 0 && graph.nodes[pool].op == model::OpType::kPad) {
      if (!FoldableChannelPad(graph, graph.nodes[pool])) continue;
      pad = pool;
      const int pooled = graph.nodes[pad].inputs[0];
      if (!ReadOnlyByOneNode(spec, readers, pooled)) continue;
      pool = producer[pooled];
    }
    if (pool < 0 || !FoldablePool(graph, graph.nodes[pool])) continue;
    step.residual_pool = pool;
    step.residual_pad = pad;
    step.add_residual = graph.nodes[pool].inputs[0];
    removed[step_of_node[pool]] = true;
    if (pad >= 0) removed[step_of_node[pad]] = true;
  }
  size_t kept = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!removed[i]) steps[kept++] = steps[i];
  }
  steps.resize(kept);
}

}  // namespace

std::vector<Step> PlanSteps(const model::Graph& graph, const SegmentSpec& spec, bool fuse,
                            TakesEpilogueFn takes_epilogue, bool move_to_add, bool fold_pooled_residual) {
  const std::vector<int> readers = ReaderCounts(graph);
  // A tensor may stay inside a step when only the next node reads it and the host never sees it.
  auto private_to_next_node = [&](int tensor) { return ReadOnlyByOneNode(spec, readers, tensor); };
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
  if (fuse && fold_pooled_residual) FoldPooledResiduals(graph, spec, readers, steps);
  return steps;
}

std::vector<int> StepNodes(const Step& step) {
  std::vector<int> nodes;
  if (step.residual_pool >= 0) nodes.push_back(step.residual_pool);
  if (step.residual_pad >= 0) nodes.push_back(step.residual_pad);
  nodes.push_back(step.node);
  if (step.add >= 0) nodes.push_back(step.add);
  if (step.prelu >= 0) nodes.push_back(step.prelu);
  return nodes;
}

}  // namespace handtrack::backend::cuda

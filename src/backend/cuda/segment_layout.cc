#include "backend/cuda/segment_layout.h"

#include <algorithm>

#include "backend/arena_plan.h"

namespace handtrack::backend::cuda {
namespace {

int64_t AlignUp(int64_t value) {
  return (value + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

int64_t TensorBytes(const model::Tensor& tensor) {
  return tensor.num_elements() * static_cast<int64_t>(sizeof(float));
}

}  // namespace

SegmentLayout PlanSegmentLayout(const model::Graph& graph, const SegmentSpec& spec,
                                std::span<const Step> steps, std::span<const int64_t> scratch_bytes) {
  const int num_tensors = static_cast<int>(graph.tensors.size());
  const int num_steps = static_cast<int>(steps.size());
  SegmentLayout layout;
  layout.arena_offsets.assign(num_tensors, -1);
  layout.weight_offsets.assign(num_tensors, -1);
  layout.scratch_offsets.assign(num_steps, -1);

  constexpr int kNotInArena = -2;
  std::vector<int> first_step(num_tensors, kNotInArena), last_step(num_tensors, kNotInArena);
  for (int tensor : spec.inputs) first_step[tensor] = last_step[tensor] = -1;
  for (int step = 0; step < num_steps; ++step) {
    const std::vector<int> nodes = StepNodes(steps[step]);
    std::vector<int> inside;  // tensors passed between the step's nodes, never stored
    for (size_t i = 0; i + 1 < nodes.size(); ++i) inside.push_back(graph.nodes[nodes[i]].outputs[0]);
    for (int node : nodes) {
      for (int tensor : graph.nodes[node].inputs) {
        if (tensor < 0 || std::find(inside.begin(), inside.end(), tensor) != inside.end()) continue;
        const model::Tensor& t = graph.tensors[tensor];
        if (!t.is_constant) {
          last_step[tensor] = step;
        } else if (t.type == model::DataType::kFloat32 && layout.weight_offsets[tensor] < 0) {
          layout.weight_offsets[tensor] = layout.weight_bytes;
          layout.weight_bytes += AlignUp(TensorBytes(t));
        }
      }
    }
    const int output = steps[step].output;
    if (first_step[output] == kNotInArena) first_step[output] = step;
    last_step[output] = std::max(last_step[output], step);
  }
  for (int tensor : spec.outputs) last_step[tensor] = num_steps;

  // The arena's buffers: activations, then scratch (owner -1 - step).
  std::vector<BufferLifetime> lifetimes;
  std::vector<int> owner;  // tensor index, or -1 - step for scratch
  for (int tensor = 0; tensor < num_tensors; ++tensor) {
    if (first_step[tensor] == kNotInArena) continue;
    lifetimes.push_back({TensorBytes(graph.tensors[tensor]), first_step[tensor], last_step[tensor]});
    owner.push_back(tensor);
  }
  for (int step = 0; step < num_steps && step < static_cast<int>(scratch_bytes.size()); ++step) {
    if (scratch_bytes[step] <= 0) continue;
    lifetimes.push_back({scratch_bytes[step], step, step});
    owner.push_back(-1 - step);
  }
  const ArenaPlan plan = PlanArena(lifetimes, kBufferAlignment);
  layout.arena_bytes = plan.total_bytes;
  for (size_t buffer = 0; buffer < lifetimes.size(); ++buffer) {
    if (owner[buffer] >= 0) {
      layout.arena_offsets[owner[buffer]] = plan.offsets[buffer];
    } else {
      layout.scratch_offsets[-1 - owner[buffer]] = plan.offsets[buffer];
    }
  }

  // `slack` bytes after each tensor: outputs keep a host buffer's readable slack, so that the
  // interpreter can use their staging as the tensors' host buffers (OutputHostBuffer).
  auto stage = [&](const std::vector<int>& tensors, int64_t slack, std::vector<StagedTensor>& staged) {
    for (int tensor : tensors) {
      const int64_t bytes = TensorBytes(graph.tensors[tensor]);
      staged.push_back({tensor, layout.staging_bytes, bytes});
      layout.staging_bytes += AlignUp(bytes + slack);
    }
  };
  stage(spec.inputs, 0, layout.inputs);
  stage(spec.outputs, static_cast<int64_t>(kHostBufferSlackFloats * sizeof(float)), layout.outputs);
  return layout;
}

}  // namespace handtrack::backend::cuda

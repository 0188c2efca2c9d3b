#include "backend/cuda/ops.h"

#include "backend/op_table.h"

namespace handtrack::backend::cuda {
namespace {

using model::OpType;

// The ops the CUDA backend runs: {op, {supports, scratch_bytes, enqueue, takes_epilogue}}.
constexpr OpRow<OpEntry> kRows[] = {
    {OpType::kAdd, {nullptr, nullptr, EnqueueAdd, true}},
    {OpType::kAveragePool2D, {nullptr, nullptr, EnqueueAveragePool2D, false}},
    {OpType::kConcatenation, {nullptr, nullptr, EnqueueConcatenation, false}},
    {OpType::kConv2D, {nullptr, Conv2DScratchBytes, EnqueueConv2D, true}},
    {OpType::kDepthwiseConv2D, {nullptr, nullptr, EnqueueDepthwiseConv2D, false}},
    {OpType::kFullyConnected, {nullptr, FullyConnectedScratchBytes, EnqueueFullyConnected, true}},
    {OpType::kLogistic, {nullptr, nullptr, EnqueueLogistic, false}},
    {OpType::kMaxPool2D, {nullptr, nullptr, EnqueueMaxPool2D, false}},
    {OpType::kMean, {nullptr, nullptr, EnqueueMean, false}},
    {OpType::kPad, {SupportsPad, nullptr, EnqueuePad, false}},
    {OpType::kPRelu, {nullptr, nullptr, EnqueuePRelu, false}},
    {OpType::kRelu, {nullptr, nullptr, EnqueueRelu, false}},
    {OpType::kRelu6, {nullptr, nullptr, EnqueueRelu6, false}},
    {OpType::kReshape, {nullptr, nullptr, EnqueueReshape, false}},
    {OpType::kResizeBilinear, {nullptr, nullptr, EnqueueResizeBilinear, false}},
};
constexpr OpTable<OpEntry> kOps = MakeOpTable(kRows);

}  // namespace

const OpEntry* FindOp(model::OpType op) { return kOps.Find(op); }

bool TakesEpilogue(model::OpType op) {
  const OpEntry* entry = FindOp(op);
  return entry != nullptr && entry->takes_epilogue;
}

}  // namespace handtrack::backend::cuda

#include "backend/xnnpack/ops.h"

#include "backend/op_table.h"

namespace handtrack::backend::xnnpack {
namespace {

using model::OpType;

// The ops XNNPACK lowers; an op without a row stays with another backend.
constexpr OpRow<OpEntry> kRows[] = {
    {OpType::kAdd, {&SupportsAdd, &DefineAdd}},
    {OpType::kAveragePool2D, {&SupportsAveragePool2D, &DefineAveragePool2D}},
    {OpType::kConcatenation, {&SupportsConcatenation, &DefineConcatenation}},
    {OpType::kConv2D, {&SupportsConv2D, &DefineConv2D}},
    {OpType::kDepthwiseConv2D, {&SupportsDepthwiseConv2D, &DefineDepthwiseConv2D}},
    {OpType::kFullyConnected, {&SupportsFullyConnected, &DefineFullyConnected}},
    {OpType::kLogistic, {&SupportsLogistic, &DefineLogistic}},
    {OpType::kMaxPool2D, {&SupportsMaxPool2D, &DefineMaxPool2D}},
    {OpType::kMean, {&SupportsMean, &DefineMean}},
    {OpType::kPad, {&SupportsPad, &DefinePad}},
    {OpType::kPRelu, {&SupportsPRelu, &DefinePRelu}},
    {OpType::kRelu, {&SupportsRelu, &DefineRelu}},
    {OpType::kRelu6, {&SupportsRelu6, &DefineRelu6}},
    {OpType::kReshape, {&SupportsReshape, &DefineReshape}},
    {OpType::kResizeBilinear, {&SupportsResizeBilinear, &DefineResizeBilinear}},
};
constexpr OpTable<OpEntry> kOps = MakeOpTable(kRows);

}  // namespace

const OpEntry* FindOp(model::OpType op) { return kOps.Find(op); }

}  // namespace handtrack::backend::xnnpack

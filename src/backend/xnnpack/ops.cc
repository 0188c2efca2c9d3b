#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {
namespace {

#define HANDTRACK_XNNPACK_OP_ENTRY(op, name, fn) {model::OpType::op, name, &Supports##fn, &Define##fn},
constexpr OpEntry kOps[] = {HANDTRACK_XNNPACK_OPS(HANDTRACK_XNNPACK_OP_ENTRY)};
#undef HANDTRACK_XNNPACK_OP_ENTRY

}  // namespace

const OpEntry* FindOp(model::OpType op) {
  for (const OpEntry& entry : kOps) {
    if (entry.op == op) return &entry;
  }
  return nullptr;
}

}  // namespace handtrack::backend::xnnpack

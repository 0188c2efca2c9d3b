// The element-wise shader shared by ADD, PRELU, LOGISTIC, RELU, RELU6 and
// RESHAPE (a copy): one thread per output element.
#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {
namespace {

// P: 1 a, 2 b, 3 out, 4 mode, 5 low, 6 high, 7 b's length (PRELU's alpha
// repeats along the innermost axis), 8 a is a weight, 9 b is a weight.
constexpr char kElementwiseShader[] = R"wgsl(
fn load(offset: u32, from_weights: u32, k: u32) -> f32 {
  if (from_weights != 0u) { return f32(wts[offset + k]); }
  return f32(act[offset + k]);
}
fn run(i: u32) {
  let mode = P(4u);
  let a = load(P(1u), P(8u), i);
  var v = a;
  if (mode == 0u) {
    v = a + load(P(2u), P(9u), i);
  } else if (mode == 1u) {
    let alpha = load(P(2u), P(9u), i % P(7u));
    v = select(a * alpha, a, a >= 0.0);
  } else if (mode == 2u) {
    v = 1.0 / (1.0 + exp(-a));
  }
  act[P(3u) + i] = S(clamp(v, PF(5u), PF(6u)));
}
)wgsl";

}  // namespace

void EmitElementwise(Program& program, ElementwiseMode mode, int a, int b, int out,
                     model::Activation activation) {
  const model::Graph& graph = program.graph();
  program.Shader("elementwise", kElementwiseShader);
  const uint32_t b_offset = b >= 0 ? OffsetOf(program, b) : 0;
  const uint32_t b_length = b >= 0 ? static_cast<uint32_t>(graph.tensors[b].num_elements()) : 1;
  program.Dispatch("elementwise", graph.tensors[out].num_elements(),
                   {0, OffsetOf(program, a), b_offset, program.Act(out), static_cast<uint32_t>(mode),
                    ActivationLow(activation), ActivationHigh(activation), b_length, IsConstant(program, a),
                    b >= 0 ? IsConstant(program, b) : 0u});
}

}  // namespace handtrack::backend::webgpu

// What CONV_2D, DEPTHWISE_CONV_2D and the pools share: the 2D window with
// TFLite's explicit paddings (never XNN_FLAG_TENSORFLOW_SAME_PADDING, so the
// odd extra pixel lands bottom/right exactly as TFLite puts it), and the bias.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/xnnpack/build_context.h"
#include "backend/xnnpack/op_util.h"

namespace handtrack::backend::xnnpack {

struct Window2D {
  AxisWindow height;
  AxisWindow width;
};

// The window of a node's params (stride, dilation, padding) with a
// filter_h x filter_w filter over an NHWC `input`; Unsupported when the
// attributes are out of range or the filter does not fit.
Result<Window2D> ConvWindow(const model::Node& node, const std::vector<int>& input, int filter_h,
                            int filter_w);

// The same for pools, whose window size is in the params and never dilated.
Result<Window2D> PoolWindow(const model::Node& node, const std::vector<int>& input);

// The checks MAX_POOL_2D and AVERAGE_POOL_2D share: one NHWC input, the
// window, the output shape.
Status CheckPool(const model::Graph& graph, const model::Node& node);

// The optional bias input (slot 2) is absent or a constant [channels].
Status CheckBias(const model::Graph& graph, const model::Node& node, int channels);

// The bias value, or a static zero bias when the node has none (XNNPACK
// 2022-02's convolution requires one).
Result<uint32_t> BiasValue(BuildContext& context, const model::Node& node, int channels);

}  // namespace handtrack::backend::xnnpack

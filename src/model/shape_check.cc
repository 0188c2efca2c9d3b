// Per-op shape rules: after these checks a kernel may index its tensors
// without further bounds checks.
#include <string>

#include "model/tflite_reader.h"

namespace handtrack::model {
namespace {

std::string ShapeString(const std::vector<int>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

class NodeChecker {
 public:
  NodeChecker(const Graph& graph, int node_index)
      : graph_(graph), node_(graph.nodes[node_index]), label_(NodeLabel(graph, node_index)) {}

  Status Fail(const std::string& reason) const {
    return InvalidModelError("failed to validate " + label_ + " of model " + graph_.name + ": " + reason);
  }

  Status Arity(size_t min_inputs, size_t max_inputs, size_t outputs) const {
    if (node_.inputs.size() < min_inputs || node_.inputs.size() > max_inputs ||
        node_.outputs.size() != outputs) {
      return Fail("has " + std::to_string(node_.inputs.size()) + " inputs and " +
                  std::to_string(node_.outputs.size()) + " outputs");
    }
    for (size_t i = 0; i < min_inputs; ++i) {
      if (node_.inputs[i] < 0) return Fail("required input " + std::to_string(i) + " is absent");
    }
    return Status::Ok();
  }

  const Tensor* Input(size_t i) const {
    return i < node_.inputs.size() && node_.inputs[i] >= 0 ? &graph_.tensors[node_.inputs[i]] : nullptr;
  }
  const Tensor& Output() const { return graph_.tensors[node_.outputs[0]]; }

  Status Float(const Tensor& t) const {
    return t.type == DataType::kFloat32 ? Status::Ok() : Fail("tensor '" + t.name + "' must be float32");
  }
  Status ConstInt32(const Tensor& t, int64_t elements) const {
    if (t.type != DataType::kInt32 || !t.is_constant || t.num_elements() != elements) {
      return Fail("tensor '" + t.name + "' must be a constant int32 tensor of " + std::to_string(elements) +
                  " elements");
    }
    return Status::Ok();
  }
  Status ConstFloat(const Tensor& t) const {
    if (t.type != DataType::kFloat32 || !t.is_constant) {
      return Fail("tensor '" + t.name +
                  "' must be a constant float32 tensor (dynamic weights are not supported)");
    }
    return Status::Ok();
  }
  Status Rank(const Tensor& t, size_t rank) const {
    return t.shape.size() == rank ? Status::Ok()
                                  : Fail("tensor '" + t.name + "' has shape " + ShapeString(t.shape) +
                                         ", rank " + std::to_string(rank) + " expected");
  }
  Status OutputShape(const std::vector<int>& expected) const {
    if (Output().shape != expected) {
      return Fail("output '" + Output().name + "' has shape " + ShapeString(Output().shape) + ", expected " +
                  ShapeString(expected));
    }
    return Status::Ok();
  }

  // Output size of a windowed op along one axis, as TFLite computes it.
  static int WindowOutput(int in, int filter, int stride, int dilation, Padding padding) {
    const int effective = (filter - 1) * dilation + 1;
    return padding == Padding::kSame ? (in + stride - 1) / stride : (in - effective + stride) / stride;
  }

  Status Windowed(int kh, int kw, int out_channels) const {
    const Tensor& in = *Input(0);
    HT_RETURN_IF_ERROR(Rank(in, 4));
    const NodeParams& p = node_.params;
    const int oh = WindowOutput(in.shape[1], kh, p.stride_h, p.dilation_h, p.padding);
    const int ow = WindowOutput(in.shape[2], kw, p.stride_w, p.dilation_w, p.padding);
    if (oh < 1 || ow < 1) return Fail("window is larger than the input");
    return OutputShape({in.shape[0], oh, ow, out_channels});
  }

  Status Bias(size_t index, int channels) const {
    const Tensor* bias = Input(index);
    if (bias == nullptr) return Status::Ok();
    HT_RETURN_IF_ERROR(ConstFloat(*bias));
    if (bias->num_elements() != channels)
      return Fail("bias '" + bias->name + "' does not match the channels");
    return Status::Ok();
  }

  Status Check() const {
    const NodeParams& p = node_.params;
    switch (node_.op) {
      case OpType::kConv2D: {
        HT_RETURN_IF_ERROR(Arity(2, 3, 1));
        const Tensor& in = *Input(0);
        const Tensor& filter = *Input(1);
        HT_RETURN_IF_ERROR(Float(in));
        HT_RETURN_IF_ERROR(ConstFloat(filter));
        HT_RETURN_IF_ERROR(Rank(in, 4));
        HT_RETURN_IF_ERROR(Rank(filter, 4));
        if (filter.shape[3] != in.shape[3]) return Fail("filter channels do not match the input's");
        HT_RETURN_IF_ERROR(Bias(2, filter.shape[0]));
        return Windowed(filter.shape[1], filter.shape[2], filter.shape[0]);
      }
      case OpType::kDepthwiseConv2D: {
        HT_RETURN_IF_ERROR(Arity(2, 3, 1));
        const Tensor& in = *Input(0);
        const Tensor& filter = *Input(1);
        HT_RETURN_IF_ERROR(Float(in));
        HT_RETURN_IF_ERROR(ConstFloat(filter));
        HT_RETURN_IF_ERROR(Rank(in, 4));
        HT_RETURN_IF_ERROR(Rank(filter, 4));
        if (filter.shape[0] != 1 || filter.shape[3] != in.shape[3] * p.depth_multiplier) {
          return Fail("filter shape " + ShapeString(filter.shape) + " does not match the input channels");
        }
        HT_RETURN_IF_ERROR(Bias(2, filter.shape[3]));
        return Windowed(filter.shape[1], filter.shape[2], filter.shape[3]);
      }
      case OpType::kMaxPool2D:
      case OpType::kAveragePool2D:
        HT_RETURN_IF_ERROR(Arity(1, 1, 1));
        HT_RETURN_IF_ERROR(Float(*Input(0)));
        HT_RETURN_IF_ERROR(Rank(*Input(0), 4));
        return Windowed(p.filter_h, p.filter_w, Input(0)->shape[3]);
      case OpType::kAdd: {
        HT_RETURN_IF_ERROR(Arity(2, 2, 1));
        const Tensor& a = *Input(0);
        const Tensor& b = *Input(1);
        HT_RETURN_IF_ERROR(Float(a));
        HT_RETURN_IF_ERROR(Float(b));
        if (a.shape != b.shape) return Fail("inputs of different shapes (broadcasting is not supported)");
        return OutputShape(a.shape);
      }
      case OpType::kPRelu: {
        HT_RETURN_IF_ERROR(Arity(2, 2, 1));
        const Tensor& in = *Input(0);
        const Tensor& alpha = *Input(1);
        HT_RETURN_IF_ERROR(Float(in));
        HT_RETURN_IF_ERROR(ConstFloat(alpha));
        if (in.shape.empty() || alpha.num_elements() != in.shape.back() || alpha.shape.empty() ||
            alpha.shape.back() != in.shape.back()) {
          return Fail("alpha '" + alpha.name + "' is not per channel");
        }
        return OutputShape(in.shape);
      }
      case OpType::kLogistic:
      case OpType::kRelu:
      case OpType::kRelu6:
        HT_RETURN_IF_ERROR(Arity(1, 1, 1));
        HT_RETURN_IF_ERROR(Float(*Input(0)));
        return OutputShape(Input(0)->shape);
      case OpType::kPad: {
        HT_RETURN_IF_ERROR(Arity(2, 2, 1));
        const Tensor& in = *Input(0);
        HT_RETURN_IF_ERROR(Float(in));
        const int64_t rank = static_cast<int64_t>(in.shape.size());
        HT_RETURN_IF_ERROR(ConstInt32(*Input(1), 2 * rank));
        std::vector<int> expected = in.shape;
        for (int64_t d = 0; d < rank; ++d) {
          const int32_t before = Input(1)->i32[2 * d];
          const int32_t after = Input(1)->i32[2 * d + 1];
          if (before < 0 || after < 0 || before > 65536 || after > 65536)
            return Fail("padding is out of range");
          expected[d] += before + after;
        }
        return OutputShape(expected);
      }
      case OpType::kResizeBilinear: {
        HT_RETURN_IF_ERROR(Arity(2, 2, 1));
        const Tensor& in = *Input(0);
        HT_RETURN_IF_ERROR(Float(in));
        HT_RETURN_IF_ERROR(Rank(in, 4));
        HT_RETURN_IF_ERROR(ConstInt32(*Input(1), 2));
        if (p.align_corners && p.half_pixel_centers)
          return Fail("align_corners and half_pixel_centers both set");
        return OutputShape({in.shape[0], Input(1)->i32[0], Input(1)->i32[1], in.shape[3]});
      }
      case OpType::kReshape: {
        HT_RETURN_IF_ERROR(Arity(1, 2, 1));
        HT_RETURN_IF_ERROR(Float(*Input(0)));
        if (Input(0)->num_elements() != Output().num_elements()) {
          return Fail("reshape from " + ShapeString(Input(0)->shape) + " to " + ShapeString(Output().shape) +
                      " changes the element count");
        }
        return Status::Ok();
      }
      case OpType::kConcatenation: {
        if (node_.inputs.empty() || node_.outputs.size() != 1) return Fail("needs inputs and one output");
        HT_RETURN_IF_ERROR(Arity(node_.inputs.size(), node_.inputs.size(), 1));
        const Tensor& first = *Input(0);
        const int rank = static_cast<int>(first.shape.size());
        if (p.axis < -rank || p.axis >= rank)
          return Fail("axis " + std::to_string(p.axis) + " is out of range");
        const int axis = p.axis < 0 ? p.axis + rank : p.axis;
        std::vector<int> expected = first.shape;
        expected[axis] = 0;
        for (size_t i = 0; i < node_.inputs.size(); ++i) {
          const Tensor& t = *Input(i);
          HT_RETURN_IF_ERROR(Float(t));
          if (t.shape.size() != first.shape.size()) return Fail("inputs of different ranks");
          for (int d = 0; d < rank; ++d) {
            if (d != axis && t.shape[d] != first.shape[d]) return Fail("inputs differ outside the axis");
          }
          expected[axis] += t.shape[axis];
        }
        return OutputShape(expected);
      }
      case OpType::kMean: {
        HT_RETURN_IF_ERROR(Arity(2, 2, 1));
        const Tensor& in = *Input(0);
        HT_RETURN_IF_ERROR(Float(in));
        HT_RETURN_IF_ERROR(Rank(in, 4));
        HT_RETURN_IF_ERROR(ConstInt32(*Input(1), 2));
        const auto& axes = Input(1)->i32;
        if (!((axes[0] == 1 && axes[1] == 2) || (axes[0] == 2 && axes[1] == 1))) {
          return Fail("only a MEAN over the height and width axes is supported");
        }
        if (p.keep_dims) return OutputShape({in.shape[0], 1, 1, in.shape[3]});
        return OutputShape({in.shape[0], in.shape[3]});
      }
      case OpType::kFullyConnected: {
        HT_RETURN_IF_ERROR(Arity(2, 3, 1));
        const Tensor& in = *Input(0);
        const Tensor& weights = *Input(1);
        HT_RETURN_IF_ERROR(Float(in));
        HT_RETURN_IF_ERROR(ConstFloat(weights));
        HT_RETURN_IF_ERROR(Rank(weights, 2));
        const int in_features = weights.shape[1];
        if (in.num_elements() % in_features != 0)
          return Fail("input size is not a multiple of the weights' width");
        HT_RETURN_IF_ERROR(Bias(2, weights.shape[0]));
        const int batch = static_cast<int>(in.num_elements() / in_features);
        if (p.keep_num_dims) {
          std::vector<int> expected = in.shape;
          expected.back() = weights.shape[0];
          return OutputShape(expected);
        }
        return OutputShape({batch, weights.shape[0]});
      }
    }
    return Fail("unknown op");
  }

 private:
  const Graph& graph_;
  const Node& node_;
  std::string label_;
};

}  // namespace

Status ValidateNode(const Graph& graph, int node_index) {
  if (node_index < 0 || node_index >= static_cast<int>(graph.nodes.size())) {
    return InvalidArgumentError("failed to validate node " + std::to_string(node_index) + ": out of range");
  }
  return NodeChecker(graph, node_index).Check();
}

}  // namespace handtrack::model

#include "model/tflite_reader.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "model/flatbuffer.h"

namespace handtrack::model {
namespace {

// Field ids of tensorflow/lite/schema/schema.fbs (schema version 3).
namespace field {
constexpr int kModelVersion = 0, kModelOperatorCodes = 1, kModelSubgraphs = 2, kModelBuffers = 4;
constexpr int kOpCodeDeprecatedBuiltin = 0, kOpCodeBuiltin = 3;
constexpr int kSubgraphTensors = 0, kSubgraphInputs = 1, kSubgraphOutputs = 2, kSubgraphOperators = 3;
constexpr int kTensorShape = 0, kTensorType = 1, kTensorBuffer = 2, kTensorName = 3, kTensorSparsity = 6;
constexpr int kOperatorOpcode = 0, kOperatorInputs = 1, kOperatorOutputs = 2, kOperatorOptionsType = 3,
              kOperatorOptions = 4;
constexpr int kBufferData = 0, kBufferOffset = 1, kBufferSize = 2;
}  // namespace field

// TFLite enums.
constexpr int kTfliteFloat32 = 0, kTfliteFloat16 = 1, kTfliteInt32 = 2;
constexpr int kBuiltinDequantize = 6;

// BuiltinOptions union members used by the supported ops.
enum OptionsType : uint8_t {
  kNoOptions = 0,
  kConv2DOptions = 1,
  kDepthwiseConv2DOptions = 2,
  kPool2DOptions = 5,
  kFullyConnectedOptions = 8,
  kConcatenationOptions = 10,
  kAddOptions = 11,
  kResizeBilinearOptions = 15,
  kReshapeOptions = 17,
  kPadOptions = 22,
  kReducerOptions = 27,
};

constexpr int64_t kMaxTensorElements = int64_t{1} << 28;
constexpr int kMaxRank = 6;

struct OpInfo {
  int builtin;
  OpType op;
  uint8_t options_type;
};
// Derived from the one op list (model/op_list.h).
constexpr OpInfo kSupportedOps[] = {
#define HANDTRACK_OP_INFO(name, tflite_name, builtin, options) {builtin, OpType::k##name, k##options},
    HANDTRACK_OP_LIST(HANDTRACK_OP_INFO)
#undef HANDTRACK_OP_INFO
};
static_assert(std::size(kSupportedOps) == kNumOpTypes);

Status Invalid(const std::string& model, const std::string& what, const std::string& reason) {
  return InvalidModelError("failed to read " + what + " of model " + model + ": " + reason);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x400u) == 0);
    bits = sign | ((112 - e) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

Activation ToActivation(int8_t code, bool* ok) {
  switch (code) {
    case 0:
      return Activation::kNone;
    case 1:
      return Activation::kRelu;
    case 2:
      return Activation::kReluN1To1;
    case 3:
      return Activation::kRelu6;
    default:
      *ok = false;
      return Activation::kNone;
  }
}

class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, std::string name) : buf_(bytes), name_(std::move(name)) {}

  Result<Graph> Read() {
    HT_ASSIGN_OR_RETURN(FlatTable root, buf_.Root());
    HT_ASSIGN_OR_RETURN(uint32_t version, root.Scalar<uint32_t>(field::kModelVersion, 0, "schema version"));
    if (version != 3)
      return Invalid(name_, "schema version", "version " + std::to_string(version) + " is not 3");
    HT_RETURN_IF_ERROR(ReadOperatorCodes(root));
    HT_RETURN_IF_ERROR(ReadBuffers(root));
    HT_ASSIGN_OR_RETURN(FlatVector subgraphs, root.Vector(field::kModelSubgraphs, 4, "subgraph list"));
    if (subgraphs.count != 1) {
      return UnsupportedError("failed to load model " + name_ + ": it has " +
                              std::to_string(subgraphs.count) +
                              " subgraphs, only single-subgraph models are supported");
    }
    HT_ASSIGN_OR_RETURN(FlatTable subgraph, root.TableInVector(subgraphs, 0, "subgraph 0"));
    graph_.name = name_;
    HT_RETURN_IF_ERROR(ReadTensors(subgraph));
    HT_ASSIGN_OR_RETURN(graph_.inputs,
                        ReadIndexList(subgraph, field::kSubgraphInputs, "subgraph inputs", false));
    HT_ASSIGN_OR_RETURN(graph_.outputs,
                        ReadIndexList(subgraph, field::kSubgraphOutputs, "subgraph outputs", false));
    HT_RETURN_IF_ERROR(ReadOperators(subgraph));
    HT_RETURN_IF_ERROR(CheckGraphStructure(graph_));  // first: it may reorder the nodes CheckDataflow walks
    HT_RETURN_IF_ERROR(CheckDataflow());
    for (int i = 0; i < static_cast<int>(graph_.nodes.size()); ++i)
      HT_RETURN_IF_ERROR(ValidateNode(graph_, i));
    return std::move(graph_);
  }

 private:
  Status ReadOperatorCodes(const FlatTable& root) {
    HT_ASSIGN_OR_RETURN(FlatVector codes, root.Vector(field::kModelOperatorCodes, 4, "operator codes"));
    for (uint32_t i = 0; i < codes.count; ++i) {
      HT_ASSIGN_OR_RETURN(FlatTable code, root.TableInVector(codes, i, "operator code"));
      HT_ASSIGN_OR_RETURN(int8_t deprecated,
                          code.Scalar<int8_t>(field::kOpCodeDeprecatedBuiltin, 0, "operator code"));
      HT_ASSIGN_OR_RETURN(int32_t builtin, code.Scalar<int32_t>(field::kOpCodeBuiltin, 0, "operator code"));
      // Newer files store the code in builtin_code; older ones only in the deprecated byte.
      op_codes_.push_back(std::max<int32_t>(deprecated, builtin));
    }
    return Status::Ok();
  }

  Status ReadBuffers(const FlatTable& root) {
    HT_ASSIGN_OR_RETURN(FlatVector buffers, root.Vector(field::kModelBuffers, 4, "buffer list"));
    for (uint32_t i = 0; i < buffers.count; ++i) {
      const std::string what = "buffer " + std::to_string(i);
      HT_ASSIGN_OR_RETURN(FlatTable buffer, root.TableInVector(buffers, i, what));
      HT_ASSIGN_OR_RETURN(FlatVector data, buffer.Vector(field::kBufferData, 1, what));
      std::span<const uint8_t> bytes;
      if (data.present) {
        bytes = {buf_.data() + data.pos, data.count};
      } else {
        // Large models keep buffer data after the FlatBuffer, addressed by offset and size.
        HT_ASSIGN_OR_RETURN(uint64_t offset, buffer.Scalar<uint64_t>(field::kBufferOffset, 0, what));
        HT_ASSIGN_OR_RETURN(uint64_t size, buffer.Scalar<uint64_t>(field::kBufferSize, 0, what));
        if (offset > 1 && size > 0) {
          if (!buf_.InRange(offset, size)) return Invalid(name_, what, "external data lies outside the file");
          bytes = {buf_.data() + offset, static_cast<size_t>(size)};
        }
      }
      buffers_.push_back(bytes);
    }
    return Status::Ok();
  }

  Result<std::vector<int>> ReadIndexList(const FlatTable& table, int id, const std::string& what,
                                         bool allow_absent) {
    HT_ASSIGN_OR_RETURN(FlatVector v, table.Vector(id, 4, what));
    std::vector<int> out;
    out.reserve(v.count);
    for (uint32_t i = 0; i < v.count; ++i) {
      const int32_t index = buf_.Load<int32_t>(v.pos + 4ull * i);
      if (index == -1 && allow_absent) {
        out.push_back(-1);
        continue;
      }
      if (index < 0 || index >= static_cast<int>(graph_.tensors.size())) {
        return Invalid(name_, what,
                       "tensor index " + std::to_string(index) + " is out of range (" +
                           std::to_string(graph_.tensors.size()) + " tensors)");
      }
      out.push_back(index);
    }
    return out;
  }

  Status ReadTensors(const FlatTable& subgraph) {
    HT_ASSIGN_OR_RETURN(FlatVector tensors, subgraph.Vector(field::kSubgraphTensors, 4, "tensor list"));
    raw_types_.resize(tensors.count);
    fp16_data_.resize(tensors.count);
    for (uint32_t i = 0; i < tensors.count; ++i) {
      const std::string what = "tensor " + std::to_string(i);
      HT_ASSIGN_OR_RETURN(FlatTable t, subgraph.TableInVector(tensors, i, what));
      Tensor tensor;
      HT_ASSIGN_OR_RETURN(tensor.name, t.String(field::kTensorName, what));
      const std::string label = what + " '" + tensor.name + "'";
      HT_ASSIGN_OR_RETURN(FlatVector shape, t.Vector(field::kTensorShape, 4, label));
      if (shape.count > kMaxRank)
        return Invalid(name_, label, "rank " + std::to_string(shape.count) + " exceeds 6");
      int64_t elements = 1;
      for (uint32_t d = 0; d < shape.count; ++d) {
        const int32_t dim = buf_.Load<int32_t>(shape.pos + 4ull * d);
        if (dim < 1)
          return Invalid(name_, label, "dimension " + std::to_string(dim) + " is not a static size >= 1");
        elements *= dim;
        if (elements > kMaxTensorElements) return Invalid(name_, label, "has more than 2^28 elements");
        tensor.shape.push_back(dim);
      }
      if (t.HasField(field::kTensorSparsity)) {
        return UnsupportedError("failed to load model " + name_ + ": " + label +
                                " is sparse, which is not supported");
      }
      HT_ASSIGN_OR_RETURN(int8_t type, t.Scalar<int8_t>(field::kTensorType, 0, label));
      HT_ASSIGN_OR_RETURN(uint32_t buffer, t.Scalar<uint32_t>(field::kTensorBuffer, 0, label));
      if (buffer >= buffers_.size()) {
        return Invalid(name_, label, "buffer index " + std::to_string(buffer) + " is out of range");
      }
      raw_types_[i] = type;
      const std::span<const uint8_t> data = buffers_[buffer];
      tensor.is_constant = !data.empty();
      const size_t element_size = type == kTfliteFloat16 ? 2 : 4;
      if (type != kTfliteFloat32 && type != kTfliteFloat16 && type != kTfliteInt32) {
        return UnsupportedError("failed to load model " + name_ + ": " + label + " has tensor type " +
                                std::to_string(type) + "; only float32, float16 and int32 are supported");
      }
      if (tensor.is_constant && data.size() != static_cast<size_t>(elements) * element_size) {
        return Invalid(name_, label,
                       "holds " + std::to_string(data.size()) + " bytes of data, its shape needs " +
                           std::to_string(elements * element_size));
      }
      if (type == kTfliteInt32) {
        tensor.type = DataType::kInt32;
        if (!tensor.is_constant) {
          return UnsupportedError("failed to load model " + name_ + ": " + label +
                                  " is a non-constant int32 tensor, which is not supported");
        }
        tensor.i32.resize(elements);
        std::memcpy(tensor.i32.data(), data.data(), data.size());
      } else if (type == kTfliteFloat32 && tensor.is_constant) {
        tensor.f32.resize(elements);
        std::memcpy(tensor.f32.data(), data.data(), data.size());
      } else if (type == kTfliteFloat16) {
        if (!tensor.is_constant) {
          return UnsupportedError("failed to load model " + name_ + ": " + label +
                                  " is a non-constant float16 tensor, which is not supported");
        }
        fp16_data_[i] = data;  // converted when its DEQUANTIZE is folded
      }
      graph_.tensors.push_back(std::move(tensor));
    }
    return Status::Ok();
  }

  Status ReadOperators(const FlatTable& subgraph) {
    HT_ASSIGN_OR_RETURN(FlatVector ops, subgraph.Vector(field::kSubgraphOperators, 4, "operator list"));
    for (uint32_t i = 0; i < ops.count; ++i) {
      const std::string what = "operator #" + std::to_string(i);
      HT_ASSIGN_OR_RETURN(FlatTable op, subgraph.TableInVector(ops, i, what));
      HT_ASSIGN_OR_RETURN(uint32_t opcode_index, op.Scalar<uint32_t>(field::kOperatorOpcode, 0, what));
      if (opcode_index >= op_codes_.size()) {
        return Invalid(name_, what, "opcode index " + std::to_string(opcode_index) + " is out of range");
      }
      const int builtin = op_codes_[opcode_index];
      Node node;
      node.tflite_index = static_cast<int>(i);
      HT_ASSIGN_OR_RETURN(node.inputs, ReadIndexList(op, field::kOperatorInputs, what + " inputs", true));
      HT_ASSIGN_OR_RETURN(node.outputs, ReadIndexList(op, field::kOperatorOutputs, what + " outputs", false));
      if (builtin == kBuiltinDequantize) {
        HT_RETURN_IF_ERROR(FoldDequantize(node, what));
        continue;
      }
      const OpInfo* info = nullptr;
      for (const OpInfo& candidate : kSupportedOps) {
        if (candidate.builtin == builtin) info = &candidate;
      }
      if (info == nullptr) {
        return UnsupportedError("failed to load model " + name_ + ": " + what + " uses builtin op " +
                                std::to_string(builtin) + ", which handtrack does not support");
      }
      node.op = info->op;
      HT_RETURN_IF_ERROR(ReadOptions(op, *info, what + " (" + OpTypeName(info->op) + ")", &node.params));
      if (node.op == OpType::kConcatenation && node.params.axis < 0 && !node.inputs.empty() &&
          node.inputs[0] >= 0) {
        node.params.axis += static_cast<int>(graph_.tensors[node.inputs[0]].shape.size());
      }
      graph_.nodes.push_back(std::move(node));
    }
    return Status::Ok();
  }

  // fp16 weights feed DEQUANTIZE ops: convert once here and make the output a constant.
  Status FoldDequantize(const Node& node, const std::string& what) {
    if (node.inputs.size() != 1 || node.outputs.size() != 1 || node.inputs[0] < 0) {
      return Invalid(name_, what + " (DEQUANTIZE)", "needs exactly one input and one output");
    }
    const int in = node.inputs[0];
    const int out = node.outputs[0];
    if (raw_types_[in] != kTfliteFloat16 || fp16_data_[in].empty()) {
      return UnsupportedError("failed to load model " + name_ + ": " + what +
                              " (DEQUANTIZE) of a non-constant or non-float16 tensor is not supported");
    }
    Tensor& dst = graph_.tensors[out];
    if (raw_types_[out] != kTfliteFloat32 || dst.is_constant || dst.shape != graph_.tensors[in].shape) {
      return Invalid(name_, what + " (DEQUANTIZE)", "output must be a float32 tensor of the input's shape");
    }
    const std::span<const uint8_t> half = fp16_data_[in];
    dst.f32.resize(half.size() / 2);
    for (size_t k = 0; k < dst.f32.size(); ++k) {
      uint16_t h;
      std::memcpy(&h, half.data() + 2 * k, 2);
      dst.f32[k] = HalfToFloat(h);
    }
    dst.is_constant = true;
    return Status::Ok();
  }

  Status ReadOptions(const FlatTable& op, const OpInfo& info, const std::string& what, NodeParams* p) {
    HT_ASSIGN_OR_RETURN(uint8_t type, op.Scalar<uint8_t>(field::kOperatorOptionsType, 0, what));
    if (!op.HasField(field::kOperatorOptions) || type == kNoOptions) return Status::Ok();  // defaults
    if (type != info.options_type) {
      return Invalid(name_, what,
                     "options of union type " + std::to_string(type) + ", expected " +
                         std::to_string(info.options_type));
    }
    HT_ASSIGN_OR_RETURN(FlatTable o, op.Table(field::kOperatorOptions, what + " options"));
    bool activation_ok = true;
    auto i32 = [&](int id, int32_t def) { return o.Scalar<int32_t>(id, def, what); };
    auto i8 = [&](int id) { return o.Scalar<int8_t>(id, 0, what); };
    auto activation = [&](int id) -> Status {
      HT_ASSIGN_OR_RETURN(int8_t code, i8(id));
      p->activation = ToActivation(code, &activation_ok);
      if (!activation_ok) {
        return UnsupportedError("failed to load model " + name_ + ": " + what + " has fused activation " +
                                std::to_string(code) + ", which is not supported");
      }
      return Status::Ok();
    };
    auto padding = [&](int id) -> Status {
      HT_ASSIGN_OR_RETURN(int8_t code, i8(id));
      if (code != 0 && code != 1)
        return Invalid(name_, what, "padding " + std::to_string(code) + " is unknown");
      p->padding = code == 0 ? Padding::kSame : Padding::kValid;
      return Status::Ok();
    };
    switch (info.op) {
      case OpType::kConv2D: {
        HT_RETURN_IF_ERROR(padding(0));
        HT_ASSIGN_OR_RETURN(p->stride_w, i32(1, 1));
        HT_ASSIGN_OR_RETURN(p->stride_h, i32(2, 1));
        HT_RETURN_IF_ERROR(activation(3));
        HT_ASSIGN_OR_RETURN(p->dilation_w, i32(4, 1));
        HT_ASSIGN_OR_RETURN(p->dilation_h, i32(5, 1));
        break;
      }
      case OpType::kDepthwiseConv2D: {
        HT_RETURN_IF_ERROR(padding(0));
        HT_ASSIGN_OR_RETURN(p->stride_w, i32(1, 1));
        HT_ASSIGN_OR_RETURN(p->stride_h, i32(2, 1));
        HT_ASSIGN_OR_RETURN(p->depth_multiplier, i32(3, 1));
        HT_RETURN_IF_ERROR(activation(4));
        HT_ASSIGN_OR_RETURN(p->dilation_w, i32(5, 1));
        HT_ASSIGN_OR_RETURN(p->dilation_h, i32(6, 1));
        break;
      }
      case OpType::kMaxPool2D:
      case OpType::kAveragePool2D: {
        HT_RETURN_IF_ERROR(padding(0));
        HT_ASSIGN_OR_RETURN(p->stride_w, i32(1, 1));
        HT_ASSIGN_OR_RETURN(p->stride_h, i32(2, 1));
        HT_ASSIGN_OR_RETURN(p->filter_w, i32(3, 1));
        HT_ASSIGN_OR_RETURN(p->filter_h, i32(4, 1));
        HT_RETURN_IF_ERROR(activation(5));
        break;
      }
      case OpType::kFullyConnected: {
        HT_RETURN_IF_ERROR(activation(0));
        HT_ASSIGN_OR_RETURN(int8_t weights_format, i8(1));
        if (weights_format != 0) {
          return UnsupportedError("failed to load model " + name_ + ": " + what + " uses shuffled weights");
        }
        HT_ASSIGN_OR_RETURN(uint8_t keep, o.Scalar<uint8_t>(2, 0, what));
        p->keep_num_dims = keep != 0;
        break;
      }
      case OpType::kConcatenation: {
        HT_ASSIGN_OR_RETURN(p->axis, i32(0, 0));
        HT_RETURN_IF_ERROR(activation(1));
        break;
      }
      case OpType::kAdd: {
        HT_RETURN_IF_ERROR(activation(0));
        break;
      }
      case OpType::kResizeBilinear: {
        HT_ASSIGN_OR_RETURN(uint8_t align, o.Scalar<uint8_t>(2, 0, what));
        HT_ASSIGN_OR_RETURN(uint8_t half, o.Scalar<uint8_t>(3, 0, what));
        p->align_corners = align != 0;
        p->half_pixel_centers = half != 0;
        break;
      }
      case OpType::kMean: {
        HT_ASSIGN_OR_RETURN(uint8_t keep, o.Scalar<uint8_t>(0, 0, what));
        p->keep_dims = keep != 0;
        break;
      }
      default:
        break;  // RESHAPE's new_shape duplicates its shape operand; PAD has no options
    }
    for (int v : {p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->filter_h, p->filter_w,
                  p->depth_multiplier}) {
      if (v < 1 || v > 4096)
        return Invalid(name_, what, "stride, dilation or filter size " + std::to_string(v));
    }
    return Status::Ok();
  }

  // Every non-constant input is a graph input or produced earlier; every tensor is produced once.
  Status CheckDataflow() {
    std::vector<char> ready(graph_.tensors.size(), 0);
    for (size_t t = 0; t < graph_.tensors.size(); ++t) ready[t] = graph_.tensors[t].is_constant;
    for (int t : graph_.inputs) {
      const Tensor& tensor = graph_.tensors[t];
      if (tensor.is_constant || tensor.type != DataType::kFloat32) {
        return Invalid(name_, "input '" + tensor.name + "'",
                       "model inputs must be non-constant float32 tensors");
      }
      ready[t] = 1;
    }
    for (size_t n = 0; n < graph_.nodes.size(); ++n) {
      const Node& node = graph_.nodes[n];
      const std::string what = NodeLabel(graph_, static_cast<int>(n));
      for (int t : node.inputs) {
        if (t >= 0 && !ready[t]) {
          return Invalid(name_, what,
                         "input tensor '" + graph_.tensors[t].name + "' is read before it is written");
        }
      }
      for (int t : node.outputs) {
        if (ready[t]) {
          return Invalid(name_, what, "output tensor '" + graph_.tensors[t].name + "' is written twice");
        }
        if (graph_.tensors[t].type != DataType::kFloat32) {
          return UnsupportedError("failed to load model " + name_ + ": " + what +
                                  " writes non-float32 tensor '" + graph_.tensors[t].name + "'");
        }
        ready[t] = 1;
      }
    }
    for (int t : graph_.outputs) {
      if (!ready[t] || graph_.tensors[t].is_constant) {
        return Invalid(name_, "output '" + graph_.tensors[t].name + "'", "no operator produces it");
      }
    }
    return Status::Ok();
  }

  FlatBuffer buf_;
  std::string name_;
  Graph graph_;
  std::vector<int> op_codes_;
  std::vector<std::span<const uint8_t>> buffers_;
  std::vector<int8_t> raw_types_;
  std::vector<std::span<const uint8_t>> fp16_data_;
};

}  // namespace

Result<Graph> ReadTflite(std::span<const uint8_t> bytes, const std::string& name) {
  if (static_cast<int64_t>(bytes.size()) > kMaxModelFileBytes) {
    return ResourceExhaustedError("failed to read model " + name + ": " + std::to_string(bytes.size()) +
                                  " bytes is above the 256 MiB limit");
  }
  return Reader(bytes, name).Read();
}

Result<Graph> ReadTfliteFile(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path fs_path(path);
  if (!std::filesystem::exists(fs_path, ec))
    return NotFoundError("failed to load model " + path + ": no such file");
  if (std::filesystem::is_directory(fs_path, ec)) {
    return InvalidModelError("failed to load model " + path + ": it is a directory");
  }
  const auto size = std::filesystem::file_size(fs_path, ec);
  if (ec) return NotFoundError("failed to load model " + path + ": " + ec.message());
  if (static_cast<int64_t>(size) > kMaxModelFileBytes) {
    return ResourceExhaustedError("failed to load model " + path + ": " + std::to_string(size) +
                                  " bytes is above the 256 MiB limit");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("failed to load model " + path + ": cannot open it");
  std::vector<uint8_t> bytes(size);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return InvalidModelError("failed to load model " + path + ": read error");
  }
  Result<Graph> graph = ReadTflite(bytes, fs_path.stem().string());
  if (!graph.ok()) {
    // Name the file, not only the model, so the user knows which copy is broken.
    return graph.status().WithPrefix("failed to load model " + path);
  }
  return graph;
}

}  // namespace handtrack::model

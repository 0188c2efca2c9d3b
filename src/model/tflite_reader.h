// handtrack's own .tflite reader.
//
// The file is untrusted: the whole FlatBuffer is verified before use (every
// offset, length, index and shape), fp16 constants are converted to fp32 once
// and their DEQUANTIZE nodes folded away, and every node's shapes are checked
// against its op's rules, so backends can trust the Graph they are given.
// Anything unsupported is rejected with a message naming the op or tensor.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::model {

// Refuse model files above this size before reading them (the largest hand
// model is 5.5 MB).
inline constexpr int64_t kMaxModelFileBytes = 256LL * 1024 * 1024;

// Parses and verifies a .tflite model held in memory; `name` names it in
// messages and becomes Graph::name.
Result<Graph> ReadTflite(std::span<const uint8_t> bytes, const std::string& name);

// Reads `path` and parses it; the graph is named after the file's stem.
Result<Graph> ReadTfliteFile(const std::string& path);

// Checks the node's tensor shapes against its op's rules (used by the reader,
// and by tests that build graphs by hand).
Status ValidateNode(const Graph& graph, int node_index);

// Checks the graph's dataflow (graph_check.cc; used by the reader, and by
// tests that build graphs by hand): it has operators and outputs; every output
// is produced by a node and is neither a constant nor a graph input; no graph
// input or constant is written by a node; no tensor is written by two nodes;
// every non-constant tensor a node reads is a graph input or written by a
// node. Nodes out of execution order are put in order (a stable topological
// sort, Node::tflite_index kept), which fails only when they form a cycle.
// Errors are InvalidModel, naming the tensor as "tensor 'name' (#index)".
Status CheckGraphStructure(Graph& graph);

}  // namespace handtrack::model

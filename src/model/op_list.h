// The one list of operators handtrack runs. Everything that enumerates ops is
// derived from it: model::OpType and kNumOpTypes (graph.h), OpTypeName
// (graph.cc), the .tflite reader's builtin-code map (tflite_reader.cc), and
// the reference backend's kernel table; the other backends' tables are checked
// against it at compile time (backend/op_table.h).
//
// Adding an op: one line here, then one file per backend that implements it
// (see docs/ARCHITECTURE.md, "Adding an op").
//
// X(Name, TFLite name, TFLite builtin code, TFLite options table)
//   Name: the OpType enumerator without its 'k' (kConv2D) and the kernels'
//         function suffix (reference::Conv2D, xnnpack::DefineConv2D, ...).
//   builtin code: the BuiltinOperator value in TFLite's schema.
//   options table: the BuiltinOptions union member the reader expects
//         (tflite_reader.cc's OptionsType), NoOptions for none.
#pragma once

#define HANDTRACK_OP_LIST(X)                                         \
  X(Add, "ADD", 0, AddOptions)                                       \
  X(AveragePool2D, "AVERAGE_POOL_2D", 1, Pool2DOptions)              \
  X(Concatenation, "CONCATENATION", 2, ConcatenationOptions)         \
  X(Conv2D, "CONV_2D", 3, Conv2DOptions)                             \
  X(DepthwiseConv2D, "DEPTHWISE_CONV_2D", 4, DepthwiseConv2DOptions) \
  X(FullyConnected, "FULLY_CONNECTED", 9, FullyConnectedOptions)     \
  X(Logistic, "LOGISTIC", 14, NoOptions)                             \
  X(MaxPool2D, "MAX_POOL_2D", 17, Pool2DOptions)                     \
  X(Mean, "MEAN", 40, ReducerOptions)                                \
  X(Pad, "PAD", 34, PadOptions)                                      \
  X(PRelu, "PRELU", 54, NoOptions)                                   \
  X(Relu, "RELU", 19, NoOptions)                                     \
  X(Relu6, "RELU6", 21, NoOptions)                                   \
  X(Reshape, "RESHAPE", 22, ReshapeOptions)                          \
  X(ResizeBilinear, "RESIZE_BILINEAR", 23, ResizeBilinearOptions)

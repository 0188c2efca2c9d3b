// The CUDA backend: runs segments of a model on an NVIDIA GPU with handtrack's
// own float32 kernels, one file per op.
//
// Supports every node the model reader accepts (model::ValidateNode), with the
// reference backend's semantics: SAME padding puts the odd extra pixel
// bottom/right, RESIZE_BILINEAR follows TFLite's source coordinates, fused
// activations are applied in the producing kernel. 1x1 convolutions and
// FULLY_CONNECTED run as one tiled GEMM (split over K when the output is too
// small to fill the GPU). An ADD and/or PRELU that follows a CONV_2D,
// FULLY_CONNECTED or ADD runs inside that node's kernel when nothing else
// reads the tensor between them (fusion.h; backend setting "cuda.fusion" "0"
// turns this off).
//
// Compile() does all the work that can be done once: weights are uploaded,
// activations get offsets in one device arena planned from their lifetimes,
// host-visible inputs and outputs get pinned staging buffers, and the whole
// segment (input copies, kernels, output copies) is captured as one CUDA
// graph. Run() copies the inputs into staging, replays the graph and copies
// the outputs out.
//
// Errors: every CUDA failure becomes a Status "failed to <verb> <object>:
// <cudaGetErrorString>" naming the node or buffer; out of memory is
// ResourceExhausted; nothing aborts. Without a usable device, Availability()
// is Unavailable "no CUDA device (...)" (also where libcudart is present but
// no driver is). Test hook: the fault "cuda:oom" (BackendOptions::faults) makes
// the activation arena's allocation fail as if the device were out of memory.
//
// Device: GPU 0 unless SelectDevice (ModelOptions::device) names another; every
// segment, stream, graph and image uploader of the backend lives there, and each
// call that touches it makes it current on the calling thread first (threads are
// shared between engines on different GPUs).
//
// Threading: Availability() and Supports() are thread-safe. Each compiled
// segment owns its stream, memory and graph: one Run at a time per segment,
// separate segments concurrently from different threads.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace handtrack::backend {

std::unique_ptr<Backend> CreateCudaBackend();

}  // namespace handtrack::backend

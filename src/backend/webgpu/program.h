// What a compiled webgpu segment runs: the WGSL sources it needs, one arena of
// activations (offsets planned by PlanArena), the packed weights, an io
// buffer for the segment's float32 inputs and outputs, and one dispatch per op
// (each its shader, thread count and parameters). ToJson() is what the
// JavaScript half (webgpu_device.js) builds the GPU objects from.
//
// Every shader has the prelude webgpu_device.js adds: the storage type S (f32
// or f16), the buffers act (activations), wts (weights), io (float32 segment
// inputs and outputs), the parameters P(k) / PF(k) (u32 / f32; P(0) is always
// the thread count), and main(), which calls the op's run(i) once per thread i
// in [0, P(0)); a source with an entry point of its own (@compute) gets no main()
// and is dispatched P(0) / 64 workgroups of 64 threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "model/graph.h"

namespace handtrack::backend::webgpu {

// A parameter word marking "no such tensor" (e.g. a convolution without bias).
inline constexpr uint32_t kNone = 0xffffffffu;
// Parameters per dispatch (one 256-byte uniform slot).
inline constexpr size_t kMaxParams = 64;

inline uint32_t FloatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

class Program {
 public:
  Program(const model::Graph& graph, const std::map<std::string, std::string>& settings)
      : graph_(graph), settings_(settings), arena_offsets_(graph.tensors.size(), -1) {}

  const model::Graph& graph() const { return graph_; }
  // A backend setting ("webgpu.conv_x4" -> "0"), or "" when not set.
  std::string setting(const std::string& key) const {
    auto found = settings_.find(key);
    return found != settings_.end() ? found->second : "";
  }

  // The arena offset (in elements) of a non-constant tensor of the segment.
  uint32_t Act(int tensor) const { return static_cast<uint32_t>(arena_offsets_[tensor]); }
  // The offset in the weights of a constant tensor's floats, uploaded once.
  uint32_t Constant(int tensor);
  // The offset of floats the op packed itself (a transposed filter, say).
  uint32_t Pack(const std::vector<float>& values);

  // Adds the op's WGSL (the body: fn run(i: u32)) under a name, once.
  void Shader(const char* name, const char* source) { shaders_.emplace(name, source); }
  // One dispatch of `threads` threads; params[0] is set to the thread count.
  void Dispatch(const char* shader, int64_t threads, std::vector<uint32_t> params);

  // Set by the segment before the ops emit.
  void set_arena_offset(int tensor, int64_t offset) { arena_offsets_[tensor] = offset; }
  void set_arena_elements(int64_t elements) { arena_elements_ = elements; }
  // An input's io range; the next Dispatch is its copy into the arena (which a
  // sampled run replaces with the sampling shader, image_sampling.h).
  void AddInput(int64_t io_offset, int64_t count) {
    inputs_.push_back({io_offset, count, static_cast<int64_t>(dispatches_.size())});
  }
  void AddOutput(int64_t io_offset, int64_t count) { outputs_.push_back({io_offset, count, -1}); }
  // The WGSL of the image sampling shader, for segments that sample an input.
  void set_sampler(const char* source) { sampler_ = source; }
  void set_io(int64_t output_base, int64_t elements) {
    io_output_base_ = output_base;
    io_elements_ = elements;
  }

  const std::vector<float>& weights() const { return weights_; }
  size_t num_dispatches() const { return dispatches_.size(); }
  std::string ToJson(bool f16) const;

 private:
  struct Step {
    const char* shader;
    int64_t threads;
    std::vector<uint32_t> params;
  };
  struct Io {
    int64_t offset, count, copy_step;
  };
  const model::Graph& graph_;
  std::map<std::string, std::string> settings_;
  std::vector<int64_t> arena_offsets_;
  int64_t arena_elements_ = 0;
  std::map<int, uint32_t> constant_offsets_;
  std::vector<float> weights_;
  std::map<std::string, std::string> shaders_;
  std::vector<Step> dispatches_;
  std::vector<Io> inputs_, outputs_;
  int64_t io_output_base_ = 0, io_elements_ = 0;
  const char* sampler_ = nullptr;
};

}  // namespace handtrack::backend::webgpu

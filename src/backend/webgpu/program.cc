#include "backend/webgpu/program.h"

#include <cassert>

namespace handtrack::backend::webgpu {
namespace {

void AppendJsonString(std::string& out, const std::string& text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out += c;
    }
  }
  out += '"';
}

}  // namespace

uint32_t Program::Constant(int tensor) {
  auto found = constant_offsets_.find(tensor);
  if (found != constant_offsets_.end()) return found->second;
  const uint32_t offset = Pack(graph_.tensors[tensor].f32);
  constant_offsets_.emplace(tensor, offset);
  return offset;
}

uint32_t Program::Pack(const std::vector<float>& values) {
  // Offsets stay multiples of 4 elements.
  while (weights_.size() % 4 != 0) weights_.push_back(0.0f);
  const auto offset = static_cast<uint32_t>(weights_.size());
  weights_.insert(weights_.end(), values.begin(), values.end());
  return offset;
}

void Program::Dispatch(const char* shader, int64_t threads, std::vector<uint32_t> params) {
  assert(params.size() <= kMaxParams);
  if (params.empty()) params.push_back(0);
  params[0] = static_cast<uint32_t>(threads);
  dispatches_.push_back({shader, threads, std::move(params)});
}

std::string Program::ToJson(bool f16) const {
  std::string json = "{\"f16\":";
  json += f16 ? "true" : "false";
  json += ",\"arena\":" + std::to_string(arena_elements_);
  json += ",\"io\":" + std::to_string(io_elements_);
  json += ",\"outputBase\":" + std::to_string(io_output_base_);
  auto io_list = [&](const char* name, const std::vector<Io>& list) {
    json += std::string(",\"") + name + "\":[";
    for (size_t i = 0; i < list.size(); ++i) {
      json += (i ? ",{\"io\":" : "{\"io\":") + std::to_string(list[i].offset) +
              ",\"count\":" + std::to_string(list[i].count) +
              ",\"step\":" + std::to_string(list[i].copy_step) + "}";
    }
    json += "]";
  };
  io_list("inputs", inputs_);
  io_list("outputs", outputs_);
  if (sampler_ != nullptr) {
    json += ",\"sampler\":";
    AppendJsonString(json, sampler_);
  }
  json += ",\"shaders\":{";
  bool first = true;
  for (const auto& [name, source] : shaders_) {
    if (!first) json += ",";
    first = false;
    AppendJsonString(json, name);
    json += ":";
    AppendJsonString(json, source);
  }
  json += "},\"dispatches\":[";
  for (size_t d = 0; d < dispatches_.size(); ++d) {
    const Step& step = dispatches_[d];
    json += d ? ",{\"shader\":" : "{\"shader\":";
    AppendJsonString(json, step.shader);
    json += ",\"threads\":" + std::to_string(step.threads) + ",\"params\":[";
    for (size_t k = 0; k < step.params.size(); ++k) json += (k ? "," : "") + std::to_string(step.params[k]);
    json += "]}";
  }
  json += "]}";
  return json;
}

}  // namespace handtrack::backend::webgpu

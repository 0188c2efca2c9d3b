// What the public model-level types (ModelOptions, ModelRunner::Options) turn
// into inside the library: a verified graph, from a buffer or a file, and the
// runtime's interpreter options.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "handtrack/models.h"
#include "model/graph.h"
#include "runtime/interpreter.h"

namespace handtrack::tasks {

// The verified graph of model `name` from its .tflite bytes; errors start with
// "failed to load model <name> from memory" (an empty buffer included).
Result<model::Graph> ReadModelBuffer(std::span<const uint8_t> bytes, const std::string& name);

// The graph of model `name` ("palm_detection_full", ...): from
// options.model_buffers when it holds the name, else from
// ResolveModelDir(options.model_dir)/<name>.tflite. Errors start with
// "failed to load model <path or name>".
Result<model::Graph> LoadModelGraph(const ModelOptions& options, const std::string& name);

// The interpreter options of a model's delegate, threads, precision, device and
// test hooks; InvalidArgument for a malformed fault list or a device that does
// not exist (CheckDevice).
struct ModelRunSettings {
  Delegate delegate;
  int num_threads = 1;
  Precision precision = Precision::kAuto;
  int device = 0;
  std::string inject_faults;
  std::function<bool(std::string_view, std::string_view)> fault_hook;
  std::map<std::string, std::string> backend_settings;
};
Result<runtime::InterpreterOptions> MakeInterpreterOptions(const ModelRunSettings& settings);

// ModelRunSettings of either public options struct.
template <typename Options>
ModelRunSettings RunSettingsOf(const Options& options) {
  return {options.delegate,      options.num_threads, options.precision,       options.device,
          options.inject_faults, options.fault_hook,  options.backend_settings};
}

// OK for device 0 (the default, checked by the backends as before) and for an
// index below the number of GPUs the device backends see; InvalidArgument
// "failed to select device N: ..." otherwise. Counts only: creates no context.
Status CheckDevice(int device);

}  // namespace handtrack::tasks

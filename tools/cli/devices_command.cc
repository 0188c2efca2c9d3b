// handtrack devices: the backends of this build, whether each can run here and
// why not, and where the models are looked for.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "cli_args.h"
#include "commands.h"
#include "handtrack/models.h"

namespace handtrack::cli {
namespace {

constexpr char kHelp[] = R"(usage: handtrack devices [--models DIR]

Lists the backends compiled into this build in the order '--delegate auto' tries
them, whether each is available on this machine (and why not); every GPU with its
index (--device N, --gpus), name, memory, compute capability and whether this
build can use it (and why not); and whether the four model files are where
handtrack looks for them.
)";

constexpr OptionSpec kOptions[] = {{"--models", true}, {"--help", false}, {"-h", false}};

}  // namespace

int RunDevices(std::span<const std::string> arguments) {
  auto args = ParseArgs(arguments, kOptions, "devices");
  if (!args.ok()) return Fail(args.status().message(), kExitUsage);
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (!args->positional().empty()) return Fail("devices takes no arguments", kExitUsage);

  std::printf("%-10s %-8s %-9s %-10s %s\n", "backend", "priority", "built", "available", "detail");
  for (const BackendInfo& backend : ListBackends()) {
    std::printf("%-10s %-8d %-9s %-10s %s\n", backend.name.c_str(), backend.priority,
                backend.compiled_in ? "yes" : "no", backend.available ? "yes" : "no", backend.detail.c_str());
  }

  const GpuList gpus = ListGpus();
  if (gpus.gpus.empty()) {
    std::printf("\ngpus: none (%s)\n", gpus.why_none.c_str());
  } else {
    std::printf("\n%-5s %-8s %-28s %-22s %-8s %-7s %s\n", "gpu", "backend", "name", "memory total/free",
                "compute", "usable", "detail");
    constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
    for (const GpuInfo& gpu : gpus.gpus) {
      char memory[64];
      std::snprintf(memory, sizeof(memory), "%.1f / %.1f GiB", gpu.memory_total_bytes / kGiB,
                    gpu.memory_free_bytes / kGiB);
      char capability[16];
      std::snprintf(capability, sizeof(capability), "%d.%d", gpu.compute_capability / 10,
                    gpu.compute_capability % 10);
      std::printf("%-5d %-8s %-28s %-22s %-8s %-7s %s\n", gpu.index, gpu.backend.c_str(), gpu.name.c_str(),
                  memory, capability, gpu.usable ? "yes" : "no", gpu.detail.c_str());
    }
  }

  const std::string model_dir = ResolveModelDir(args->Value("--models").value_or(""));
  int found = 0;
  std::string missing;
  for (ModelVariant variant : {ModelVariant::kFull, ModelVariant::kLite}) {
    for (const std::string& name : {PalmModelName(variant), LandmarkModelName(variant)}) {
      std::error_code error;
      if (std::filesystem::is_regular_file(model_dir + "/" + name + ".tflite", error)) {
        ++found;
      } else {
        missing += " " + name + ".tflite";
      }
    }
  }
  std::printf("\nmodels: %s (%d of 4 found%s%s)\n", model_dir.c_str(), found,
              missing.empty() ? "" : "; missing:", missing.c_str());
  if (found < 4)
    std::printf("        run scripts/fetch_models.sh, or pass --models DIR / set HANDTRACK_MODELS\n");
  return kExitOk;
}

}  // namespace handtrack::cli

#include "backend_settings_flag.h"

#include <string>
#include <string_view>

namespace handtrack::testing {
namespace {

constexpr std::string_view kFlag = "--cuda-setting";

backend::BackendSettings& Settings() {
  static backend::BackendSettings settings;
  return settings;
}

Status AddSetting(std::string_view key_value) {
  const size_t equals = key_value.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return InvalidArgumentError("failed to parse " + std::string(kFlag) + " '" + std::string(key_value) +
                                "': expected KEY=VALUE, e.g. cuda.fusion=0");
  }
  Settings()[std::string(key_value.substr(0, equals))] = std::string(key_value.substr(equals + 1));
  return Status::Ok();
}

}  // namespace

Status ParseBackendSettingFlags(int* argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == kFlag) {
      if (i + 1 >= *argc) {
        return InvalidArgumentError("failed to parse " + std::string(kFlag) + ": no KEY=VALUE after it");
      }
      HT_RETURN_IF_ERROR(AddSetting(argv[++i]));
    } else if (arg.starts_with(std::string(kFlag) + "=")) {
      HT_RETURN_IF_ERROR(AddSetting(arg.substr(kFlag.size() + 1)));
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  argv[kept] = nullptr;
  return Status::Ok();
}

const backend::BackendSettings& CommandLineBackendSettings() { return Settings(); }

}  // namespace handtrack::testing

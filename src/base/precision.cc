// Precision names (declared in handtrack/models.h): in the base layer, because
// the runtime names precisions in plans below the public API's own layer.
#include "handtrack/models.h"

namespace handtrack {

const char* PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kFp16:
      return "fp16";
    case Precision::kAuto:
      return "auto";
    case Precision::kFp32:
      break;
  }
  return "fp32";
}

Result<Precision> ParsePrecision(const std::string& name) {
  for (Precision p : {Precision::kFp32, Precision::kFp16, Precision::kAuto}) {
    if (name == PrecisionName(p)) return p;
  }
  return InvalidArgumentError("failed to parse precision '" + name + "': expected auto, fp32 or fp16");
}

}  // namespace handtrack

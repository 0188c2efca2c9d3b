// Precision names (declared in handtrack/models.h): in the base layer, because
// the runtime names precisions in plans below the public API's own layer.
#include "handtrack/models.h"

namespace handtrack {

const char* PrecisionName(Precision precision) { return precision == Precision::kFp16 ? "fp16" : "fp32"; }

Result<Precision> ParsePrecision(const std::string& name) {
  for (Precision p : {Precision::kFp32, Precision::kFp16}) {
    if (name == PrecisionName(p)) return p;
  }
  return InvalidArgumentError("failed to parse precision '" + name + "': expected fp32 or fp16");
}

}  // namespace handtrack

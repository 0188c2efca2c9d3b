// Backend settings from a test program's command line, for the test binaries
// that run on the GPU machine (backend_op_test, cuda_backend_test): the
// library reads no environment variables, so an unfused run is
//
//   cuda_backend_test --cuda-setting cuda.fusion=0
//
// `--cuda-setting KEY=VALUE` (or `--cuda-setting=KEY=VALUE`), repeatable, is
// taken out of argv by the program's own main before InitGoogleTest; the
// tests put CommandLineBackendSettings() into the BackendOptions::settings
// (or ModelRunner::Options::backend_settings) they use.
#pragma once

#include "backend/backend.h"
#include "handtrack/status.h"

namespace handtrack::testing {

// Removes every --cuda-setting flag from argv (argc follows) and adds its
// KEY=VALUE to CommandLineBackendSettings(). InvalidArgument for a flag
// without a value, or a value without '=' or with an empty key.
Status ParseBackendSettingFlags(int* argc, char** argv);

// What ParseBackendSettingFlags read; empty when nothing was given.
const backend::BackendSettings& CommandLineBackendSettings();

}  // namespace handtrack::testing

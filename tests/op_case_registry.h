// Op cases added at run time, next to the fixed table (AllOpCases): a test's
// own source file registers a case, and backend_op_test runs it on every
// backend and lists it in --support-matrix, without editing the table.
//
//   static const bool registered = handtrack::testing::RegisterOpCase(MyCase());
//
// Register before main() generates the tests: from a static initializer of a
// source file linked into the program (backend_op_test_fake.cc does this), or
// at the start of main. The registry is a function-local static, so static
// initializers of any file may call it.
//
// Threading: both functions are thread-safe.
#pragma once

#include <vector>

#include "op_graph_builders.h"

namespace handtrack::testing {

// Adds the case; false (and nothing added) when its name is empty or already
// taken by a registered case or a case of AllOpCases / BeyondReaderOpCases.
bool RegisterOpCase(OpCase op_case);

// Every registered case, in registration order.
std::vector<OpCase> RegisteredOpCases();

}  // namespace handtrack::testing

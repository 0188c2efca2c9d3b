// The OpenAPI 3 document of the service, served at /openapi.json.
#pragma once

#include <string>

namespace handtrack::serve {

const std::string& OpenApiDocument();

}  // namespace handtrack::serve

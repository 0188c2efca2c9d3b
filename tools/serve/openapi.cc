#include "openapi.h"

namespace handtrack::serve {

const std::string& OpenApiDocument() {
  static const std::string kDocument = R"JSON({
  "openapi": "3.0.3",
  "info": {
    "title": "handtrack service",
    "version": "1",
    "description": "Recorded sessions (videos) tracked as `handtrack track` does, photos as `handtrack detect` does, and live frames over a WebSocket. Every route but /healthz and /readyz needs 'Authorization: Bearer TOKEN' when the server has a token; GET requests may carry it as ?access_token=TOKEN instead (for a browser's <video>, download links and WebSocket). Everything outside /v1/, /metrics and /openapi.json is the web app's static files (no token). Errors are {\"error\": {\"code\", \"message\"}}."
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                        "access_token": {"type": "apiKey", "in": "query", "name": "access_token", "description": "the bearer token in the URL, GET requests only"}},
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}},
      "model": {"name": "model", "in": "query", "schema": {"type": "string", "enum": ["full", "lite"]}},
      "num_hands": {"name": "num_hands", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 8}},
      "min_detection_confidence": {"name": "min_detection_confidence", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 1}},
      "min_presence_confidence": {"name": "min_presence_confidence", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 1}},
      "min_tracking_confidence": {"name": "min_tracking_confidence", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 1}},
      "mirrored": {"name": "mirrored", "in": "query", "schema": {"type": "boolean"}},
      "smoothing": {"name": "smoothing", "in": "query", "schema": {"type": "string", "enum": ["on", "off"]}},
      "palm_detection_interval": {"name": "palm_detection_interval", "in": "query", "description": "while some but fewer than num_hands hands are tracked, look for more only every Nth frame (1, the default: every frame, MediaPipe's rule)", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
      "overlay": {"name": "overlay", "in": "query", "schema": {"type": "boolean"}},
      "name": {"name": "name", "in": "query", "schema": {"type": "string", "minLength": 1, "maxLength": 128}}
    },
    "schemas": {
      "Error": {
        "type": "object", "required": ["error"], "additionalProperties": false,
        "properties": {"error": {"type": "object", "required": ["code", "message"], "additionalProperties": false,
          "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}
      },
      "Session": {
        "type": "object", "additionalProperties": false,
        "required": ["id", "state", "created_at", "name", "options", "overlay", "video_bytes", "progress", "attempts", "timings"],
        "properties": {
          "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
          "state": {"type": "string", "enum": ["queued", "running", "succeeded", "failed", "cancelled"]},
          "created_at": {"type": "string", "format": "date-time"},
          "name": {"type": "string"},
          "options": {"type": "string", "description": "track's options as a canonical query string"},
          "overlay": {"type": "boolean"},
          "video_bytes": {"type": "integer", "minimum": 0},
          "progress": {"type": "object", "additionalProperties": false, "required": ["frames_done", "frames_total"],
            "properties": {"frames_done": {"type": "integer", "minimum": 0}, "frames_total": {"type": "integer", "minimum": 0}}},
          "attempts": {"type": "integer", "minimum": 0},
          "timings": {"type": "object", "additionalProperties": false, "properties": {
            "started_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": "string", "format": "date-time"},
            "queued_ms": {"type": "integer"},
            "processing_ms": {"type": "integer", "minimum": 0}}},
          "error": {"type": "string"}
        }
      },
      "SessionList": {
        "type": "object", "additionalProperties": false, "required": ["sessions"],
        "properties": {"sessions": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}},
                       "next_page_token": {"type": "string"}}
      },
      "Hand": {
        "type": "object", "required": ["handedness", "presence", "landmarks", "world_landmarks"],
        "properties": {
          "handedness": {"type": "object", "required": ["label", "score"], "properties": {"label": {"type": "string", "enum": ["Left", "Right"]}, "score": {"type": "number"}}},
          "presence": {"type": "number"},
          "landmarks": {"type": "array", "minItems": 21, "maxItems": 21, "items": {"type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "number"}}},
          "world_landmarks": {"type": "array", "minItems": 21, "maxItems": 21, "items": {"type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "number"}}}
        }
      },
      "Frame": {
        "type": "object", "required": ["index", "file", "width", "height", "num_hands", "hands"],
        "properties": {"index": {"type": "integer"}, "file": {"type": "string"}, "width": {"type": "integer"},
          "height": {"type": "integer"}, "time_ms": {"type": "number"}, "num_hands": {"type": "integer"},
          "hands": {"type": "array", "items": {"$ref": "#/components/schemas/Hand"}}}
      },
      "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"},
        "token_required": {"type": "boolean", "description": "/healthz: whether the other routes need the token"}}}
    },
    "responses": {
      "BadRequest": {"description": "bad options or input; the message names the option", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "missing or wrong bearer token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "no such session (or a malformed id)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooLarge": {"description": "over --max-upload-mb, the pixel or the duration limit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unsupported": {"description": "not a video / image this server decodes", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "too many uploads or connections, or the database is unreachable", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "SessionResponse": {"description": "the session", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}}
    }
  },
  "security": [{"bearer": []}, {"access_token": []}],
  "paths": {
    "/healthz": {"get": {"security": [], "summary": "the process is up", "responses": {"200": {"description": "up", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
    "/readyz": {"get": {"security": [], "summary": "models loaded and database reachable", "responses": {
      "200": {"description": "ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
      "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/metrics": {"get": {"summary": "Prometheus text format", "responses": {"200": {"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/v1/sessions": {
      "post": {
        "summary": "upload a video (the body, streamed to storage) and queue it",
        "parameters": [{"$ref": "#/components/parameters/model"}, {"$ref": "#/components/parameters/num_hands"},
          {"$ref": "#/components/parameters/min_detection_confidence"}, {"$ref": "#/components/parameters/min_presence_confidence"},
          {"$ref": "#/components/parameters/min_tracking_confidence"}, {"$ref": "#/components/parameters/mirrored"},
          {"$ref": "#/components/parameters/smoothing"}, {"$ref": "#/components/parameters/palm_detection_interval"}, {"$ref": "#/components/parameters/overlay"}, {"$ref": "#/components/parameters/name"},
          {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200}}],
        "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {
          "202": {"description": "queued; Location names the session", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}},
          "200": {"description": "the session first created with this Idempotency-Key", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"}, "415": {"$ref": "#/components/responses/Unsupported"},
          "503": {"$ref": "#/components/responses/Unavailable"}}
      },
      "get": {
        "summary": "sessions, newest first",
        "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                       {"name": "page_token", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionList"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}}
      }
    },
    "/v1/sessions/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {"summary": "one session", "responses": {"200": {"$ref": "#/components/responses/SessionResponse"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}},
      "delete": {"summary": "the session, its video and its results", "responses": {"204": {"description": "deleted"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/sessions/{id}:cancel": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "post": {"summary": "stop a queued or running session", "responses": {"200": {"$ref": "#/components/responses/SessionResponse"},
        "404": {"$ref": "#/components/responses/NotFound"}, "409": {"description": "already ended", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}
    },
    "/v1/sessions/{id}/frames": {
      "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["jsonl", "csv", "golden"], "default": "jsonl"}}],
      "get": {"summary": "what `handtrack track --format F` writes (partial for a session that failed half-way)", "responses": {
        "200": {"description": "the frames", "content": {"application/x-ndjson": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/sessions/{id}/summary": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {"summary": "what `handtrack track --summary` writes", "responses": {"200": {"description": "the summary", "content": {"application/json": {"schema": {"type": "object", "required": ["input", "frames", "duration_ms", "frames_with_hands", "hands"]}}}}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/sessions/{id}/overlay.mp4": {
      "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "Range", "in": "header", "schema": {"type": "string"}}],
      "get": {"summary": "the overlay video (overlay=true), with Range support", "responses": {"200": {"description": "MP4", "content": {"video/mp4": {}}}, "206": {"description": "a range"}, "404": {"$ref": "#/components/responses/NotFound"}, "416": {"description": "range not satisfiable"}}}
    },
    "/v1/sessions/{id}/video": {
      "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "Range", "in": "header", "schema": {"type": "string"}}],
      "get": {"summary": "the uploaded video, with Range support", "responses": {"200": {"description": "the bytes uploaded"}, "206": {"description": "a range"}, "404": {"$ref": "#/components/responses/NotFound"}, "416": {"description": "range not satisfiable"}}}
    },
    "/v1/detect": {
      "post": {
        "summary": "the hands of one JPEG or PNG, as one frame of `handtrack detect`'s JSON",
        "parameters": [{"$ref": "#/components/parameters/model"}, {"$ref": "#/components/parameters/num_hands"},
          {"$ref": "#/components/parameters/min_detection_confidence"}, {"$ref": "#/components/parameters/min_presence_confidence"},
          {"$ref": "#/components/parameters/mirrored"}, {"$ref": "#/components/parameters/name"}],
        "requestBody": {"required": true, "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}, "image/png": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {"200": {"description": "the frame", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Frame"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"}, "415": {"$ref": "#/components/responses/Unsupported"}}
      }
    },
    "/v1/live": {
      "get": {
        "summary": "WebSocket: binary messages, a 20-byte header ('RGBA' or 'IMG ', uint32 LE width, uint32 LE height, int64 LE timestamp_ms) then RGBA pixels or a JPEG/PNG; each answer is a JSON text message {timestamp_ms, width, height, hands, dropped}",
        "parameters": [{"$ref": "#/components/parameters/model"}, {"$ref": "#/components/parameters/num_hands"}, {"$ref": "#/components/parameters/mirrored"}, {"$ref": "#/components/parameters/smoothing"},
          {"name": "access_token", "in": "query", "description": "the bearer token, for clients that cannot set headers (browsers)", "schema": {"type": "string"}}],
        "responses": {"101": {"description": "switching to the WebSocket protocol"}, "400": {"$ref": "#/components/responses/BadRequest"}, "503": {"$ref": "#/components/responses/Unavailable"}}
      }
    }
  }
}
)JSON";
  return kDocument;
}

}  // namespace handtrack::serve

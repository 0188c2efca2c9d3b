// The messages between the page (EngineClient) and the engine's Web Worker
// (worker.ts). Each request carries an id; the worker answers each with the
// same id, in the order received.

import type { TransferFrame } from "./image_input.js";
import type { EngineDescription, EngineInit, EngineOptions, RawResult } from "./wasm_engine.js";
import type { HeapReport, ModelTiming } from "./types.js";

export type EngineRequest =
  | { op: "create"; init: EngineInit }
  | { op: "set-options"; options: EngineOptions }
  | { op: "detect"; frame: TransferFrame; timestampMs: number }
  | { op: "time-model"; model: Uint8Array; name: string; delegate: string; threads: number; warmup: number; runs: number }
  | { op: "heap" }
  | { op: "close" };

/** What each request answers when it succeeds. */
export interface EngineReplies {
  create: EngineDescription;
  "set-options": null;
  detect: RawResult;
  "time-model": ModelTiming;
  heap: HeapReport;
  close: null;
}

export type EngineMessage = EngineRequest & { id: number };

export type EngineReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

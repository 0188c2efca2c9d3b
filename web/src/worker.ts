// The engine's Web Worker (dist/handtrack.worker.js, a classic worker so that
// it can importScripts the Emscripten builds). It holds one landmarker and
// answers the page's requests one at a time, in order.

import type { EngineMessage, EngineReply, EngineRequest } from "./engine_protocol.js";
import { discardTransferFrame, readTransferFrame } from "./image_input.js";
import { WasmEngine } from "./wasm_engine.js";

let engine: WasmEngine | null = null;
let queue: Promise<void> = Promise.resolve();

function requireEngine(verb: string): WasmEngine {
  if (engine === null) throw new Error(`failed to ${verb}: the HandLandmarker is closed`);
  return engine;
}

async function handle(request: EngineRequest): Promise<{ value: unknown; transfer: Transferable[] }> {
  switch (request.op) {
    case "create":
      engine?.close();
      engine = await WasmEngine.create(request.init);
      return { value: engine.description, transfer: [] };
    case "set-options":
      await requireEngine("set options").setOptionsAsync(request.options);
      return { value: null, transfer: [] };
    case "detect": {
      let current: WasmEngine;
      try {
        current = requireEngine("detect hands");
      } catch (error) {
        discardTransferFrame(request.frame);
        throw error;
      }
      const pixels = readTransferFrame(request.frame);
      const result = await current.detectAsync(pixels.data, pixels.width, pixels.height, request.timestampMs);
      return { value: result, transfer: [result.records.buffer] };
    }
    case "time-model": {
      const { model, name, delegate, threads, warmup, runs } = request;
      return { value: await requireEngine("time a model").timeModelAsync(model, name, delegate, threads, warmup, runs), transfer: [] };
    }
    case "heap":
      return { value: requireEngine("read the heap").heap(), transfer: [] };
    case "close":
      engine?.close();
      engine = null;
      return { value: null, transfer: [] };
  }
}

self.onmessage = (event: MessageEvent<EngineMessage>) => {
  const message = event.data;
  queue = queue.then(async () => {
    let reply: EngineReply;
    let transfer: Transferable[] = [];
    try {
      const answer = await handle(message);
      reply = { id: message.id, ok: true, value: answer.value };
      transfer = answer.transfer;
    } catch (error) {
      reply = { id: message.id, ok: false, error: (error as Error)?.message ?? String(error) };
    }
    (self as unknown as Worker).postMessage(reply, transfer);
  });
};

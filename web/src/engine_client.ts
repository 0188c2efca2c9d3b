// The page's handle on an engine: in the package's Web Worker (the default
// for the async calls, so the page never blocks) or on the page's own thread
// (the synchronous MediaPipe calls). Both take a frame in two steps: a
// snapshot when the caller hands the image over, the detection when the
// engine is free, so that a live stream can drop snapshots that went stale.

import type { EngineMessage, EngineReplies, EngineReply, EngineRequest } from "./engine_protocol.js";
import {
  type Pixels,
  type TransferFrame,
  discardTransferFrame,
  readPixels,
  toTransferFrame,
} from "./image_input.js";
import type { HeapReport, ImageSource, ModelTiming } from "./types.js";
import { type EngineDescription, type EngineInit, type EngineOptions, type RawResult, WasmEngine } from "./wasm_engine.js";

/** A frame copied out of the caller's image, waiting for the engine. */
export type FrameSnapshot = { kind: "transfer"; frame: TransferFrame } | { kind: "pixels"; pixels: Pixels };

export interface EngineClient {
  readonly location: "worker" | "page";
  readonly description: EngineDescription;
  snapshot(image: ImageSource): Promise<FrameSnapshot>;
  discard(snapshot: FrameSnapshot): void;
  detect(snapshot: FrameSnapshot, timestampMs: number): Promise<RawResult>;
  setOptions(options: EngineOptions): Promise<void>;
  timeModel(model: Uint8Array, name: string, delegate: string, threads: number, warmup: number, runs: number): Promise<ModelTiming>;
  heap(): Promise<HeapReport>;
  /** Frees the engine; pending calls reject. */
  close(): void;
}

/** The engine in a dedicated Web Worker. */
export class WorkerEngineClient implements EngineClient {
  readonly location = "worker" as const;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private failure: string | null = null;
  description!: EngineDescription;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<EngineReply>) => {
      const reply = event.data;
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new Error(reply.error));
    };
    // A worker that fails to load, or dies, fails every call with the reason.
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.fail(`the engine worker failed: ${event.message || "its script did not load"}`);
    };
  }

  static async create(workerUrl: string, init: EngineInit): Promise<WorkerEngineClient> {
    let worker: Worker;
    try {
      worker = new Worker(workerUrl, { name: "handtrack-engine" });
    } catch (error) {
      throw new Error(`failed to start the engine worker ${workerUrl}: ${(error as Error).message ?? String(error)}`);
    }
    const client = new WorkerEngineClient(worker);
    try {
      client.description = await client.call("create", { op: "create", init });
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  private fail(reason: string): void {
    this.failure = reason;
    for (const waiter of this.pending.values()) waiter.reject(new Error(reason));
    this.pending.clear();
  }

  private call<K extends keyof EngineReplies>(
    _op: K,
    request: EngineRequest & { op: K },
    transfer: Transferable[] = [],
  ): Promise<EngineReplies[K]> {
    if (this.failure !== null) return Promise.reject(new Error(this.failure));
    const id = this.nextId++;
    return new Promise<EngineReplies[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...request, id } as EngineMessage, transfer);
    });
  }

  async snapshot(image: ImageSource): Promise<FrameSnapshot> {
    return { kind: "transfer", frame: (await toTransferFrame(image)).frame };
  }

  discard(snapshot: FrameSnapshot): void {
    if (snapshot.kind === "transfer") discardTransferFrame(snapshot.frame);
  }

  detect(snapshot: FrameSnapshot, timestampMs: number): Promise<RawResult> {
    if (snapshot.kind !== "transfer") return Promise.reject(new Error("failed to detect hands: internal: a page snapshot sent to the worker"));
    const frame = snapshot.frame;
    const transfer: Transferable[] =
      frame.kind === "pixels" ? [frame.data] : frame.kind === "bitmap" ? [frame.bitmap] : [frame.frame as unknown as Transferable];
    return this.call("detect", { op: "detect", frame, timestampMs }, transfer);
  }

  setOptions(options: EngineOptions): Promise<void> {
    return this.call("set-options", { op: "set-options", options }).then(() => undefined);
  }

  timeModel(model: Uint8Array, name: string, delegate: string, threads: number, warmup: number, runs: number): Promise<ModelTiming> {
    return this.call("time-model", { op: "time-model", model, name, delegate, threads, warmup, runs });
  }

  heap(): Promise<HeapReport> {
    return this.call("heap", { op: "heap" });
  }

  close(): void {
    if (this.failure === null) this.fail("failed to detect hands: the HandLandmarker is closed");
    // terminate() frees the worker's whole wasm memory at once.
    this.worker.terminate();
  }
}

/** The engine on the calling (page) thread: every call blocks until done. */
export class PageEngineClient implements EngineClient {
  readonly location = "page" as const;

  private constructor(private readonly engine: WasmEngine) {}

  static async create(init: EngineInit): Promise<PageEngineClient> {
    return new PageEngineClient(await WasmEngine.create(init));
  }

  get description(): EngineDescription {
    return this.engine.description;
  }

  /** The synchronous path: reads the image and runs it now. */
  detectNow(image: ImageSource, timestampMs: number): RawResult {
    const pixels = readPixels(image);
    return this.engine.detect(pixels.data, pixels.width, pixels.height, timestampMs);
  }

  async snapshot(image: ImageSource): Promise<FrameSnapshot> {
    const pixels = readPixels(image);
    // The scratch canvas gives a fresh array; an ImageData's is the caller's.
    const data = pixels.data instanceof Uint8ClampedArray && typeof ImageData === "function" && image instanceof ImageData
      ? pixels.data.slice()
      : pixels.data;
    return { kind: "pixels", pixels: { ...pixels, data } };
  }

  discard(_snapshot: FrameSnapshot): void {}

  async detect(snapshot: FrameSnapshot, timestampMs: number): Promise<RawResult> {
    if (snapshot.kind !== "pixels") throw new Error("failed to detect hands: internal: a worker snapshot sent to the page engine");
    const { data, width, height } = snapshot.pixels;
    return this.engine.detect(data, width, height, timestampMs);
  }

  setOptionsNow(options: EngineOptions): void {
    this.engine.setOptions(options);
  }

  async setOptions(options: EngineOptions): Promise<void> {
    this.engine.setOptions(options);
  }

  async timeModel(model: Uint8Array, name: string, delegate: string, threads: number, warmup: number, runs: number): Promise<ModelTiming> {
    return this.engine.timeModel(model, name, delegate, threads, warmup, runs);
  }

  heapNow(): HeapReport {
    return this.engine.heap();
  }

  async heap(): Promise<HeapReport> {
    return this.engine.heap();
  }

  close(): void {
    this.engine.close();
  }
}

// Turning the image types MediaPipe accepts into RGBA pixels: checked first
// (zero-size, detached, closed or not-yet-loaded images are refused with a
// one-line reason), then read on the page's thread for the synchronous calls,
// or handed to the engine's worker as a transferable frame for the async ones.

import type { ImageSource } from "./types.js";

/** Tightly packed RGBA rows. */
export interface Pixels {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** A frame on its way to the worker (its contents are transferred). */
export type TransferFrame =
  | { kind: "bitmap"; bitmap: ImageBitmap }
  | { kind: "video-frame"; frame: VideoFrame }
  | { kind: "pixels"; data: ArrayBuffer; width: number; height: number };

const kMaxSide = 16384;

function has(name: string): boolean {
  return typeof (globalThis as Record<string, unknown>)[name] === "function";
}

function isInstance<T>(value: unknown, name: string): value is T {
  return has(name) && value instanceof ((globalThis as Record<string, unknown>)[name] as abstract new () => unknown);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return (value as object).constructor?.name ?? "an object";
}

/**
 * The image's size, after checking that it has pixels to read. Throws
 * "failed to read image: <reason>".
 */
export function checkImage(image: ImageSource): { width: number; height: number } {
  const fail = (reason: string): never => {
    throw new Error(`failed to read image: ${reason}`);
  };
  let width = 0;
  let height = 0;
  if (isInstance<ImageData>(image, "ImageData")) {
    if (image.data.byteLength === 0) fail("the ImageData's buffer is detached (transferred elsewhere)");
    ({ width, height } = image);
    if (image.data.byteLength !== width * height * 4) {
      fail(`the ImageData holds ${image.data.byteLength} bytes, not ${width}x${height}x4`);
    }
  } else if (isInstance<ImageBitmap>(image, "ImageBitmap")) {
    ({ width, height } = image);
    if (width === 0 || height === 0) fail("the ImageBitmap is closed or detached (0x0)");
  } else if (isInstance<VideoFrame>(image, "VideoFrame")) {
    if (image.format === null && image.codedWidth === 0) fail("the VideoFrame is closed");
    width = image.displayWidth;
    height = image.displayHeight;
  } else if (isInstance<HTMLImageElement>(image, "HTMLImageElement")) {
    if (!image.complete || image.naturalWidth === 0) {
      fail(`the HTMLImageElement has no pixels yet (not loaded or broken: ${image.currentSrc || image.src || "no src"})`);
    }
    width = image.naturalWidth;
    height = image.naturalHeight;
  } else if (isInstance<HTMLVideoElement>(image, "HTMLVideoElement")) {
    if (image.readyState < 2 || image.videoWidth === 0) {
      fail(`the HTMLVideoElement has no current frame (readyState ${image.readyState})`);
    }
    width = image.videoWidth;
    height = image.videoHeight;
  } else if (isInstance<HTMLCanvasElement>(image, "HTMLCanvasElement") || isInstance<OffscreenCanvas>(image, "OffscreenCanvas")) {
    try {
      ({ width, height } = image);
    } catch {
      fail("the canvas is detached (transferred to a worker)");
    }
  } else {
    fail(
      `expected an HTMLImageElement, HTMLVideoElement, HTMLCanvasElement, ImageBitmap, ImageData, VideoFrame or OffscreenCanvas, got ${describe(image)}`,
    );
  }
  if (width === 0 || height === 0) fail(`the image is empty (${width}x${height})`);
  if (width > kMaxSide || height > kMaxSide) fail(`the image is ${width}x${height}, larger than ${kMaxSide} on a side`);
  return { width, height };
}

type Context2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
let scratch: { canvas: OffscreenCanvas | HTMLCanvasElement; context: Context2D } | null = null;

/** A reusable 2-D canvas of at least width x height for reading pixels back. */
function scratchContext(width: number, height: number): Context2D {
  if (scratch === null) {
    const canvas: OffscreenCanvas | HTMLCanvasElement = has("OffscreenCanvas")
      ? new OffscreenCanvas(width, height)
      : document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true }) as Context2D | null;
    if (context === null) throw new Error("failed to read image: no 2-D canvas context in this browser");
    scratch = { canvas, context };
  }
  if (scratch.canvas.width !== width || scratch.canvas.height !== height) {
    scratch.canvas.width = width;
    scratch.canvas.height = height;
  }
  return scratch.context;
}

/** Draws any drawable image 1:1 and reads its RGBA pixels back. */
function drawAndRead(image: CanvasImageSource, width: number, height: number): Pixels {
  const context = scratchContext(width, height);
  context.globalCompositeOperation = "copy";
  context.imageSmoothingEnabled = false;
  context.drawImage(image, 0, 0, width, height);
  const data = context.getImageData(0, 0, width, height).data;
  return { data, width, height };
}

/** Reads an image's RGBA pixels on the calling thread (the synchronous calls). */
export function readPixels(image: ImageSource): Pixels {
  const { width, height } = checkImage(image);
  if (isInstance<ImageData>(image, "ImageData")) return { data: image.data, width, height };
  return drawAndRead(image as CanvasImageSource, width, height);
}

/**
 * Snapshots an image for the worker without blocking the page: the frame is a
 * copy, so the caller keeps its image (a video element may show the next
 * frame meanwhile).
 */
export async function toTransferFrame(image: ImageSource): Promise<{ frame: TransferFrame; transfer: Transferable[] }> {
  const { width, height } = checkImage(image);
  if (isInstance<ImageData>(image, "ImageData")) {
    const data = image.data.slice().buffer;
    return { frame: { kind: "pixels", data, width, height }, transfer: [data] };
  }
  if (isInstance<VideoFrame>(image, "VideoFrame")) {
    const frame = image.clone();
    return { frame: { kind: "video-frame", frame }, transfer: [frame as unknown as Transferable] };
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(image as ImageBitmapSource);
  } catch (error) {
    throw new Error(`failed to read image: ${(error as Error).message ?? String(error)}`);
  }
  return { frame: { kind: "bitmap", bitmap }, transfer: [bitmap] };
}

/** In the worker: the pixels of a transferred frame; the frame is closed. */
export function readTransferFrame(frame: TransferFrame): Pixels {
  if (frame.kind === "pixels") return { data: new Uint8Array(frame.data), width: frame.width, height: frame.height };
  if (frame.kind === "bitmap") {
    try {
      return drawAndRead(frame.bitmap, frame.bitmap.width, frame.bitmap.height);
    } finally {
      frame.bitmap.close();
    }
  }
  try {
    return drawAndRead(frame.frame, frame.frame.displayWidth, frame.frame.displayHeight);
  } finally {
    frame.frame.close();
  }
}

/** Frees a frame that will not be read (e.g. a dropped live-stream frame). */
export function discardTransferFrame(frame: TransferFrame): void {
  if (frame.kind === "bitmap") frame.bitmap.close();
  else if (frame.kind === "video-frame") frame.frame.close();
}

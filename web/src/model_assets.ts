// Where the two models' bytes come from: a MediaPipe `.task` bundle (a zip of
// hand_detector.tflite and hand_landmarks_detector.tflite, by URL or bytes),
// a folder of handtrack's .tflite files, or the models shipped in the package.
// The bytes are checked by the module itself when the landmarker is created.

import { unzipSync } from "fflate";

import type { BaseOptions, ModelVariant } from "./types.js";

export interface ModelBytes {
  palm: Uint8Array;
  landmark: Uint8Array;
  /** Which models these are; the module uses it to name them. */
  variant: ModelVariant;
  /** Where they came from, for messages. */
  source: string;
}

// Names inside MediaPipe's hand_landmarker.task, and handtrack's own names.
const kTaskPalmNames = ["hand_detector.tflite", "palm_detection_full.tflite", "palm_detection_lite.tflite"];
const kTaskLandmarkNames = ["hand_landmarks_detector.tflite", "hand_landmark_full.tflite", "hand_landmark_lite.tflite"];
// The full landmark model is 5.5 MB, the lite one 2.1 MB: a .task does not
// say which it holds, and the variant only names the models.
const kFullLandmarkModelMinBytes = 3_500_000;

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`failed to fetch ${what} ${url}: ${(error as Error).message ?? String(error)}`);
  }
  if (!response.ok) throw new Error(`failed to fetch ${what} ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function readAll(reader: ReadableStreamDefaultReader): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer);
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function isZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * The files of a zip archive by name, read by fflate (stored and deflated
 * entries). Synchronous: fflate's asynchronous reader starts workers of its
 * own, which a page's content security policy may forbid.
 */
function unzip(bytes: Uint8Array): Map<string, Uint8Array> {
  try {
    return new Map(Object.entries(unzipSync(bytes)));
  } catch (error) {
    throw new Error(`it is not a readable zip archive (${(error as Error).message ?? String(error)})`);
  }
}

async function fromTask(bytes: Uint8Array, source: string): Promise<ModelBytes> {
  let files: Map<string, Uint8Array>;
  try {
    files = unzip(bytes);
  } catch (error) {
    throw new Error(`failed to read the model bundle ${source}: ${(error as Error).message}`);
  }
  const find = (names: string[]): Uint8Array => {
    for (const name of names) {
      for (const [path, data] of files) if (path === name || path.endsWith(`/${name}`)) return data;
    }
    throw new Error(`failed to read the model bundle ${source}: it holds no ${names[0]} (found: ${[...files.keys()].join(", ") || "nothing"})`);
  };
  const palm = find(kTaskPalmNames);
  const landmark = find(kTaskLandmarkNames);
  return { palm, landmark, variant: landmark.byteLength >= kFullLandmarkModelMinBytes ? "full" : "lite", source };
}

async function fromFolder(folder: string, variant: ModelVariant): Promise<ModelBytes> {
  const [palm, landmark] = await Promise.all([
    fetchBytes(new URL(`palm_detection_${variant}.tflite`, folder).href, "model"),
    fetchBytes(new URL(`hand_landmark_${variant}.tflite`, folder).href, "model"),
  ]);
  return { palm, landmark, variant, source: folder };
}

/**
 * The models named by baseOptions; packageModels is the folder of the models
 * shipped with the package (used when baseOptions names none).
 */
export async function loadModels(
  baseOptions: BaseOptions | undefined,
  variant: ModelVariant,
  packageModels: string,
): Promise<ModelBytes> {
  const buffer = baseOptions?.modelAssetBuffer;
  const path = baseOptions?.modelAssetPath;
  if (buffer !== undefined && path !== undefined) {
    throw new Error("failed to load the models: give modelAssetPath or modelAssetBuffer, not both");
  }
  if (buffer !== undefined) {
    const bytes = buffer instanceof Uint8Array ? buffer : await readAll(buffer);
    if (!isZip(bytes)) {
      throw new Error(
        `failed to read the model bundle modelAssetBuffer: its ${bytes.byteLength} bytes are not a .task bundle (a zip of hand_detector.tflite and hand_landmarks_detector.tflite)`,
      );
    }
    return fromTask(bytes, "modelAssetBuffer");
  }
  if (path === undefined) return fromFolder(packageModels, variant);
  const url = new URL(path, globalThis.location?.href).href;
  if (url.endsWith("/")) return fromFolder(url, variant);
  const bytes = await fetchBytes(url, "model bundle");
  if (!isZip(bytes)) {
    throw new Error(`failed to read the model bundle ${url}: it is not a .task bundle (a zip of the two .tflite models); for a folder of .tflite files end the path with "/"`);
  }
  return fromTask(bytes, url);
}

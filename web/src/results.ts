// The module's per-hand float records (HT_HAND_* in handtrack_wasm.h) turned
// into MediaPipe's result objects plus handtrack's details.

import type { RawResult } from "./wasm_engine.js";
import { kHandRecordFloats } from "./wasm_engine.js";
import type { Category, HandDetails, HandtrackResult, Landmark, NormalizedLandmark } from "./types.js";

// Offsets in a hand record (handtrack_wasm.h).
const kId = 0;
const kHandednessIndex = 1;
const kHandednessScore = 2;
const kModelOutput = 3;
const kPresence = 4;
const kLandmarks = 5;
const kWorldLandmarks = 68;
const kGesture = 131;
const kGestureScore = 132;
const kFingerCount = 133;
const kPinch = 134;
const kPinchDistance = 135;
const kExtended = 136;
const kPalmFacing = 141;
const kPinchEvent = 142;
const kPinchDurationMs = 143;
const kNumLandmarks = 21;

/** MediaPipe's label for each handedness class index. */
const kHandednessLabels = ["Right", "Left"];

function points(record: Float32Array, offset: number): NormalizedLandmark[] {
  const out: NormalizedLandmark[] = new Array(kNumLandmarks);
  for (let i = 0; i < kNumLandmarks; ++i) {
    const at = offset + 3 * i;
    out[i] = { x: record[at], y: record[at + 1], z: record[at + 2], visibility: 0 };
  }
  return out;
}

/** Builds the result; gestureNames maps HT_HAND_GESTURE to a name. */
export function toResult(raw: RawResult, gestureNames: readonly string[]): HandtrackResult {
  const landmarks: NormalizedLandmark[][] = [];
  const worldLandmarks: Landmark[][] = [];
  const handedness: Category[][] = [];
  const hands: HandDetails[] = [];
  for (let hand = 0; hand < raw.numHands; ++hand) {
    const record = raw.records.subarray(hand * kHandRecordFloats, (hand + 1) * kHandRecordFloats);
    const index = Math.round(record[kHandednessIndex]);
    landmarks.push(points(record, kLandmarks));
    worldLandmarks.push(points(record, kWorldLandmarks));
    handedness.push([
      { score: record[kHandednessScore], index, categoryName: kHandednessLabels[index] ?? "", displayName: "" },
    ]);
    const event = Math.round(record[kPinchEvent]);
    hands.push({
      id: Math.round(record[kId]),
      presence: record[kPresence],
      handednessModelOutput: record[kModelOutput],
      gesture: { name: gestureNames[Math.round(record[kGesture])] ?? "None", score: record[kGestureScore] },
      fingerCount: Math.round(record[kFingerCount]),
      extendedFingers: [0, 1, 2, 3, 4].map((finger) => record[kExtended + finger] !== 0) as HandDetails["extendedFingers"],
      palmFacingCamera: record[kPalmFacing] !== 0,
      pinch: {
        active: record[kPinch] !== 0,
        distance: record[kPinchDistance],
        event: event === 1 ? "started" : event === 2 ? "ended" : null,
        durationMs: record[kPinchDurationMs],
      },
    });
  }
  // tasks-vision's field order; handednesses is its deprecated alias.
  const result = { landmarks, worldLandmarks, handednesses: handedness, handedness };
  Object.defineProperty(result, "hands", { value: hands, enumerable: false });
  Object.defineProperty(result, "palmDetectionRan", { value: raw.palmDetectionRan, enumerable: false });
  return result as HandtrackResult;
}

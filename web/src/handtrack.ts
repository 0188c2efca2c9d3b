// @handtrack/tasks-vision: MediaPipe Tasks' HandLandmarker API on handtrack's
// WebAssembly engine. Code written for `@mediapipe/tasks-vision` runs by
// changing its import to this package; see README.md for what handtrack adds
// (the Web Worker engine, async and live-stream calls, hand ids, smoothing,
// gestures, finger count, pinch, and reports of the backend and build).

export { DrawingUtils, type BoundingBox, type DrawingOptions, type LandmarkData } from "./drawing_utils.js";
export { FilesetResolver } from "./fileset.js";
export { HandLandmarker, type ImageProcessingOptions } from "./landmarker.js";
export type * from "./types.js";

// Hands as the pages draw them, whichever engine found them: the package in this browser,
// the server's /v1/live socket, or a session's frames from the API. Skeletons are drawn by
// the package's DrawingUtils (MediaPipe's), coloured by hand id.
import { DrawingUtils, HandLandmarker, type NormalizedLandmark } from "@handtrack/tasks-vision";
import { handColour } from "./ui.js";

export interface Hand {
  /** Stable while the hand is tracked. */
  id: number;
  /** "Left" or "Right": the real hand (the engines get the camera's unmirrored frames). */
  handedness: string;
  /** 21 landmarks, x and y normalised to the frame. */
  landmarks: NormalizedLandmark[];
  fingerCount: number;
  gesture: string;
  pinch: boolean;
}

/** A landmark triple [x, y, z] of the API's JSON as the package's landmark type. */
export function landmarkFromTriple([x, y, z]: number[]): NormalizedLandmark {
  return { x, y, z, visibility: 0 };
}

/**
 * Draws each hand's skeleton and a label ("#id Left, 3 fingers") on `context`, whose canvas
 * has the frame's aspect. mirrored: the frame is shown mirrored (a selfie view): the
 * skeleton is mirrored with it, the labels are not, so they stay readable and name the
 * real hand.
 */
export function drawHands(context: CanvasRenderingContext2D, hands: Hand[], { mirrored = false, labels = true } = {}): void {
  const { width, height } = context.canvas;
  const scale = Math.max(1, Math.min(width, height) / 360);
  const drawing = new DrawingUtils(context);
  for (const hand of hands) {
    const colour = handColour(hand.id);
    context.save();
    if (mirrored) context.setTransform(-1, 0, 0, 1, width, 0);
    drawing.drawConnectors(hand.landmarks, HandLandmarker.HAND_CONNECTIONS, { color: colour, lineWidth: 3 * scale });
    drawing.drawLandmarks(hand.landmarks, { color: "#ffffff", fillColor: colour, lineWidth: scale, radius: 3 * scale });
    context.restore();
    if (!labels) continue;
    const wrist = hand.landmarks[0];
    const x = (mirrored ? 1 - wrist.x : wrist.x) * width;
    const y = Math.min(height - 4 * scale, wrist.y * height + 22 * scale);
    const text = `#${hand.id} ${hand.handedness}${hand.pinch ? " · pinch" : ""}`;
    context.save();
    context.font = `600 ${Math.round(14 * scale)}px system-ui, sans-serif`;
    const textWidth = context.measureText(text).width;
    const left = Math.max(2, Math.min(width - textWidth - 10 * scale, x - textWidth / 2));
    context.fillStyle = colour;
    context.fillRect(left - 4 * scale, y - 15 * scale, textWidth + 8 * scale, 20 * scale);
    context.fillStyle = "#000000";
    context.fillText(text, left, y);
    context.restore();
  }
}

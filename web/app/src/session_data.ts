// A session's frames (the API's JSON Lines, as `handtrack track` writes them) turned into
// what the session page shows: per-frame series for the charts, the counts those series
// add up to (which must equal the server's summary), and the strokes drawn while pinching.
// Pure functions: no DOM.

export interface FrameHand {
  id: number;
  handedness: { label: string; score: number };
  landmarks: number[][];
  gesture: string;
  gesture_score: number;
  finger_count: number;
  pinch: boolean;
  pinch_event?: "start" | "end";
}

export interface Frame {
  index: number;
  timestamp_ms: number;
  width: number;
  height: number;
  hands: FrameHand[];
}

/** MediaPipe's gesture names, in the order the gesture chart stacks them. */
export const kGestures = ["None", "Closed_Fist", "Open_Palm", "Pointing_Up", "Thumb_Down", "Thumb_Up", "Victory", "ILoveYou"];

/** Parses JSON Lines; throws "failed to read the frames: line N: ..." on a bad line. */
export function parseFrames(text: string): Frame[] {
  const frames: Frame[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; ++i) {
    if (lines[i].trim() === "") continue;
    try {
      frames.push(JSON.parse(lines[i]) as Frame);
    } catch (error) {
      throw new Error(`failed to read the frames: line ${i + 1}: ${(error as Error).message}`);
    }
  }
  return frames;
}

export interface HandInfo {
  id: number;
  handedness: string;
}

/** The hands of a session, by id, with the handedness of each (as the summary gives it: the last seen). */
export function handsOf(frames: Frame[]): HandInfo[] {
  const hands = new Map<number, string>();
  for (const frame of frames) for (const hand of frame.hands) hands.set(hand.id, hand.handedness.label);
  return [...hands.entries()].sort((a, b) => a[0] - b[0]).map(([id, handedness]) => ({ id, handedness }));
}

/** Series for the charts: x is seconds; a hand's value is null while it is not seen. */
export interface Timeline {
  seconds: number[];
  handsPresent: number[];
  hands: HandInfo[];
  /** Per hand (same order as `hands`): fingers extended, 0 to 5. */
  fingers: (number | null)[][];
  /** Per hand: the gesture's index in kGestures. */
  gestures: (number | null)[][];
  /** Per hand: the hand's row (1, 2, ...) while it pinches. */
  pinching: (number | null)[][];
  /** Per hand: the hand's row on the frames where a pinch starts. */
  pinchStarts: (number | null)[][];
}

export function timeline(frames: Frame[]): Timeline {
  const hands = handsOf(frames);
  const row = new Map(hands.map((hand, i) => [hand.id, i]));
  const out: Timeline = {
    seconds: frames.map((frame) => frame.timestamp_ms / 1000),
    handsPresent: frames.map((frame) => frame.hands.length),
    hands,
    fingers: hands.map(() => new Array(frames.length).fill(null)),
    gestures: hands.map(() => new Array(frames.length).fill(null)),
    pinching: hands.map(() => new Array(frames.length).fill(null)),
    pinchStarts: hands.map(() => new Array(frames.length).fill(null)),
  };
  frames.forEach((frame, f) => {
    for (const hand of frame.hands) {
      const r = row.get(hand.id)!;
      out.fingers[r][f] = hand.finger_count;
      out.gestures[r][f] = Math.max(0, kGestures.indexOf(hand.gesture));
      if (hand.pinch) out.pinching[r][f] = r + 1;
      if (hand.pinch_event === "start") out.pinchStarts[r][f] = r + 1;
    }
  });
  return out;
}

/** What the charts' series add up to, in the summary's terms. */
export interface TimelineCounts {
  frames: number;
  framesWithHands: number;
  pinchCount: number;
  hands: { id: number; handedness: string; frames: number; gestures: Record<string, number>; pinchCount: number }[];
}

/** Counts read off the charts' series (not off the frames), so they check what is drawn. */
export function countTimeline(t: Timeline): TimelineCounts {
  const hands = t.hands.map((hand, r) => {
    const gestures: Record<string, number> = {};
    for (const g of t.gestures[r]) if (g !== null) gestures[kGestures[g]] = (gestures[kGestures[g]] ?? 0) + 1;
    return {
      id: hand.id,
      handedness: hand.handedness,
      frames: t.fingers[r].filter((v) => v !== null).length,
      gestures,
      pinchCount: t.pinchStarts[r].filter((v) => v !== null).length,
    };
  });
  return {
    frames: t.seconds.length,
    framesWithHands: t.handsPresent.filter((n) => n > 0).length,
    pinchCount: hands.reduce((n, hand) => n + hand.pinchCount, 0),
    hands,
  };
}

export interface Point {
  x: number;
  y: number;
}

/**
 * The strokes drawn while pinching, per hand id, in pixels: the index fingertip on each
 * pinching frame, a new stroke at each pinch (as `handtrack track` draws and measures them).
 */
export function pinchStrokes(frames: Frame[]): Map<number, Point[][]> {
  const strokes = new Map<number, Point[][]>();
  const open = new Map<number, Point[]>();
  for (const frame of frames) {
    const seen = new Set<number>();
    for (const hand of frame.hands) {
      seen.add(hand.id);
      if (!hand.pinch) {
        open.delete(hand.id);
        continue;
      }
      let stroke = open.get(hand.id);
      if (stroke === undefined) {
        stroke = [];
        open.set(hand.id, stroke);
        strokes.set(hand.id, [...(strokes.get(hand.id) ?? []), stroke]);
      }
      stroke.push({ x: hand.landmarks[8][0] * frame.width, y: hand.landmarks[8][1] * frame.height });
    }
    for (const id of open.keys()) if (!seen.has(id)) open.delete(id);
  }
  return strokes;
}

export function strokeLength(strokes: Point[][]): number {
  let length = 0;
  for (const stroke of strokes) for (let i = 1; i < stroke.length; ++i) length += Math.hypot(stroke[i].x - stroke[i - 1].x, stroke[i].y - stroke[i - 1].y);
  return length;
}

/** The frame shown at media time `seconds`: the last whose timestamp is not after it. */
export function frameAt(frames: Frame[], seconds: number): number {
  const ms = seconds * 1000 + 0.5;  // media times carry float noise
  let lo = 0;
  let hi = frames.length - 1;
  if (hi < 0 || frames[0].timestamp_ms > ms) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frames[mid].timestamp_ms <= ms) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

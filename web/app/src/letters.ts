// "Trace the letter": letters as strokes in a unit square (x right, y down), and how
// closely a traced trail follows one. Pure functions: tests run them under node too.

export interface Point {
  x: number;
  y: number;
}
export type Stroke = Point[];

function line(...points: [number, number][]): Stroke {
  return points.map(([x, y]) => ({ x, y }));
}

/** An arc of the circle (cx, cy, r) from angle a0 to a1 in degrees (0 = right, 90 = down). */
function arc(cx: number, cy: number, r: number, a0: number, a1: number): Stroke {
  const steps = Math.max(8, Math.ceil(Math.abs(a1 - a0) / 10));
  const out: Stroke = [];
  for (let i = 0; i <= steps; ++i) {
    const a = ((a0 + ((a1 - a0) * i) / steps) * Math.PI) / 180;
    out.push({ x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) });
  }
  return out;
}

/** The letters on offer, each a list of strokes in the unit square. */
export const kLetters: Record<string, Stroke[]> = {
  A: [line([0.15, 0.9], [0.5, 0.1], [0.85, 0.9]), line([0.3, 0.58], [0.7, 0.58])],
  C: [arc(0.5, 0.5, 0.4, -45, -315)],
  L: [line([0.25, 0.1], [0.25, 0.9], [0.75, 0.9])],
  M: [line([0.1, 0.9], [0.1, 0.1], [0.5, 0.6], [0.9, 0.1], [0.9, 0.9])],
  N: [line([0.2, 0.9], [0.2, 0.1], [0.8, 0.9], [0.8, 0.1])],
  O: [arc(0.5, 0.5, 0.4, -90, 270)],
  S: [[...arc(0.5, 0.3, 0.2, -30, -270), ...arc(0.5, 0.7, 0.2, -90, 150).slice(1)]],
  U: [[...line([0.2, 0.1], [0.2, 0.6]), ...arc(0.5, 0.6, 0.3, 180, 0).slice(1), ...line([0.8, 0.6], [0.8, 0.1]).slice(1)]],
  V: [line([0.15, 0.1], [0.5, 0.9], [0.85, 0.1])],
  W: [line([0.1, 0.1], [0.3, 0.9], [0.5, 0.4], [0.7, 0.9], [0.9, 0.1])],
  Z: [line([0.2, 0.1], [0.8, 0.1], [0.2, 0.9], [0.8, 0.9])],
};

/** Points along the strokes, `spacing` apart (the strokes' own points kept). */
export function resample(strokes: Stroke[], spacing: number): Point[] {
  const out: Point[] = [];
  for (const stroke of strokes) {
    if (stroke.length === 1) out.push(stroke[0]);
    for (let i = 1; i < stroke.length; ++i) {
      const a = stroke[i - 1];
      const b = stroke[i];
      const length = Math.hypot(b.x - a.x, b.y - a.y);
      const steps = Math.max(1, Math.ceil(length / spacing));
      for (let k = i === 1 ? 0 : 1; k <= steps; ++k) out.push({ x: a.x + ((b.x - a.x) * k) / steps, y: a.y + ((b.y - a.y) * k) / steps });
    }
  }
  return out;
}

function nearest(point: Point, points: Point[]): number {
  let best = Infinity;
  for (const p of points) best = Math.min(best, Math.hypot(p.x - point.x, p.y - point.y));
  return best;
}

export interface TraceScore {
  /** 0 to 100: the harmonic mean of coverage and accuracy. */
  score: number;
  /** The share of the letter that the trail passed near, 0 to 1. */
  coverage: number;
  /** The share of the trail that lies near the letter, 0 to 1. */
  accuracy: number;
}

/**
 * How closely `trail` (strokes in the letter's unit square) follows `letter`: a point is
 * near when within `tolerance` (a share of the square's side). A trail that covers the
 * whole letter and nothing else scores 100; no trail scores 0.
 */
export function scoreTrace(letter: Stroke[], trail: Stroke[], tolerance = 0.1): TraceScore {
  const spacing = tolerance / 4;
  const letterPoints = resample(letter, spacing);
  const trailPoints = resample(trail.filter((stroke) => stroke.length > 0), spacing);
  if (trailPoints.length === 0 || letterPoints.length === 0) return { score: 0, coverage: 0, accuracy: 0 };
  const coverage = letterPoints.filter((p) => nearest(p, trailPoints) <= tolerance).length / letterPoints.length;
  const accuracy = trailPoints.filter((p) => nearest(p, letterPoints) <= tolerance).length / trailPoints.length;
  const score = coverage + accuracy > 0 ? (200 * coverage * accuracy) / (coverage + accuracy) : 0;
  return { score: Math.round(score), coverage, accuracy };
}

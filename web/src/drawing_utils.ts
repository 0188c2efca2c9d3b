// MediaPipe's DrawingUtils for a 2-D canvas, so that code drawing hands with
// tasks-vision's helper keeps working after the import changes. Written from
// tasks-vision 1.1.0's declared API; the WebGL2 path is not provided.

import type { Connection, NormalizedLandmark } from "./types.js";

/** What a style callback is given: the landmark (drawLandmarks) or the connection's ends (drawConnectors). */
export interface LandmarkData {
  index?: number;
  from?: NormalizedLandmark;
  to?: NormalizedLandmark;
}

type Paint = string | CanvasGradient | CanvasPattern;
type Styled<T> = T | ((data: LandmarkData) => T);

/** How to draw (as tasks-vision's DrawingOptions). */
export interface DrawingOptions {
  /** Line colour (and landmark outline). Default "white". */
  color?: Styled<Paint>;
  /** Landmark fill. Default: the colour. */
  fillColor?: Styled<Paint>;
  /** Default 4 pixels. */
  lineWidth?: Styled<number>;
  /** Landmark radius, default 6 pixels. */
  radius?: Styled<number>;
}

/** An axis-aligned box in pixels (as tasks-vision's BoundingBox). */
export interface BoundingBox {
  originX: number;
  originY: number;
  width: number;
  height: number;
  angle: number;
}

const kDefaults = { color: "white", lineWidth: 4, radius: 6 };

function resolve<T>(value: Styled<T> | undefined, data: LandmarkData, fallback: T): T {
  if (value === undefined) return fallback;
  return typeof value === "function" ? (value as (data: LandmarkData) => T)(data) : value;
}

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Draws landmarks, connections and boxes on a 2-D canvas context (the caller's; not owned). */
export class DrawingUtils {
  private readonly context: Context2D;

  constructor(context: Context2D, gpuContext?: WebGL2RenderingContext) {
    void gpuContext;
    if (context === null || context === undefined || typeof (context as Context2D).arc !== "function") {
      throw new Error("failed to create DrawingUtils: handtrack draws on a 2-D canvas context only (no WebGL2 path)");
    }
    this.context = context;
  }

  /** x limited to [x0, x1]. */
  static clamp(x: number, x0: number, x1: number): number {
    return Math.min(Math.max(x, x0), x1);
  }

  /** x mapped linearly from [x0, x1] to [y0, y1], clamped. */
  static lerp(x: number, x0: number, x1: number, y0: number, y1: number): number {
    const t = DrawingUtils.clamp((x - x0) / (x1 - x0), 0, 1);
    return y0 + t * (y1 - y0);
  }

  /** A filled, outlined circle at each landmark. */
  drawLandmarks(landmarks?: NormalizedLandmark[], style?: DrawingOptions): void {
    if (!landmarks) return;
    const context = this.context;
    const { width, height } = context.canvas;
    context.save();
    landmarks.forEach((landmark, index) => {
      const data = { index, from: landmark };
      const color = resolve(style?.color, data, kDefaults.color);
      context.fillStyle = resolve(style?.fillColor, data, color);
      context.strokeStyle = color;
      context.lineWidth = resolve(style?.lineWidth, data, kDefaults.lineWidth);
      context.beginPath();
      context.arc(landmark.x * width, landmark.y * height, resolve(style?.radius, data, kDefaults.radius), 0, 2 * Math.PI);
      context.fill();
      context.stroke();
    });
    context.restore();
  }

  /** A line for each connection between two landmarks. */
  drawConnectors(landmarks?: NormalizedLandmark[], connections?: Connection[], style?: DrawingOptions): void {
    if (!landmarks || !connections) return;
    const context = this.context;
    const { width, height } = context.canvas;
    context.save();
    for (const { start, end } of connections) {
      const from = landmarks[start];
      const to = landmarks[end];
      if (from === undefined || to === undefined) continue;
      const data = { index: start, from, to };
      context.strokeStyle = resolve(style?.color, data, kDefaults.color);
      context.lineWidth = resolve(style?.lineWidth, data, kDefaults.lineWidth);
      context.beginPath();
      context.moveTo(from.x * width, from.y * height);
      context.lineTo(to.x * width, to.y * height);
      context.stroke();
    }
    context.restore();
  }

  /** The box's outline, in pixels. */
  drawBoundingBox(box: BoundingBox, style?: DrawingOptions): void {
    const context = this.context;
    context.save();
    context.strokeStyle = resolve(style?.color, {}, kDefaults.color);
    context.lineWidth = resolve(style?.lineWidth, {}, kDefaults.lineWidth);
    context.strokeRect(box.originX, box.originY, box.width, box.height);
    context.restore();
  }

  /** Nothing to free on a 2-D context (kept for parity). */
  close(): void {}
}

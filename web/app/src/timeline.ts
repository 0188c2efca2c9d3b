// The session's timeline: four charts (uPlot) on one time axis, their cursors in sync:
// hands in view, fingers per hand, gesture per hand, pinches. Hovering shows the frame,
// clicking seeks the video there. Each chart's caption gives the counts its series add up
// to (session_data.ts's countTimeline), in words and figures.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { countTimeline, kGestures, type Timeline, type TimelineCounts } from "./session_data.js";
import { handColour } from "./ui.js";

export interface TimelineView {
  counts: TimelineCounts;
  /** Moves the "now" line to media time `seconds`. */
  setTime(seconds: number): void;
  resize(): void;
}

const kSyncKey = "handtrack-session";

function handName(hand: { id: number; handedness: string }): string {
  return `#${hand.id} ${hand.handedness}`;
}

function figure(container: HTMLElement, title: string): { chart: HTMLElement; caption: HTMLElement } {
  const element = document.createElement("figure");
  element.className = "chart";
  const heading = document.createElement("h3");
  heading.textContent = title;
  const chart = document.createElement("div");
  chart.className = "chart-plot";
  chart.setAttribute("aria-hidden", "true");  // the caption says what the chart shows
  const caption = document.createElement("figcaption");
  element.append(heading, chart, caption);
  container.append(element);
  return { chart, caption };
}

/** A caption such as "Hands in view on <171> of <180> frames", numbers as data-count spans. */
function fillCaption(caption: HTMLElement, parts: (string | [string, number])[]): void {
  caption.replaceChildren(
    ...parts.map((part) => {
      if (typeof part === "string") return document.createTextNode(part);
      const span = document.createElement("span");
      span.dataset.count = part[0];
      span.textContent = String(part[1]);
      return span;
    }),
  );
}

export function buildTimeline(
  container: HTMLElement,
  t: Timeline,
  { onHover, onSeek }: { onHover: (frame: number) => void; onSeek: (frame: number) => void },
): TimelineView {
  const counts = countTimeline(t);
  container.replaceChildren();
  let nowSeconds = 0;
  const charts: uPlot[] = [];
  const width = (): number => Math.max(240, container.clientWidth - 8);
  const stepped = uPlot.paths.stepped!({ align: 1 });
  const xAxis: uPlot.Axis = { values: (_u, splits) => splits.map((s) => `${s.toFixed(s % 1 ? 1 : 0)} s`) };
  const nowLine = (u: uPlot): void => {
    const x = u.valToPos(nowSeconds, "x", true);
    const { top, height } = u.bbox;
    u.ctx.save();
    u.ctx.strokeStyle = "#d32f2f";
    u.ctx.lineWidth = 2 * devicePixelRatio;
    u.ctx.beginPath();
    u.ctx.moveTo(x, top);
    u.ctx.lineTo(x, top + height);
    u.ctx.stroke();
    u.ctx.restore();
  };
  const make = (target: HTMLElement, series: uPlot.Series[], data: uPlot.AlignedData, y: Partial<uPlot.Scale>, yAxis: uPlot.Axis, height = 150): void => {
    const chart = new uPlot(
      {
        width: width(),
        height,
        series: [{ label: "time (s)", value: (_u, v) => (v === null ? "–" : `${v.toFixed(2)} s`) }, ...series],
        scales: { x: { time: false }, y: { auto: false, ...y } },
        axes: [xAxis, { size: 96, ...yAxis }],
        cursor: {
          sync: { key: kSyncKey },
          drag: { x: false, y: false },
          points: { size: 6 },
        },
        legend: { live: true },
        hooks: {
          setCursor: [
            (u) => {
              if (u.cursor.idx !== null && u.cursor.idx !== undefined) onHover(u.cursor.idx);
            },
          ],
          draw: [nowLine],
        },
      },
      data,
      target,
    );
    // To the frame the hover shows (the nearest one), not to the time under the pointer,
    // which may fall just before that frame starts.
    chart.over.addEventListener("click", () => {
      const index = chart.cursor.idx;
      if (index !== null && index !== undefined) onSeek(index);
    });
    charts.push(chart);
  };

  // 1. Hands in view.
  {
    const { chart, caption } = figure(container, "Hands in view");
    const most = Math.max(2, ...t.handsPresent);
    make(chart, [{ label: "hands", stroke: "#1565c0", fill: "rgba(21, 101, 192, 0.15)", width: 2, paths: stepped }], [t.seconds, t.handsPresent], { range: [0, most + 0.2] }, { splits: () => Array.from({ length: most + 1 }, (_, i) => i) }, 120);
    fillCaption(caption, ["Hands in view on ", ["frames-with-hands", counts.framesWithHands], " of ", ["frames", counts.frames], " frames."]);
  }
  // 2. Fingers per hand.
  {
    const { chart, caption } = figure(container, "Fingers per hand");
    make(
      chart,
      t.hands.map((hand) => ({ label: handName(hand), stroke: handColour(hand.id), width: 2, paths: stepped, spanGaps: false })),
      [t.seconds, ...t.fingers],
      { range: [0, 5.3] },
      { splits: () => [0, 1, 2, 3, 4, 5] },
    );
    const parts: (string | [string, number])[] = [];
    counts.hands.forEach((hand, i) => parts.push(i ? "; " : "", `${handName(hand)} seen on `, [`hand-${hand.id}-frames`, hand.frames], " frames"));
    fillCaption(caption, parts.length ? [...parts, "."] : ["No hands were seen."]);
  }
  // 3. Gesture per hand.
  {
    const { chart, caption } = figure(container, "Gesture per hand");
    make(
      chart,
      t.hands.map((hand) => ({ label: handName(hand), stroke: handColour(hand.id), width: 0, paths: () => null, points: { show: true, size: 5, fill: handColour(hand.id) }, value: (_u, v) => (v === null ? "–" : kGestures[v]) })),
      [t.seconds, ...t.gestures],
      { range: [-0.5, kGestures.length - 0.5] },
      { splits: () => kGestures.map((_, i) => i), values: (_u, splits) => splits.map((s) => kGestures[s] ?? ""), size: 96 },
      200,
    );
    const parts: (string | [string, number])[] = [];
    counts.hands.forEach((hand, i) => {
      parts.push(i ? "; " : "", `${handName(hand)}: `);
      Object.entries(hand.gestures)
        .sort((a, b) => b[1] - a[1])
        .forEach(([name, n], k) => parts.push(k ? ", " : "", `${name} `, [`hand-${hand.id}-gesture-${name}`, n]));
    });
    fillCaption(caption, parts.length ? [...parts, " (frames)."] : ["No hands were seen."]);
  }
  // 4. Pinches.
  {
    const { chart, caption } = figure(container, "Pinches");
    const series: uPlot.Series[] = [];
    const data: uPlot.AlignedData = [t.seconds];
    t.hands.forEach((hand, r) => {
      series.push({ label: `${handName(hand)} pinching`, stroke: handColour(hand.id), width: 6, spanGaps: false, value: (_u, v) => (v === null ? "no" : "yes") });
      series.push({ label: `${handName(hand)} pinch starts`, stroke: "#000000", width: 0, paths: () => null, points: { show: true, size: 9, fill: handColour(hand.id) }, value: (_u, v) => (v === null ? "" : "start") });
      (data as (number | null)[][]).push(t.pinching[r], t.pinchStarts[r]);
    });
    make(chart, series, data, { range: [0.5, Math.max(1, t.hands.length) + 0.5] }, { splits: () => t.hands.map((_, r) => r + 1), values: (_u, splits) => splits.map((s) => (t.hands[s - 1] ? handName(t.hands[s - 1]) : "")) }, 60 + 30 * Math.max(1, t.hands.length));
    const parts: (string | [string, number])[] = [["pinches", counts.pinchCount], counts.pinchCount === 1 ? " pinch" : " pinches"];
    if (counts.hands.length) {
      parts.push(": ");
      counts.hands.forEach((hand, i) => parts.push(i ? ", " : "", `${handName(hand)} `, [`hand-${hand.id}-pinches`, hand.pinchCount]));
    }
    fillCaption(caption, [...parts, "."]);
  }

  return {
    counts,
    setTime(seconds: number) {
      nowSeconds = seconds;
      for (const chart of charts) chart.redraw(false, false);
    },
    resize() {
      for (const chart of charts) chart.setSize({ width: width(), height: chart.height });
    },
  };
}

// The session page: the recording with the hands drawn over it in sync (the frames' JSON on
// a canvas over the <video>, which the browser streams with HTTP Range requests), the
// timeline charts, the strokes drawn while pinching, the summary and the downloads.
import { apiJson, api, mediaUrl, type Session } from "./api.js";
import { drawHands, landmarkFromTriple, type Hand } from "./hands.js";
import { frameAt, parseFrames, pinchStrokes, strokeLength, timeline, type Frame } from "./session_data.js";
import { buildTimeline, type TimelineView } from "./timeline.js";
import { byId, formatBytes, formatSeconds, handColour, showMessage } from "./ui.js";

interface Summary {
  input: string;
  frames: number;
  duration_ms: number;
  frames_with_hands: number;
  pinch_count: number;
  total_stroke_length_px: number;
  processing_fps: number;
  hands: { id: number; handedness: string; frames: number; gestures: Record<string, number>; pinch_count: number; stroke_length_px: number }[];
  error?: string;
}

const kPollMs = 1000;
const id = new URLSearchParams(location.search).get("id") ?? "";
const video = byId<HTMLVideoElement>("video");
const overlay = byId<HTMLCanvasElement>("video-overlay");
const overlayContext = overlay.getContext("2d")!;
const overlayToggle = byId<HTMLInputElement>("overlay-toggle");
let frames: Frame[] = [];
let view: TimelineView | null = null;
let shownFrame = -2;
// What the overlay shows now (for the tests: window.handtrackApp.session.overlay()).
let drawn: { frame: number; hands: { id: number; landmarks: number[][] }[] } = { frame: -1, hands: [] };

function handsOf(frame: Frame): Hand[] {
  return frame.hands.map((hand) => ({
    id: hand.id,
    handedness: hand.handedness.label,
    landmarks: hand.landmarks.map(landmarkFromTriple),
    fingerCount: hand.finger_count,
    gesture: hand.gesture,
    pinch: hand.pinch,
  }));
}

/** Draws the frame shown at media time `seconds` (once per frame). */
function drawOverlay(seconds: number, force = false): void {
  const index = frameAt(frames, seconds);
  view?.setTime(seconds);
  if (index === shownFrame && !force) return;
  shownFrame = index;
  const frame = frames[index];
  if (frame && (overlay.width !== frame.width || overlay.height !== frame.height)) {
    overlay.width = frame.width;
    overlay.height = frame.height;
  }
  overlayContext.clearRect(0, 0, overlay.width, overlay.height);
  drawn = { frame: index, hands: [] };
  overlay.dataset.frame = String(index);
  if (!frame || !overlayToggle.checked) return;
  drawHands(overlayContext, handsOf(frame));
  drawn = { frame: index, hands: frame.hands.map((hand) => ({ id: hand.id, landmarks: hand.landmarks })) };
}

function followVideo(): void {
  // Each presented frame, at its exact media time while playing; seeks and pauses too.
  const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata): void => {
    drawOverlay(metadata.mediaTime);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  video.addEventListener("seeked", () => drawOverlay(video.currentTime));
  video.addEventListener("loadeddata", () => drawOverlay(video.currentTime, true));
  overlayToggle.addEventListener("change", () => drawOverlay(video.currentTime, true));
}

function seek(seconds: number): void {
  video.currentTime = Math.max(0, Math.min(seconds, video.duration || seconds));
}

function seekFrame(index: number): void {
  if (frames.length === 0) return;
  const clamped = Math.max(0, Math.min(frames.length - 1, index));
  seek(frames[clamped].timestamp_ms / 1000);
}

function describeFrame(index: number): string {
  const frame = frames[index];
  if (!frame) return "";
  const hands = frame.hands.map((hand) => `#${hand.id} ${hand.handedness.label}: ${hand.finger_count} fingers, ${hand.gesture}${hand.pinch ? ", pinching" : ""}`);
  return `Frame ${frame.index} at ${formatSeconds(frame.timestamp_ms / 1000)}: ${hands.length ? hands.join("; ") : "no hands"}`;
}

/** A row whose first cell heads it; `labels` name the columns (shown per cell on narrow screens). */
function row(table: HTMLTableSectionElement, cells: (string | number)[], labels: string[] = []): void {
  const tr = document.createElement("tr");
  cells.forEach((cell, i) => {
    const td = document.createElement(i === 0 ? "th" : "td");
    if (i === 0) td.setAttribute("scope", "row");
    if (labels[i]) td.dataset.label = labels[i];
    td.textContent = String(cell);
    tr.append(td);
  });
  table.append(tr);
}

function showSummary(summary: Summary): void {
  const table = byId<HTMLTableElement>("summary-table").tBodies[0];
  table.replaceChildren();
  row(table, ["Frames", summary.frames]);
  row(table, ["Duration", formatSeconds(summary.duration_ms / 1000)]);
  row(table, ["Frames with hands", summary.frames_with_hands]);
  row(table, ["Pinches", summary.pinch_count]);
  row(table, ["Drawn while pinching", `${summary.total_stroke_length_px} px`]);
  row(table, ["Processing speed", `${summary.processing_fps} frames/s`]);
  if (summary.error) row(table, ["Error", summary.error]);
  const hands = byId<HTMLTableElement>("hands-table").tBodies[0];
  const columns = [...byId<HTMLTableElement>("hands-table").tHead!.rows[0].cells].map((cell) => cell.textContent ?? "");
  hands.replaceChildren();
  for (const hand of summary.hands) {
    const gestures = Object.entries(hand.gestures)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${n}`)
      .join(", ");
    row(hands, [`#${hand.id} ${hand.handedness}`, hand.frames, hand.pinch_count, `${hand.stroke_length_px} px`, gestures], columns);
  }
}

function showDownloads(session: Session): void {
  const base = `/v1/sessions/${session.id}`;
  const stem = session.name.replace(/\.[^.]+$/, "") || "session";
  const links: [string, string, string][] = [
    ["Frames (JSON Lines)", `${base}/frames?format=jsonl`, `${stem}.jsonl`],
    ["Frames (CSV)", `${base}/frames?format=csv`, `${stem}.csv`],
    ["Summary (JSON)", `${base}/summary`, `${stem}.summary.json`],
  ];
  if (session.overlay && session.state === "succeeded") links.push(["Video with the hands drawn (MP4)", `${base}/overlay.mp4`, `${stem}.overlay.mp4`]);
  links.push(["The recording as uploaded", `${base}/video`, session.name]);
  byId("downloads").replaceChildren(
    ...links.map(([text, url, file]) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = mediaUrl(url);
      link.download = file;
      link.textContent = text;
      link.dataset.download = url;
      item.append(link);
      return item;
    }),
  );
}

function drawStrokes(): void {
  const canvas = byId<HTMLCanvasElement>("strokes");
  const width = frames[0]?.width ?? 640;
  const height = frames[0]?.height ?? 480;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d")!;
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  context.strokeStyle = "#e3e7ee";
  context.lineWidth = 1;
  const grid = Math.max(20, Math.round(Math.min(width, height) / 10));
  for (let x = grid; x < width; x += grid) context.strokeRect(x, 0, 0, height);
  for (let y = grid; y < height; y += grid) context.strokeRect(0, y, width, 0);
  const strokes = pinchStrokes(frames);
  const scale = Math.max(1, Math.min(width, height) / 360);
  context.lineCap = "round";
  context.lineJoin = "round";
  const parts: string[] = [];
  const caption = byId("strokes-caption");
  caption.replaceChildren();
  for (const [handId, handStrokes] of strokes) {
    context.strokeStyle = handColour(handId);
    context.lineWidth = 4 * scale;
    for (const stroke of handStrokes) {
      context.beginPath();
      stroke.forEach((p, i) => (i === 0 ? context.moveTo(p.x, p.y) : context.lineTo(p.x, p.y)));
      if (stroke.length === 1) context.lineTo(stroke[0].x + 0.1, stroke[0].y);
      context.stroke();
    }
    const length = strokeLength(handStrokes);
    const hand = frames.flatMap((f) => f.hands).find((h) => h.id === handId);
    parts.push(`#${handId} ${hand?.handedness.label ?? ""}: ${handStrokes.length} stroke${handStrokes.length === 1 ? "" : "s"}, ${length.toFixed(1)} px`);
    const span = document.createElement("span");
    span.dataset.hand = String(handId);
    span.dataset.length = length.toFixed(1);
    span.dataset.strokes = String(handStrokes.length);
    caption.append(span);
  }
  caption.prepend(document.createTextNode(parts.length ? `The index fingertip while pinching: ${parts.join("; ")}.` : "Nothing was drawn: no hand pinched."));
}

async function load(session: Session): Promise<void> {
  const base = `/v1/sessions/${session.id}`;
  const [frameText, summary] = await Promise.all([
    (await api(`${base}/frames?format=jsonl`, {}, `load the frames of ${session.name}`)).text(),
    session.state === "succeeded" ? apiJson<Summary>(`${base}/summary`, {}, `load the summary of ${session.name}`) : Promise.resolve(null),
  ]);
  frames = parseFrames(frameText);
  if (summary !== null) showSummary(summary);
  showDownloads(session);
  video.src = mediaUrl(`${base}/video`);
  followVideo();
  const timelineElement = byId("timeline");
  const readout = byId("timeline-readout");
  view = buildTimeline(timelineElement, timeline(frames), {
    onHover: (index) => {
      readout.textContent = describeFrame(index);
      readout.dataset.frame = String(index);
    },
    onSeek: (index) => seekFrame(index),
  });
  timelineElement.addEventListener("keydown", (event) => {
    const current = Math.max(0, frameAt(frames, video.currentTime));
    const fps = frames.length > 1 ? 1000 / Math.max(1, (frames[frames.length - 1].timestamp_ms - frames[0].timestamp_ms) / (frames.length - 1)) : 30;
    const steps: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, PageUp: -Math.round(fps), PageDown: Math.round(fps) };
    let target: number | null = null;
    if (event.key in steps) target = current + steps[event.key];
    else if (event.key === "Home") target = 0;
    else if (event.key === "End") target = frames.length - 1;
    if (target === null) return;
    event.preventDefault();
    video.pause();
    seekFrame(target);
    readout.textContent = describeFrame(Math.max(0, Math.min(frames.length - 1, target)));
  });
  new ResizeObserver(() => view?.resize()).observe(timelineElement);
  drawStrokes();
  document.body.dataset.loaded = "true";
}

async function main(): Promise<void> {
  if (!/^[0-9a-f]{32}$/.test(id)) {
    showMessage("failed to open the session: the address names none (open one from the sessions page)");
    byId("session-state").textContent = "";
    return;
  }
  let session: Session;
  for (;;) {
    session = await apiJson<Session>(`/v1/sessions/${id}`, {}, "load the session");
    byId("session-name").textContent = session.name;
    document.title = `${session.name} · handtrack`;
    const state = byId("session-state");
    state.dataset.state = session.state;
    const { frames_done: done, frames_total: total } = session.progress;
    if (session.state === "queued" || session.state === "running") {
      state.textContent = session.state === "queued" ? "Waiting for a worker…" : `Tracking: frame ${done} of ${total}…`;
      await new Promise((resolve) => setTimeout(resolve, kPollMs));
      continue;
    }
    const seconds = session.timings.processing_ms !== undefined ? `, tracked in ${(session.timings.processing_ms / 1000).toFixed(1)} s` : "";
    state.textContent =
      session.state === "succeeded"
        ? `${done} frames, ${formatBytes(session.video_bytes)}${seconds}.`
        : session.state === "failed"
          ? `Failed: ${session.error ?? "no reason given"} (the frames before the failure are shown).`
          : "Cancelled before it was done.";
    break;
  }
  if (session.state === "cancelled") return;
  await load(session);
}

const ready = main().catch((error: Error) => {
  showMessage(error.message);
  document.body.dataset.loaded = "error";
});
window.handtrackApp = {
  session: {
    ready,
    overlay: () => drawn,
    frames: () => frames,
    counts: () => view?.counts ?? null,
  },
};

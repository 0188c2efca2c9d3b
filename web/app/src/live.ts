// The live practice page: the webcam, tracked in this browser by the package's engine in a
// Web Worker (or by the server over /v1/live), drawn mirrored like a mirror, with the finger
// count, a pinch indicator, drawing in the air while pinching, and "trace the letter".
import { FilesetResolver, HandLandmarker, type HandtrackResult } from "@handtrack/tasks-vision";
import { ensureAccess } from "./api.js";
import { drawHands, type Hand } from "./hands.js";
import { kLetters, scoreTrace, type Point, type Stroke } from "./letters.js";
import { ServerTracker } from "./server_tracker.js";
import { byId, clearMessage, handColour, showMessage } from "./ui.js";

const kNumHands = 2;
const kHistoryLength = 600;
const kMaxTrailPoints = 4000;
// The letter's square, as a share of the frame's shorter side, centred.
const kLetterBoxShare = 0.7;

type Source = "browser" | "server";

/** One result as the page showed it (kept for the tests: window.handtrackApp.live.history). */
interface ShownResult {
  source: Source;
  timestampMs: number;
  latencyMs: number;
  hands: { id: number; handedness: string; landmarks: number[][]; fingerCount: number; gesture: string; pinch: boolean }[];
  fingerTotal: number;
}

const video = byId<HTMLVideoElement>("camera");
const overlay = byId<HTMLCanvasElement>("overlay");
const context = overlay.getContext("2d")!;
const status = byId("live-status");
const startButton = byId<HTMLButtonElement>("start");
const cameraSelect = byId<HTMLSelectElement>("camera-select");
const letterSelect = byId<HTMLSelectElement>("letter-select");
const serverSwitch = byId<HTMLInputElement>("server-switch");
const smoothingBox = byId<HTMLInputElement>("smoothing");

let landmarker: HandLandmarker | null = null;
let stream: MediaStream | null = null;
let source: Source = "browser";
let server: ServerTracker | null = null;
let frameLoop = 0;  // bumps when the camera restarts, ending the previous loop
const history: ShownResult[] = [];
const resultTimes: number[] = [];
// Drawn strokes, in the mirrored view's normalised coordinates (what the user sees).
let strokes: Stroke[] = [];
let penDown = new Map<number, Stroke>();  // hand id -> its stroke in progress

function setText(id: string, text: string): void {
  const element = byId(id);
  if (element.textContent !== text) element.textContent = text;
}

function mode(): "draw" | "trace" {
  return (document.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value ?? "draw") as "draw" | "trace";
}

// ------------------------------------------------------------------ engines

function showBackend(): void {
  const badge = byId("backend-badge");
  const reason = byId("backend-reason");
  if (source === "server") {
    badge.textContent = "Server";
    badge.dataset.kind = "server";
    reason.textContent = `frames go to ${location.host}/v1/live as JPEG`;
    status.dataset.backend = "server";
    return;
  }
  if (landmarker === null) return;
  const gpu = landmarker.backend === "webgpu";
  const build = landmarker.build;
  badge.textContent = gpu ? "GPU (WebGPU)" : `CPU (WebAssembly, ${build.threads} thread${build.threads === 1 ? "" : "s"})`;
  badge.dataset.kind = gpu ? "gpu" : "cpu";
  reason.textContent = landmarker.fallbackReason ? `GPU not used: ${landmarker.fallbackReason}` : gpu ? "" : build.reason;
  status.dataset.backend = landmarker.backend;
  status.dataset.build = build.name;
}

async function createLandmarker(): Promise<void> {
  const fileset = await FilesetResolver.forVisionTasks("/engine/");
  landmarker = await HandLandmarker.createFromOptions(fileset, {
    baseOptions: { delegate: "GPU" },
    runningMode: "LIVE_STREAM",
    numHands: kNumHands,
    smoothing: smoothingBox.checked,
    mirrored: false,  // the engine sees the camera's own frames: labels name the real hand
    engine: "worker",
    resultListener: (result: HandtrackResult, _image, timestampMs: number) => {
      if (source === "browser") show(handsFromPackage(result), timestampMs, "browser");
    },
  });
  showBackend();
}

function handsFromPackage(result: HandtrackResult): Hand[] {
  return result.landmarks.map((landmarks, i) => ({
    id: result.hands[i].id,
    handedness: result.handedness[i][0].categoryName,
    landmarks,
    fingerCount: result.hands[i].fingerCount,
    gesture: result.hands[i].gesture.name,
    pinch: result.hands[i].pinch.active,
  }));
}

async function useServer(on: boolean): Promise<void> {
  server?.close();
  server = null;
  source = on ? "server" : "browser";
  status.dataset.source = source;
  resetTrails();
  if (on) {
    const tracker = new ServerTracker(
      (result) => {
        if (source === "server") show(result.hands, result.timestampMs, "server");
      },
      (message) => {
        showMessage(`${message}. Tracking is back in this browser.`);
        serverSwitch.checked = false;
        void useServer(false);
      },
    );
    try {
      await tracker.open(kNumHands, smoothingBox.checked);
    } catch (error) {
      showMessage(`${(error as Error).message}. Tracking stays in this browser.`);
      serverSwitch.checked = false;
      source = "browser";
      status.dataset.source = source;
      showBackend();
      return;
    }
    server = tracker;
    clearMessage();
  }
  showBackend();
}

// ------------------------------------------------------------------ camera

function cameraError(error: unknown): string {
  const name = (error as DOMException)?.name ?? "";
  const detail = `${name}: ${(error as Error)?.message ?? String(error)}`;
  switch (name) {
    case "NotAllowedError":
      return `failed to open the camera: permission was refused (${detail}). Allow the camera for this site and press “Start the camera” again.`;
    case "NotFoundError":
    case "OverconstrainedError":
      return `failed to open the camera: no camera was found (${detail}).`;
    case "NotReadableError":
      return `failed to open the camera: it is in use by another program (${detail}).`;
    default:
      return `failed to open the camera: ${detail}`;
  }
}

async function listCameras(): Promise<void> {
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter((device) => device.kind === "videoinput");
  const current = stream?.getVideoTracks()[0]?.getSettings().deviceId ?? "";
  cameraSelect.replaceChildren(
    ...devices.map((device, i) => {
      const option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || `Camera ${i + 1}`;
      option.selected = device.deviceId === current;
      return option;
    }),
  );
  cameraSelect.disabled = devices.length < 2;
}

async function startCamera(deviceId: string | null): Promise<void> {
  if (!navigator.mediaDevices?.getUserMedia) {
    showMessage("failed to open the camera: this page is not secure (open it over https:// or from localhost) or the browser has no camera support.");
    return;
  }
  stream?.getTracks().forEach((track) => track.stop());
  stream = null;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: deviceId ? { deviceId: { exact: deviceId } } : { width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (error) {
    showMessage(cameraError(error));
    status.dataset.state = "camera-refused";
    return;
  }
  clearMessage();
  video.srcObject = stream;
  await video.play();
  byId("stage-idle").hidden = true;
  startButton.textContent = "Stop the camera";
  status.dataset.state = "tracking";
  await listCameras();
  const loop = ++frameLoop;
  const step = (): void => {
    if (loop !== frameLoop) return;
    if (video.readyState >= 2) submit(performance.now());
    video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
}

function stopCamera(): void {
  ++frameLoop;
  stream?.getTracks().forEach((track) => track.stop());
  stream = null;
  video.srcObject = null;
  context.clearRect(0, 0, overlay.width, overlay.height);
  byId("stage-idle").hidden = false;
  startButton.textContent = "Start the camera";
  status.dataset.state = "stopped";
}

function submit(timestampMs: number): void {
  if (source === "server") {
    if (server?.ready) void server.send(video, timestampMs);
    return;
  }
  // Returns at once; while the worker is busy only the newest frame waits.
  landmarker?.detectAsync(video, timestampMs).catch((error: Error) => showMessage(error.message));
}

// ------------------------------------------------------------------ drawing and practice

function resetTrails(): void {
  strokes = [];
  penDown = new Map();
}

/** The letter's square in the overlay's pixels. */
function letterBox(width: number, height: number): { left: number; top: number; side: number } {
  const side = kLetterBoxShare * Math.min(width, height);
  return { left: (width - side) / 2, top: (height - side) / 2, side };
}

function updateTrails(hands: Hand[]): void {
  const seen = new Set<number>();
  for (const hand of hands) {
    seen.add(hand.id);
    const tip = hand.landmarks[8];
    if (!hand.pinch) {
      penDown.delete(hand.id);
      continue;
    }
    let stroke = penDown.get(hand.id);
    if (stroke === undefined) {
      stroke = [];
      strokes.push(stroke);
      penDown.set(hand.id, stroke);
    }
    stroke.push({ x: 1 - tip.x, y: tip.y });  // mirrored, as shown
  }
  for (const id of penDown.keys()) if (!seen.has(id)) penDown.delete(id);
  let points = strokes.reduce((n, s) => n + s.length, 0);
  while (points > kMaxTrailPoints && strokes.length > 0) points -= strokes.shift()!.length;
}

function drawStroke(points: Point[], width: number, height: number): void {
  context.beginPath();
  points.forEach((p, i) => (i === 0 ? context.moveTo(p.x * width, p.y * height) : context.lineTo(p.x * width, p.y * height)));
  context.stroke();
}

function drawPractice(width: number, height: number): void {
  const scale = Math.max(1, Math.min(width, height) / 360);
  context.save();
  context.lineCap = "round";
  context.lineJoin = "round";
  if (mode() === "trace") {
    const box = letterBox(width, height);
    const letter = kLetters[letterSelect.value] ?? [];
    context.strokeStyle = "rgba(255, 255, 255, 0.75)";
    context.lineWidth = 10 * scale;
    context.setLineDash([4 * scale, 14 * scale]);
    for (const stroke of letter) {
      context.beginPath();
      stroke.forEach((p, i) => {
        const x = box.left + p.x * box.side;
        const y = box.top + p.y * box.side;
        if (i === 0) context.moveTo(x, y);
        else context.lineTo(x, y);
      });
      context.stroke();
    }
    context.setLineDash([]);
  }
  context.strokeStyle = "#ffeb3b";
  context.shadowColor = "rgba(0, 0, 0, 0.6)";
  context.shadowBlur = 4 * scale;
  context.lineWidth = 6 * scale;
  for (const stroke of strokes) drawStroke(stroke, width, height);
  context.restore();
}

function updateScore(width: number, height: number): void {
  const element = byId("score");
  if (mode() !== "trace") {
    element.hidden = true;
    return;
  }
  element.hidden = false;
  const box = letterBox(width, height);
  const inBox = strokes.map((stroke) => stroke.map((p) => ({ x: (p.x * width - box.left) / box.side, y: (p.y * height - box.top) / box.side })));
  const score = scoreTrace(kLetters[letterSelect.value] ?? [], inBox);
  setText("score-value", String(score.score));
  setText("score-detail", `(covered ${Math.round(score.coverage * 100)} % of the letter, ${Math.round(score.accuracy * 100)} % of the drawing on it)`);
  element.dataset.score = String(score.score);
}

function show(hands: Hand[], timestampMs: number, from: Source): void {
  const now = performance.now();
  resultTimes.push(now);
  while (resultTimes.length > 0 && now - resultTimes[0] > 1000) resultTimes.shift();
  const latencyMs = Math.max(0, now - timestampMs);

  const width = video.videoWidth || 640;
  const height = video.videoHeight || 480;
  if (overlay.width !== width || overlay.height !== height) {
    overlay.width = width;
    overlay.height = height;
  }
  context.clearRect(0, 0, width, height);
  updateTrails(hands);
  drawPractice(width, height);
  drawHands(context, hands, { mirrored: true });
  updateScore(width, height);

  const total = hands.reduce((n, hand) => n + hand.fingerCount, 0);
  setText("finger-total", hands.length ? String(total) : "–");
  const list = byId("finger-hands");
  const items = hands.map((hand) => `${hand.handedness}: ${hand.fingerCount}`).join("|");
  if (list.dataset.items !== items) {
    list.dataset.items = items;
    list.replaceChildren(
      ...hands.map((hand) => {
        const item = document.createElement("li");
        item.textContent = `${hand.handedness} hand: ${hand.fingerCount}`;
        item.style.borderColor = handColour(hand.id);
        item.dataset.handId = String(hand.id);
        return item;
      }),
    );
  }
  const pinching = hands.some((hand) => hand.pinch);
  const pinch = byId("pinch");
  if (pinch.dataset.active !== String(pinching)) pinch.dataset.active = String(pinching);
  setText("fps", String(resultTimes.length));
  setText("latency", `${Math.round(latencyMs)} ms`);
  setText("hands", hands.length ? hands.map((hand) => `#${hand.id} ${hand.handedness}`).join(", ") : "none");
  setText("gestures", hands.length ? hands.map((hand) => hand.gesture).join(", ") : "–");
  status.dataset.frames = String(Number(status.dataset.frames) + 1);
  status.dataset.hands = String(hands.length);

  history.push({
    source: from,
    timestampMs,
    latencyMs,
    fingerTotal: total,
    hands: hands.map((hand) => ({
      id: hand.id,
      handedness: hand.handedness,
      landmarks: hand.landmarks.map((p) => [p.x, p.y, p.z]),
      fingerCount: hand.fingerCount,
      gesture: hand.gesture,
      pinch: hand.pinch,
    })),
  });
  if (history.length > kHistoryLength) history.shift();
}

// ------------------------------------------------------------------ wiring

for (const letter of Object.keys(kLetters)) {
  const option = document.createElement("option");
  option.value = letter;
  option.textContent = letter;
  letterSelect.append(option);
}
letterSelect.addEventListener("change", resetTrails);
byId("next-letter").addEventListener("click", () => {
  const letters = Object.keys(kLetters);
  letterSelect.value = letters[(letters.indexOf(letterSelect.value) + 1) % letters.length];
  document.querySelector<HTMLInputElement>('input[name="mode"][value="trace"]')!.checked = true;
  resetTrails();
});
byId("clear").addEventListener("click", resetTrails);
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) radio.addEventListener("change", resetTrails);

const ready = createLandmarker().catch((error: Error) => {
  showMessage(error.message);
  const badge = byId("backend-badge");
  badge.textContent = "no engine";
  badge.dataset.kind = "error";
});

startButton.addEventListener("click", async () => {
  if (stream !== null) {
    stopCamera();
    return;
  }
  startButton.disabled = true;
  await ready;
  await startCamera(null);
  startButton.disabled = false;
});
cameraSelect.addEventListener("change", () => void startCamera(cameraSelect.value));
serverSwitch.addEventListener("change", () => {
  serverSwitch.disabled = true;
  void useServer(serverSwitch.checked).finally(() => {
    serverSwitch.disabled = false;
  });
});
smoothingBox.addEventListener("change", async () => {
  await landmarker?.setOptions({ smoothing: smoothingBox.checked });
  if (source === "server") await useServer(true);
});

// The server's token, if it wants one, is asked for now rather than mid-practice.
void ensureAccess().catch((error: Error) => showMessage(`${error.message}. Tracking in this browser still works.`));

window.handtrackApp = { live: { ready, history, strokes: () => strokes } };

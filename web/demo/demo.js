// The demo: the webcam through handtrack's HandLandmarker in LIVE_STREAM mode
// (the engine in a Web Worker, so drawing never waits for it), with the
// skeletons, finger counts, gestures and a trail drawn while a hand pinches.
import { FilesetResolver, HandLandmarker } from "../dist/handtrack.mjs";

const video = document.getElementById("camera");
const overlay = document.getElementById("overlay");
const context = overlay.getContext("2d");
const status = document.getElementById("status");
const show = (id, text) => {
  document.getElementById(id).textContent = text;
};
const kTrailMs = 2000;
const kColours = ["#3ddc84", "#ff66cc", "#4fc3f7", "#ffd54f"];

let landmarker = null;
const trails = new Map();  // hand id -> [{x, y, t}]
const resultTimes = [];     // when the last second's results arrived

function showError(message) {
  const element = document.getElementById("error");
  element.textContent = message;
  element.hidden = false;
  show("state", "error");
}

function draw(result, timestampMs) {
  overlay.width = video.videoWidth;
  overlay.height = video.videoHeight;
  context.clearRect(0, 0, overlay.width, overlay.height);
  const { width, height } = overlay;
  const fingers = [];
  const gestures = [];
  result.landmarks.forEach((landmarks, i) => {
    const hand = result.hands[i];
    const colour = kColours[hand.id % kColours.length];
    const at = (index) => [landmarks[index].x * width, landmarks[index].y * height];
    context.strokeStyle = colour;
    context.lineWidth = 3;
    for (const { start, end } of HandLandmarker.HAND_CONNECTIONS) {
      context.beginPath();
      context.moveTo(...at(start));
      context.lineTo(...at(end));
      context.stroke();
    }
    context.fillStyle = "#fff";
    for (let index = 0; index < landmarks.length; ++index) {
      context.beginPath();
      context.arc(...at(index), 3, 0, 2 * Math.PI);
      context.fill();
    }
    // The pinch trail follows the point between thumb tip and index tip.
    const trail = trails.get(hand.id) ?? [];
    if (hand.pinch.active) {
      const [thumbX, thumbY] = at(4);
      const [indexX, indexY] = at(8);
      trail.push({ x: (thumbX + indexX) / 2, y: (thumbY + indexY) / 2, t: timestampMs });
    }
    trails.set(hand.id, trail);
    fingers.push(`${result.handedness[i][0].categoryName} ${hand.fingerCount}`);
    gestures.push(hand.gesture.name);
  });
  for (const [id, trail] of trails) {
    while (trail.length && timestampMs - trail[0].t > kTrailMs) trail.shift();
    if (trail.length === 0) {
      trails.delete(id);
      continue;
    }
    context.strokeStyle = "#ffeb3b";
    context.lineWidth = 5;
    context.beginPath();
    trail.forEach((point, k) => (k === 0 ? context.moveTo(point.x, point.y) : context.lineTo(point.x, point.y)));
    context.stroke();
  }
  show("hands", String(result.landmarks.length));
  show("fingers", fingers.join(", ") || "-");
  show("gestures", gestures.join(", ") || "-");
  status.dataset.hands = String(result.landmarks.length);
}

function onResult(result, _image, timestampMs) {
  const now = performance.now();
  resultTimes.push(now);
  while (resultTimes.length && now - resultTimes[0] > 1000) resultTimes.shift();
  status.dataset.fps = String(resultTimes.length);
  status.dataset.frames = String(Number(status.dataset.frames) + 1);
  show("fps", String(resultTimes.length));
  show("dropped", String(landmarker.droppedFrames));
  draw(result, timestampMs);
}

async function createLandmarker() {
  show("state", "loading the models");
  const fileset = await FilesetResolver.forVisionTasks(new URL("../dist/", import.meta.url).href);
  landmarker = await HandLandmarker.createFromOptions(fileset, {
    baseOptions: { delegate: "GPU" },
    runningMode: "LIVE_STREAM",
    numHands: 2,
    smoothing: true,
    mirrored: true,
    engine: "worker",
    resultListener: onResult,
  });
  const build = landmarker.build;
  show("backend", landmarker.fallbackReason ? `${landmarker.backend} (${landmarker.fallbackReason})` : landmarker.backend);
  show("build", `${build.name}, ${build.threads} thread(s): ${build.reason}`);
  status.dataset.backend = landmarker.backend;
  status.dataset.build = build.name;
  show("state", "ready");
}

async function startCamera() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (error) {
    showError(`failed to open the camera: ${error.name}: ${error.message}`);
    return;
  }
  video.srcObject = stream;
  await video.play();
  show("state", "tracking");
  const step = () => {
    if (video.readyState >= 2) {
      // detectAsync returns at once; frames that arrive while the worker is
      // busy replace each other, and only the newest runs.
      landmarker.detectAsync(video, performance.now()).catch((error) => showError(error.message));
    }
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(step);
    else requestAnimationFrame(step);
  };
  step();
}

const ready = createLandmarker().catch((error) => showError(error.message));
document.getElementById("start").addEventListener("click", async () => {
  await ready;
  if (landmarker !== null) await startCamera();
});
window.demo = { ready };

// Tracking on the server: frames go to `handtrack serve`'s /v1/live WebSocket as JPEG
// ("IMG " messages, docs/SERVICE.md) and come back as hands. One frame in flight at a time:
// a frame that arrives while the server is busy is not sent (the page skips it), so a slow
// link or server lowers the frame rate instead of building a queue.
import { ensureAccess, mediaUrl } from "./api.js";
import { landmarkFromTriple, type Hand } from "./hands.js";

interface LiveAnswer {
  timestamp_ms: number;
  width: number;
  height: number;
  hands?: {
    id: number;
    handedness: { label: string; score: number };
    landmarks: number[][];
    gesture: string;
    gesture_score: number;
    finger_count: number;
    pinch: boolean;
  }[];
  error?: { code: string; message: string };
}

export interface ServerResult {
  timestampMs: number;
  hands: Hand[];
}

const kJpegQuality = 0.9;

export class ServerTracker {
  private socket: WebSocket | null = null;
  private canvas: OffscreenCanvas | null = null;
  private inFlight = false;
  private closedByUs = false;
  private lastTimestampMs = -1;  // the server wants them strictly increasing, in whole ms

  /**
   * onResult gets each answer; onError a one-line message when the socket fails or the
   * server refuses a frame (the tracker is then closed).
   */
  constructor(
    private readonly onResult: (result: ServerResult) => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Opens the socket; resolves once it is open. smoothing: One-Euro on the server. */
  async open(numHands: number, smoothing: boolean): Promise<void> {
    await ensureAccess();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}${mediaUrl(`/v1/live?num_hands=${numHands}&smoothing=${smoothing ? "on" : "off"}`)}`;
    this.closedByUs = false;
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error(`failed to open the server's live socket: the server at ${location.host} refused it or does not answer`));
    });
    socket.onmessage = (event) => this.answer(event.data as string);
    socket.onerror = null;
    socket.onclose = (event) => {
      this.socket = null;
      this.inFlight = false;
      if (!this.closedByUs) this.onError(`failed to track on the server: the live socket closed (code ${event.code}${event.reason ? `, ${event.reason}` : ""})`);
    };
  }

  get ready(): boolean {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN && !this.inFlight;
  }

  /** Sends the video's current frame (unmirrored) unless one is still in flight. */
  async send(video: HTMLVideoElement, timestampMs: number): Promise<boolean> {
    if (!this.ready) return false;
    this.inFlight = true;
    try {
      const { videoWidth: width, videoHeight: height } = video;
      if (this.canvas === null || this.canvas.width !== width || this.canvas.height !== height) this.canvas = new OffscreenCanvas(width, height);
      const context = this.canvas.getContext("2d")!;
      context.drawImage(video, 0, 0, width, height);
      const jpeg = new Uint8Array(await (await this.canvas.convertToBlob({ type: "image/jpeg", quality: kJpegQuality })).arrayBuffer());
      const message = new Uint8Array(20 + jpeg.length);
      const header = new DataView(message.buffer);
      message.set([0x49, 0x4d, 0x47, 0x20], 0);  // "IMG "
      header.setUint32(4, 0, true);
      header.setUint32(8, 0, true);
      this.lastTimestampMs = Math.max(this.lastTimestampMs + 1, Math.round(timestampMs));
      header.setBigInt64(12, BigInt(this.lastTimestampMs), true);
      message.set(jpeg, 20);
      if (this.socket === null) return false;
      this.socket.send(message);
      return true;
    } catch (error) {
      this.inFlight = false;
      this.onError(`failed to send a frame to the server: ${(error as Error).message}`);
      return false;
    }
  }

  close(): void {
    this.closedByUs = true;
    this.socket?.close(1000, "the page switched tracking back to the browser");
    this.socket = null;
    this.inFlight = false;
  }

  private answer(text: string): void {
    this.inFlight = false;
    let answer: LiveAnswer;
    try {
      answer = JSON.parse(text) as LiveAnswer;
    } catch {
      this.onError("failed to read the server's answer: not JSON");
      return;
    }
    if (answer.error !== undefined) {
      this.onError(`failed to track on the server: ${answer.error.message}`);
      return;
    }
    this.onResult({
      timestampMs: answer.timestamp_ms,
      hands: (answer.hands ?? []).map((hand) => ({
        id: hand.id,
        handedness: hand.handedness.label,
        landmarks: hand.landmarks.map(landmarkFromTriple),
        fingerCount: hand.finger_count,
        gesture: hand.gesture,
        pinch: hand.pinch,
      })),
    });
  }
}

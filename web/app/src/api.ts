// The /v1 API from the pages: every call carries the bearer token when the server wants
// one. The token is asked for once (a dialog), kept in localStorage, and asked for again
// when the server refuses it. Errors are ApiError, one line "failed to <verb> <object>:
// <reason>", whether the server answered with an error or could not be reached.
import { askForToken } from "./ui.js";

const kTokenKey = "handtrack.token";

export class ApiError extends Error {
  /** The HTTP status, or 0 when the server could not be reached. */
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

export function storedToken(): string | null {
  return localStorage.getItem(kTokenKey);
}

function storeToken(token: string | null): void {
  if (token === null) localStorage.removeItem(kTokenKey);
  else localStorage.setItem(kTokenKey, token);
}

let tokenRequired: Promise<boolean> | null = null;

/**
 * Whether the server wants a token (GET /healthz says so without one), asking the user
 * for it now when none is stored. Call before the first API call of a page: that way the
 * first call carries the token instead of provoking a 401.
 */
export function ensureAccess(): Promise<boolean> {
  tokenRequired ??= (async () => {
    const health = await fetchOrThrow("/healthz", {}, "reach the server");
    const body = (await health.json()) as { token_required?: boolean };
    const required = body.token_required === true;
    if (required && storedToken() === null) storeToken(await askForToken(null));
    return required;
  })();
  tokenRequired.catch(() => {
    tokenRequired = null;  // the next call tries again (the server may be back)
  });
  return tokenRequired;
}

async function fetchOrThrow(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new ApiError(`failed to ${what}: the server at ${location.host} does not answer (${(error as Error).message})`, 0);
  }
}

function withToken(init: RequestInit): RequestInit {
  const token = storedToken();
  if (token === null) return init;
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  return { ...init, headers };
}

/** The server's one-line message from an error response, or the status text. */
export async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${response.status} ${response.statusText}`.trim();
}

/**
 * Calls the API. `what` completes "failed to ..." in errors ("load the sessions").
 * A 401 clears the stored token, asks for a new one and tries once more.
 */
export async function api(path: string, init: RequestInit, what: string): Promise<Response> {
  await ensureAccess();
  let response = await fetchOrThrow(path, withToken(init), what);
  if (response.status === 401) {
    storeToken(null);
    storeToken(await askForToken("The server refused the token: enter the right one."));
    response = await fetchOrThrow(path, withToken(init), what);
  }
  if (!response.ok) throw new ApiError(`failed to ${what}: ${await errorMessage(response)}`, response.status);
  return response;
}

export async function apiJson<T>(path: string, init: RequestInit, what: string): Promise<T> {
  return (await (await api(path, init, what)).json()) as T;
}

/**
 * A URL for what the browser fetches by itself (a <video>, a download link, the live
 * socket), which cannot carry a header: the token goes in ?access_token= (GET only).
 */
export function mediaUrl(path: string): string {
  const token = storedToken();
  if (token === null) return path;
  return `${path}${path.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token)}`;
}

export interface Session {
  id: string;
  state: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  created_at: string;
  name: string;
  options: string;
  overlay: boolean;
  video_bytes: number;
  progress: { frames_done: number; frames_total: number };
  attempts: number;
  timings: { started_at?: string; finished_at?: string; queued_ms?: number; processing_ms?: number };
  error?: string;
}

export interface Upload {
  /** Resolves to the new session; rejects with ApiError. */
  done: Promise<Session>;
  abort(): void;
}

/**
 * Uploads a video as a new session (XMLHttpRequest: fetch cannot report upload progress).
 * onProgress gets the fraction sent, 0 to 1.
 */
export function uploadVideo(file: File, query: string, onProgress: (fraction: number) => void): Upload {
  const request = new XMLHttpRequest();
  const what = `upload ${file.name}`;
  const send = (): Promise<Session> =>
    new Promise((resolve, reject) => {
      request.open("POST", `/v1/sessions?${query}`);
      const token = storedToken();
      if (token !== null) request.setRequestHeader("Authorization", `Bearer ${token}`);
      request.setRequestHeader("Content-Type", file.type || "application/octet-stream");
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      request.onload = () => {
        let body: { error?: { message?: string } } & Partial<Session> = {};
        try {
          body = JSON.parse(request.responseText);
        } catch {
          // not JSON
        }
        if (request.status === 200 || request.status === 202) resolve(body as Session);
        else reject(new ApiError(`failed to ${what}: ${body.error?.message ?? `HTTP ${request.status}`}`, request.status));
      };
      request.onerror = () => reject(new ApiError(`failed to ${what}: the server at ${location.host} does not answer`, 0));
      request.onabort = () => reject(new ApiError(`failed to ${what}: cancelled`, 0));
      request.send(file);
    });
  const done = ensureAccess()
    .then(send)
    .catch(async (error: unknown) => {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      storeToken(null);
      storeToken(await askForToken("The server refused the token: enter the right one."));
      return send();
    });
  return { done, abort: () => request.abort() };
}

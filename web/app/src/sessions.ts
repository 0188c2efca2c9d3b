// The sessions page: upload (drag-and-drop or the file picker, with a progress bar), and
// the list of sessions with their state and progress, refreshed while any is queued or
// running; cancel and delete.
import { api, apiJson, uploadVideo, type Session, type Upload } from "./api.js";
import { byId, clearMessage, formatBytes, showMessage } from "./ui.js";

const kActivePollMs = 1000;
const kIdlePollMs = 10000;
const kPageSize = 50;

const list = byId<HTMLUListElement>("session-list");
const dropZone = byId("drop-zone");
const fileInput = byId<HTMLInputElement>("file-input");
let sessions: Session[] = [];
let nextPageToken: string | null = null;
let pages = 1;
let pollTimer = 0;
let upload: Upload | null = null;
// Sessions whose Delete was pressed once: the button asks to confirm for a few seconds.
const confirmingDelete = new Set<string>();
const kConfirmMs = 5000;
// The state each session had at the last refresh, to announce when one ends.
const lastStates = new Map<string, Session["state"]>();

function describeState(session: Session): string {
  const { frames_done: done, frames_total: total } = session.progress;
  switch (session.state) {
    case "queued":
      return "waiting for a worker";
    case "running":
      return total > 0 ? `tracking: ${Math.round((100 * done) / total)} % (frame ${done} of ${total})` : `tracking: frame ${done}`;
    case "succeeded":
      return `done: ${done} frames`;
    case "failed":
      return `failed: ${session.error ?? "no reason given"}`;
    case "cancelled":
      return "cancelled";
  }
}

function sessionItem(session: Session): HTMLLIElement {
  const item = document.createElement("li");
  item.className = "session-item";
  item.dataset.id = session.id;
  item.dataset.state = session.state;
  const title = document.createElement("a");
  title.href = `/session?id=${session.id}`;
  title.className = "session-name";
  title.textContent = session.name;
  const meta = document.createElement("span");
  meta.className = "session-meta";
  meta.textContent = `${new Date(session.created_at).toLocaleString()} · ${formatBytes(session.video_bytes)}`;
  const state = document.createElement("span");
  state.className = "session-state";
  state.dataset.state = session.state;
  state.textContent = describeState(session);
  const progress = document.createElement("progress");
  progress.max = Math.max(1, session.progress.frames_total);
  progress.value = session.state === "succeeded" ? progress.max : session.progress.frames_done;
  progress.setAttribute("aria-label", `Progress of ${session.name}`);
  const actions = document.createElement("span");
  actions.className = "session-actions";
  if (session.state === "queued" || session.state === "running") {
    actions.append(actionButton("Cancel", `Cancel the tracking of ${session.name}`, `cancel:${session.id}`, () => cancel(session)));
  }
  const confirming = confirmingDelete.has(session.id);
  actions.append(
    actionButton(confirming ? "Really delete?" : "Delete", confirming ? `Really delete ${session.name}? Press again to delete it` : `Delete ${session.name}`, `delete:${session.id}`, () => remove(session)),
  );
  item.append(title, meta, state, progress, actions);
  return item;
}

/** A button; `key` finds it again after the list is redrawn (to keep the keyboard focus on it). */
function actionButton(text: string, label: string, key: string, onClick: () => void): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = text;
  button.setAttribute("aria-label", label);
  button.dataset.action = key;
  button.addEventListener("click", onClick);
  return button;
}

function render(): void {
  // Keep the focused button's place across refreshes (keyboard users).
  const focused = document.activeElement instanceof HTMLElement ? (document.activeElement.dataset.action ?? null) : null;
  list.replaceChildren(...sessions.map(sessionItem));
  if (focused !== null) list.querySelector<HTMLElement>(`[data-action="${CSS.escape(focused)}"]`)?.focus();
  byId("list-empty").hidden = sessions.length > 0;
  byId("load-more").hidden = nextPageToken === null;
  list.dataset.count = String(sessions.length);
}

async function refresh(): Promise<void> {
  window.clearTimeout(pollTimer);
  try {
    const loaded: Session[] = [];
    let token: string | null = null;
    for (let page = 0; page < pages; ++page) {
      const query: string = `limit=${kPageSize}${token ? `&page_token=${encodeURIComponent(token)}` : ""}`;
      const body: { sessions: Session[]; next_page_token?: string } = await apiJson(`/v1/sessions?${query}`, {}, "load the sessions");
      loaded.push(...body.sessions);
      token = body.next_page_token ?? null;
      if (token === null) break;
    }
    // Redrawn only when something changed, so that a screen reader is not sent the list anew each second.
    const changed = list.dataset.count === undefined || JSON.stringify(loaded) !== JSON.stringify(sessions) || token !== nextPageToken;
    announceEnded(loaded);
    sessions = loaded;
    nextPageToken = token;
    if (changed) render();
    if (byId("message").dataset.source === "refresh") clearMessage();
  } catch (error) {
    showMessage((error as Error).message);
    byId("message").dataset.source = "refresh";
  }
  const active = sessions.some((session) => session.state === "queued" || session.state === "running");
  pollTimer = window.setTimeout(() => void refresh(), active ? kActivePollMs : kIdlePollMs);
}

/** Says (in the message line, which screen readers read out) when a session being watched ends. */
function announceEnded(loaded: Session[]): void {
  for (const session of loaded) {
    const before = lastStates.get(session.id);
    if ((before === "queued" || before === "running") && session.state !== before && session.state !== "cancelled") {
      showMessage(session.state === "succeeded" ? `${session.name} is done: ${session.progress.frames_done} frames.` : `${session.name}: ${describeState(session)}`, session.state === "succeeded" ? "info" : "error");
    }
    lastStates.set(session.id, session.state);
  }
}

async function cancel(session: Session): Promise<void> {
  try {
    await api(`/v1/sessions/${session.id}:cancel`, { method: "POST" }, `cancel ${session.name}`);
    showMessage(`Cancelled ${session.name}.`, "info");
  } catch (error) {
    showMessage((error as Error).message);
  }
  await refresh();
}

async function remove(session: Session): Promise<void> {
  // Two steps, so that a slip of the finger deletes nothing.
  if (!confirmingDelete.has(session.id)) {
    confirmingDelete.add(session.id);
    render();
    window.setTimeout(() => {
      if (confirmingDelete.delete(session.id)) render();
    }, kConfirmMs);
    return;
  }
  confirmingDelete.delete(session.id);
  try {
    await api(`/v1/sessions/${session.id}`, { method: "DELETE" }, `delete ${session.name}`);
    showMessage(`Deleted ${session.name}.`, "info");
  } catch (error) {
    showMessage((error as Error).message);
  }
  await refresh();
}

function startUpload(file: File): void {
  if (upload !== null) {
    showMessage("failed to start another upload: one is still going (stop it first)");
    return;
  }
  const overlay = byId<HTMLInputElement>("overlay-option").checked;
  const statusBox = byId("upload-status");
  const progress = byId<HTMLProgressElement>("upload-progress");
  const label = byId("upload-label");
  statusBox.hidden = false;
  progress.value = 0;
  label.textContent = `Uploading ${file.name} (${formatBytes(file.size)}): 0 %`;
  clearMessage();
  const query = `name=${encodeURIComponent(file.name.slice(0, 128))}&overlay=${overlay}`;
  upload = uploadVideo(file, query, (fraction) => {
    progress.value = fraction;
    label.textContent = `Uploading ${file.name} (${formatBytes(file.size)}): ${Math.round(fraction * 100)} %`;
  });
  upload.done
    .then((session) => {
      showMessage(`Uploaded ${file.name}: it is being tracked.`, "info");
      statusBox.dataset.lastSession = session.id;
    })
    .catch((error: Error) => showMessage(error.message))
    .finally(() => {
      upload = null;
      statusBox.hidden = true;
      fileInput.value = "";
      void refresh();
    });
}

fileInput.addEventListener("change", () => {
  const file = fileInput.files?.[0];
  if (file) startUpload(file);
});
dropZone.addEventListener("dragover", (event) => {
  event.preventDefault();
  dropZone.dataset.over = "true";
});
dropZone.addEventListener("dragleave", () => {
  dropZone.dataset.over = "false";
});
dropZone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropZone.dataset.over = "false";
  const file = event.dataTransfer?.files[0];
  if (file) startUpload(file);
});
byId("upload-cancel").addEventListener("click", () => upload?.abort());
byId("load-more").addEventListener("click", () => {
  ++pages;
  void refresh();
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) void refresh();
});

const ready = refresh();
window.handtrackApp = { sessions: { ready, refresh } };


// What every page shares: the token dialog, the message line, and small formatters.

/** The element with this id, or a thrown error naming it (a page's markup is wrong). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`failed to find #${id} on the page`);
  return element as T;
}

let tokenDialog: HTMLDialogElement | null = null;

function buildTokenDialog(): HTMLDialogElement {
  const dialog = document.createElement("dialog");
  dialog.id = "token-dialog";
  dialog.setAttribute("aria-labelledby", "token-title");
  dialog.innerHTML = `
    <form method="dialog" class="token-form">
      <h2 id="token-title">Access token</h2>
      <p id="token-reason">This server needs its access token. Ask whoever runs it; it is kept in this browser.</p>
      <label for="token-input">Token</label>
      <input id="token-input" name="token" type="password" autocomplete="current-password" required>
      <div class="row"><button id="token-save" type="submit" value="save">Save</button></div>
    </form>`;
  // Escape must not leave the page without a token: the dialog stays until one is given.
  dialog.addEventListener("cancel", (event) => event.preventDefault());
  document.body.append(dialog);
  return dialog;
}

let pendingToken: Promise<string> | null = null;

/** Shows the token dialog (once at a time) and resolves to what the user typed. */
export function askForToken(reason: string | null): Promise<string> {
  pendingToken ??= new Promise<string>((resolve) => {
    tokenDialog ??= buildTokenDialog();
    const dialog = tokenDialog;
    const input = dialog.querySelector<HTMLInputElement>("#token-input")!;
    if (reason !== null) dialog.querySelector("#token-reason")!.textContent = reason;
    input.value = "";
    dialog.addEventListener(
      "close",
      () => {
        pendingToken = null;
        resolve(input.value.trim());
      },
      { once: true },
    );
    dialog.showModal();
    input.focus();
  });
  return pendingToken;
}

/** Shows `text` in the page's message line (#message): an error as an alert, else a status. */
export function showMessage(text: string, kind: "error" | "info" = "error"): void {
  const element = byId("message");
  element.textContent = text;
  element.dataset.kind = kind;
  element.setAttribute("role", kind === "error" ? "alert" : "status");
  element.hidden = text === "";
}

export function clearMessage(): void {
  showMessage("", "info");
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatSeconds(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${minutes}:${rest.toFixed(2).padStart(5, "0")}`;
}

/** One colour per hand id (the same list as the overlay videos of `handtrack track`). */
const kHandColours = ["#00c8ff", "#ffa000", "#78e63c", "#f050c8", "#fff03c", "#5078ff"];
export function handColour(id: number): string {
  return kHandColours[((id % kHandColours.length) + kHandColours.length) % kHandColours.length];
}

declare global {
  interface Window {
    /** What each page exposes for its end-to-end tests (web/app/tests). */
    handtrackApp: Record<string, unknown>;
  }
}

// The annotator web app: plain JS, no build step. Every value that comes from the server (item text, labels,
// comments, user names) is put on the page with textContent or as an attribute value, never parsed as HTML, and the
// page's Content-Security-Policy allows no inline script, so an item's text can never run as code.
"use strict";

const state = {
  session: null,        // { userId, role, csrfToken }
  project: null,        // { id, name, taskType, textColumns, labels: [{ name, description, key }] }
  current: null,        // the item on screen (a lease the annotator holds)
  next: null,           // promise of the prefetched item (a second lease), so there is no wait between items
  history: [],          // labels given in this visit, newest last: { labelId, item, label }
  correcting: null,     // history entry being corrected after an undo
  sessionId: undefined, // the query session last seen, for the "new model" notice
  shownAt: 0,
  poll: null,
  review: { before: null },
};

const $ = (id) => document.getElementById(id);

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

class SignedOut extends Error {}

// crypto.randomUUID exists only in secure contexts (HTTPS, localhost); a request id needs uniqueness, not more.
function newRequestId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.session && state.session.csrfToken) headers["X-CSRF-Token"] = state.session.csrfToken;
  const response = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && path !== "/api/session") {
    // The session expired or was revoked: back to sign-in, at once.
    showSignIn("Your session has ended. Sign in again.");
    throw new SignedOut();
  }
  if (response.status === 204) return null;
  const data = (response.headers.get("Content-Type") || "").includes("json") ? await response.json() : null;
  if (!response.ok) {
    const error = new Error((data && (data.detail || data.title)) || `${method} ${path} answered ${response.status}`);
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function show(view) {
  for (const id of ["view-signin", "view-projects", "view-label", "view-review"]) $(id).hidden = id !== view;
  $("nav").hidden = view === "view-signin";
}

// ---------- sign-in ----------

function showSignIn(message) {
  stopPolling();
  state.session = null;
  state.project = null;
  state.current = null;
  state.next = null;
  show("view-signin");
  showError(message || "");
  $("signin-user").focus();
}

async function signIn(event) {
  event.preventDefault();
  showError("");
  try {
    state.session = await api("POST", "/api/session", { userId: $("signin-user").value, password: $("signin-password").value });
    $("signin-password").value = "";
    location.hash = "#/";
    await route();
  } catch (e) {
    if (!(e instanceof SignedOut)) showError(e.status === 401 ? "Unknown user or wrong password." : e.message);
  }
}

async function signOut() {
  await releaseLeases();
  try { await api("DELETE", "/api/session"); } catch (e) { if (!(e instanceof SignedOut)) showError(e.message); }
  showSignIn("Signed out.");
}

// ---------- routing: #/ projects, #/p/{id} label, #/p/{id}/review ----------

async function route() {
  showError("");
  if (!state.session) {
    try {
      state.session = await api("GET", "/api/session");
    } catch (e) {
      if (!(e instanceof SignedOut)) showSignIn("");
      return;
    }
  }
  $("whoami").textContent = `${state.session.userId} (${state.session.role})`;
  const match = /^#\/p\/([0-9a-f-]{36})(\/review)?$/.exec(location.hash);
  try {
    if (!match) {
      await leaveProject();
      await showProjects();
    } else if (match[2]) {
      await openProject(match[1]);
      await showReview();
    } else {
      await openProject(match[1]);
      await showLabeling();
    }
  } catch (e) {
    if (!(e instanceof SignedOut)) showError(e.message);
  }
}

async function showProjects() {
  $("nav-label").hidden = $("nav-review").hidden = true;
  const projects = await api("GET", "/api/projects");
  const list = $("project-list");
  list.replaceChildren(...projects.map((p) => {
    const button = el("button", `${p.name} (${p.taskType}, ${p.labels.length} labels)`, { type: "button", "data-project": p.id });
    button.addEventListener("click", () => { location.hash = `#/p/${p.id}`; });
    return el("li", undefined, {}).appendChild(button).parentNode;
  }));
  $("no-projects").hidden = projects.length > 0;
  show("view-projects");
  // Keyboard first: Enter opens the first project, Tab moves to the next.
  const first = list.querySelector("button");
  if (first) first.focus();
}

async function openProject(id) {
  if (state.project && state.project.id === id) return;
  await leaveProject();
  state.project = await api("GET", `/api/projects/${id}`);
  state.history = [];
  state.sessionId = undefined;
  $("nav-label").href = `#/p/${id}`;
  $("nav-review").href = `#/p/${id}/review`;
  $("nav-label").hidden = $("nav-review").hidden = false;
}

async function leaveProject() {
  stopPolling();
  await releaseLeases();
  state.project = null;
}

// Gives the held items back, so another annotator gets them now rather than when the lease expires.
async function releaseLeases() {
  const project = state.project;
  if (!project) return;
  const items = [state.current];
  const next = state.next;
  state.current = null;
  state.next = null;
  if (next) items.push(await next.catch(() => null));
  for (const item of items) {
    if (item) await api("DELETE", `/api/projects/${project.id}/items/${item.itemId}/lease`).catch(() => null);
  }
}

// ---------- labeling ----------

async function showLabeling() {
  const project = state.project;
  $("label-project-name").textContent = project.name;
  renderLabelButtons();
  show("view-label");
  startPolling();
  if (!state.current) {
    state.current = await fetchNext();
    state.next = null;
  }
  display();
}

function renderLabelButtons() {
  const buttons = state.project.labels.map((label) => {
    const button = el("button", undefined, { type: "button", "data-label": label.name });
    if (label.key) button.appendChild(el("kbd", label.key));
    button.appendChild(el("span", label.name, { class: "name" }));
    if (label.description) button.appendChild(el("span", label.description, { class: "description" }));
    button.addEventListener("click", () => applyLabel(label.name));
    return button;
  });
  $("label-buttons").replaceChildren(...buttons);
}

async function fetchNext() {
  const project = state.project;
  return await api("POST", `/api/projects/${project.id}/next`);
}

// Leases the following item while the current one is on screen. At the lease limit the API re-serves the oldest
// held item, which may be the one on screen: then there is nothing to prefetch yet.
function prefetch() {
  const current = state.current;
  state.next = fetchNext().then((item) => (item && current && item.itemId === current.itemId ? null : item)).catch(() => null);
}

function display() {
  const item = state.correcting ? state.correcting.item : state.current;
  $("correcting").hidden = !state.correcting;
  if (state.correcting) $("correcting-label").textContent = state.correcting.label;
  $("done").hidden = !!item;
  $("item").hidden = !item;
  $("guess").textContent = "";
  if (!item) return;
  renderItem(item);
  state.shownAt = performance.now();
  if (!state.correcting && !state.next) prefetch();
  showGuess(item);
}

function renderItem(item) {
  const project = state.project;
  const payload = item.payload || {};
  const box = $("item");
  box.dataset.itemId = item.itemId;
  if (project.taskType === "text" && project.textColumns.length === 1) {
    box.replaceChildren(el("div", payload[project.textColumns[0]] ?? "", { class: "text", id: "item-text" }));
    return;
  }
  // A tabular row (or several text columns) as a two-column table: column name, value.
  const rows = Object.entries(payload).map(([column, value]) => {
    const row = el("tr");
    row.append(el("th", column, { scope: "row" }), el("td", value ?? ""));
    return row;
  });
  const table = el("table", undefined, { id: "item-table" });
  table.appendChild(el("tbody")).append(...rows);
  box.replaceChildren(table);
}

async function showGuess(item, attempt = 1) {
  const project = state.project;
  try {
    const guess = await api("GET", `/api/projects/${project.id}/items/${item.itemId}/guess`);
    if (displayedItem() !== item) return;
    $("guess").textContent = `Model v${guess.modelVersion} guesses ${guess.label} (${Math.round(guess.confidence * 100)}% confident)`;
  } catch (e) {
    if (e instanceof SignedOut || displayedItem() !== item) return;
    if (e.status === 404) {
      $("guess").textContent = "No model yet: the first one trains after the first labels.";
      return;
    }
    $("guess").textContent = "The model's guess is unavailable right now.";
    // The Scorer may be busy ranking a new session: ask again a few times while the item is on screen.
    if (attempt < 4) setTimeout(() => showGuess(item, attempt + 1), 1500 * attempt);
  }
}

function displayedItem() {
  return state.correcting ? state.correcting.item : state.current;
}

let busy = false;

async function applyLabel(name) {
  if (busy) return;
  busy = true;
  const project = state.project;
  const comment = $("comment").value.trim();
  try {
    if (state.correcting) {
      const entry = state.correcting;
      await api("PUT", `/api/projects/${project.id}/labels/${entry.labelId}`, comment ? { label: name, comment } : { label: name });
      entry.label = name;
      state.history.push(entry);
      state.correcting = null;
    } else {
      const item = state.current;
      if (!item) return;
      const body = { requestId: newRequestId(), label: name, timeSpentMs: Math.round(performance.now() - state.shownAt) };
      if (comment) body.comment = comment;
      const stored = await api("POST", `/api/projects/${project.id}/items/${item.itemId}/labels`, body);
      state.history.push({ labelId: stored.id, item, label: name });
      if (state.history.length > 50) state.history.shift();
      await advance();
    }
    $("comment").value = "";
    display();
    refreshStatus();
  } catch (e) {
    if (!(e instanceof SignedOut)) showError(e.message);
  } finally {
    busy = false;
  }
}

async function skip() {
  if (busy || state.correcting || !state.current) return;
  busy = true;
  try {
    await api("POST", `/api/projects/${state.project.id}/items/${state.current.itemId}/skip`);
    await advance();
    display();
  } catch (e) {
    if (!(e instanceof SignedOut)) showError(e.message);
  } finally {
    busy = false;
  }
}

// Moves to the prefetched item (usually already here), or asks for one when there was none to prefetch.
async function advance() {
  const next = state.next ? await state.next : null;
  state.next = null;
  state.current = next || await fetchNext();
}

// Undo reopens the last label given in this visit for correction; the item on screen stays leased meanwhile.
function undo() {
  if (busy || state.history.length === 0) return;
  if (state.correcting) state.history.unshift(state.correcting);
  state.correcting = state.history.pop();
  display();
}

function cancelCorrection() {
  if (!state.correcting) return;
  state.history.push(state.correcting);
  state.correcting = null;
  display();
}

function onKey(event) {
  if ($("view-label").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target === $("comment")) {
    // Enter keeps the comment (it is stored with the next label) and gives the keys back to labeling.
    if (event.key === "Enter" || event.key === "Escape") { event.preventDefault(); target.blur(); }
    return;
  }
  if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const label = state.project && state.project.labels.find((l) => l.key && l.key.toLowerCase() === key);
  if (label) { event.preventDefault(); applyLabel(label.name); return; }
  if (key === " " || key === "s") { event.preventDefault(); skip(); return; }
  if (key === "z" || key === "Backspace") { event.preventDefault(); undo(); return; }
  if (key === "/") { event.preventDefault(); $("comment").focus(); return; }
  if (key === "Escape") { cancelCorrection(); }
}

// ---------- progress and the "new model" notice ----------

function startPolling() {
  stopPolling();
  refreshStatus();
  state.poll = setInterval(refreshStatus, 2000);
}

function stopPolling() {
  if (state.poll) clearInterval(state.poll);
  state.poll = null;
}

async function refreshStatus() {
  const project = state.project;
  if (!project) return;
  let status;
  try {
    status = await api("GET", `/api/projects/${project.id}/status`);
  } catch (e) {
    return;
  }
  if (state.project !== project) return;
  $("p-labeled").textContent = status.items.labeled;
  $("p-remaining").textContent = status.items.unlabeled;
  $("p-yours").textContent = status.yourLabels;
  const session = status.currentSession;
  $("p-session").textContent = session
    ? `${session.sessionId} (${session.strategy}${session.modelVersion ? `, model v${session.modelVersion}` : ""})`
    : "none yet";
  const sessionId = session ? session.sessionId : null;
  if (state.sessionId !== undefined && sessionId !== state.sessionId && session) {
    const model = status.models.length ? status.models[status.models.length - 1] : null;
    const accuracy = model && typeof model.metrics.accuracy === "number" ? `, accuracy ${Math.round(model.metrics.accuracy * 100)}%` : "";
    $("notice-text").textContent = `New model${model ? ` v${model.version} (trained on ${model.trainedOnLabels} labels${accuracy})` : ""}: `
      + `your next items come from query session ${session.sessionId}.`;
    $("notice").hidden = false;
    // The prefetched item was ranked by the previous model; the guess on screen is refreshed with the new one.
    const shown = displayedItem();
    if (shown) showGuess(shown);
  }
  state.sessionId = sessionId;
}

// ---------- review ----------

async function showReview() {
  stopPolling();
  const project = state.project;
  $("review-project-name").textContent = project.name;
  const select = $("f-label");
  select.replaceChildren(el("option", "any", { value: "" }), ...project.labels.map((l) => el("option", l.name, { value: l.name })));
  show("view-review");
  await loadReview(true);
}

async function loadReview(fresh) {
  const project = state.project;
  const params = new URLSearchParams({ pageSize: "50" });
  if ($("f-label").value) params.set("label", $("f-label").value);
  if ($("f-annotator").value.trim()) params.set("annotator", $("f-annotator").value.trim());
  if ($("f-session").value) params.set("session", $("f-session").value);
  if ($("f-disagreement").checked) params.set("disagreement", "true");
  if (!fresh && state.review.before) params.set("before", state.review.before);
  const page = await api("GET", `/api/projects/${project.id}/labels?${params}`);
  const rows = page.labels.map(reviewRow);
  if (fresh) $("review-rows").replaceChildren(...rows); else $("review-rows").append(...rows);
  state.review.before = page.nextBefore;
  $("review-more").hidden = page.nextBefore === null;
}

function itemSummary(payload) {
  const project = state.project;
  if (project.textColumns.length === 1 && project.taskType === "text") return payload[project.textColumns[0]] ?? "";
  return Object.entries(payload).map(([k, v]) => `${k}: ${v ?? ""}`).join("\n");
}

function reviewRow(label) {
  const project = state.project;
  const row = el("tr", undefined, { "data-label-id": label.id });
  const guess = label.modelGuess ? `${label.modelGuess.label} (${Math.round(label.modelGuess.confidence * 100)}%)` : "–";
  const labelCell = el("td", label.label, { class: "label" });
  const select = el("select", undefined, { "aria-label": "Correct the label" });
  select.append(...project.labels.map((l) => {
    const option = el("option", l.name, { value: l.name });
    option.selected = l.name === label.label;
    return option;
  }));
  select.addEventListener("change", async () => {
    try {
      const changed = await api("PUT", `/api/projects/${project.id}/labels/${label.id}`, { label: select.value });
      labelCell.textContent = changed.label;
    } catch (e) {
      if (!(e instanceof SignedOut)) showError(e.message);
    }
  });
  const correct = el("td");
  correct.appendChild(select);
  row.append(el("td", itemSummary(label.payload), { class: "text" }), labelCell, el("td", label.annotator), el("td", label.session ?? "–"),
    el("td", guess), el("td", label.comment ?? ""), correct);
  return row;
}

// ---------- wiring ----------

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("notice-close").addEventListener("click", () => { $("notice").hidden = true; });
  $("review-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadReview(true).catch((e) => { if (!(e instanceof SignedOut)) showError(e.message); });
  });
  $("review-more").addEventListener("click", () => loadReview(false).catch((e) => { if (!(e instanceof SignedOut)) showError(e.message); }));
  document.addEventListener("keydown", onKey);
  window.addEventListener("hashchange", route);
  route();
});

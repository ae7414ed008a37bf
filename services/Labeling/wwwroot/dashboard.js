// The monitoring dashboard: plain JS, no build step. Everything from the server (project and annotator names, the
// baseline's source) reaches the page through textContent or SVG attributes, never as HTML, and the page's
// Content-Security-Policy forbids inline script. It uses the browser session (cookie alp_session) of the web app:
// signed out, it sends you to the sign-in page.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const METRICS = [
  { key: "auc", name: "AUC" },
  { key: "accuracy", name: "accuracy" },
  { key: "macroF1", name: "macro-F1" },
];
const REFRESH_MS = 30000;

const $ = (id) => document.getElementById(id);

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

class SignedOut extends Error {}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (response.status === 401) throw new SignedOut();
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch {
      // Not problem details: keep the status line.
    }
    throw new Error(detail);
  }
  return response.json();
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

const fmt = (value, digits = 3) => (value === null || value === undefined ? "–" : Number(value).toFixed(digits));
const pct = (value) => (value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)}%`);

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

function fillList(dl, rows) {
  dl.replaceChildren();
  for (const [term, value, cls] of rows) {
    dl.append(el("dt", term));
    const dd = el("dd", value);
    if (cls) dd.className = cls;
    dl.append(dd);
  }
}

function fillTable(table, rows) {
  const body = table.tBodies[0];
  body.replaceChildren(...rows.map((cells) => {
    const tr = el("tr");
    for (const cell of cells) tr.append(el("td", cell));
    return tr;
  }));
}

// Metrics (0..1) against labels: one point per model version, a solid line per metric; the simulated random
// baseline, when stored, as dashed lines in the same colours.
function drawChart(container, history, baseline) {
  const width = 720, height = 320, left = 44, right = 130, top = 12, bottom = 36;
  const plotW = width - left - right, plotH = height - top - bottom;
  const basePoints = baseline ? baseline.points : [];
  const maxLabels = Math.max(1, ...history.map((p) => p.labels), ...basePoints.map((p) => p.labels));
  const x = (labels) => left + (labels / maxLabels) * plotW;
  const y = (value) => top + (1 - value) * plotH;

  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "data-versions": history.length });
  root.append(svg("title", {}, "Model metrics against the number of labels"));
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    root.append(svg("line", { class: "grid", x1: left, x2: left + plotW, y1: y(v), y2: y(v) }));
    root.append(svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end" }, v.toFixed(1)));
  }
  for (let i = 0; i <= 5; i++) {
    const labels = Math.round((maxLabels * i) / 5);
    root.append(svg("text", { x: x(labels), y: top + plotH + 16, "text-anchor": "middle" }, labels));
  }
  root.append(svg("line", { class: "axis", x1: left, x2: left + plotW, y1: top + plotH, y2: top + plotH }));
  root.append(svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: top + plotH }));
  root.append(svg("text", { x: left + plotW / 2, y: height - 4, "text-anchor": "middle" }, "labels"));

  const path = (points, key) => {
    const defined = points.filter((p) => p[key] !== null && p[key] !== undefined);
    return defined.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.labels).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
  };

  METRICS.forEach((metric, index) => {
    const cls = `series-${metric.key}`;
    if (basePoints.length > 0) {
      const d = path(basePoints, metric.key);
      if (d) root.append(svg("path", { class: `baseline ${cls}`, d, "data-series": `baseline-${metric.key}` }));
    }
    const d = path(history, metric.key);
    if (d) root.append(svg("path", { class: `line ${cls}`, d, "data-series": metric.key }));
    for (const p of history) {
      if (p[metric.key] === null || p[metric.key] === undefined) continue;
      const dot = svg("circle", { class: `point ${cls}`, cx: x(p.labels), cy: y(p[metric.key]), r: 3.5 });
      dot.append(svg("title", {}, `v${p.version}: ${metric.name} ${fmt(p[metric.key])} on ${p.labels} labels`));
      root.append(dot);
    }
    const ly = top + 10 + index * 18;
    root.append(svg("line", { class: `line ${cls}`, x1: left + plotW + 12, x2: left + plotW + 32, y1: ly, y2: ly, "stroke-width": 2 }));
    root.append(svg("text", { x: left + plotW + 38, y: ly + 4 }, metric.name));
  });
  if (basePoints.length > 0) {
    const ly = top + 10 + METRICS.length * 18;
    root.append(svg("path", { class: "baseline series-accuracy", d: `M${left + plotW + 12},${ly} L${left + plotW + 32},${ly}` }));
    root.append(svg("text", { x: left + plotW + 38, y: ly + 4 }, "random (sim.)"));
  }
  container.replaceChildren(root);
}

function drawHours(container, hours) {
  const width = 720, height = 120, left = 30, bottom = 18, top = 6;
  const max = Math.max(1, ...hours.map((h) => h.labels));
  const barW = (width - left) / Math.max(1, hours.length);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  root.append(svg("title", {}, "Labels per hour"));
  root.append(svg("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, max));
  root.append(svg("text", { x: left - 4, y: height - bottom, "text-anchor": "end" }, 0));
  hours.forEach((h, i) => {
    const barH = ((height - top - bottom) * h.labels) / max;
    const bar = svg("rect", { class: "bar", x: left + i * barW + 1, y: height - bottom - barH, width: Math.max(1, barW - 2), height: barH });
    const hour = new Date(h.hour);
    bar.append(svg("title", {}, `${hour.toLocaleString()}: ${h.labels} labels`));
    root.append(bar);
    if (i % 6 === 0) root.append(svg("text", { x: left + i * barW, y: height - 4 }, `${String(hour.getHours()).padStart(2, "0")}:00`));
  });
  container.replaceChildren(root);
}

function render(d) {
  document.title = `${d.name} · ActiveLabel dashboard`;
  $("project-name").textContent = d.name;
  $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;

  drawChart($("chart"), d.metrics, d.baseline);
  $("chart-note").textContent = d.metrics.length === 0
    ? "No model yet: the first one is trained after the first labels."
    : d.baseline ? `Dashed: random order simulated by alp simulate on ${d.baseline.source}.` : "No simulated baseline stored (alp project baseline).";

  const s = d.stopping;
  fillList($("stopping"), s.lastKappa === null || s.lastKappa === undefined
    ? [["signal", (s.newestVersion || 0) < 2 ? "needs two model versions" : s.stopSetItems === 0 ? "no unlabeled items left to compare on" : "the models could not be compared (see the Labeling log)"]]
    : [
      ["models compared", s.pairs.map((p) => `v${p.from}→v${p.to}`).join(", ")],
      ["agreement (last pair)", pct(s.lastPercentAgreement)],
      ["kappa (last pair)", fmt(s.lastKappa)],
      [`mean kappa (last ${s.window})`, fmt(s.meanKappa)],
      ["stop set", `${s.stopSetItems} unlabeled items`],
      ["verdict", s.shouldStop ? `stable (≥ ${s.threshold}): more labels are unlikely to help` : `still changing (threshold ${s.threshold})`, s.shouldStop ? "stop-yes" : "stop-no"],
    ]);

  const f = d.freshness;
  fillList($("freshness"), [
    ["ranking model", f.rankingModelVersion ? `v${f.rankingModelVersion}` : "none (random order)"],
    ["newest model", f.newestModelVersion ? `v${f.newestModelVersion}` : "none"],
    ["age", duration(f.secondsSinceModel)],
    ["labels since", f.labelsSinceModel === null ? "–" : `${f.labelsSinceModel} (retrain every ${f.retrainEvery})`],
    ["training", f.trainingRunning ? "running now" : "idle"],
  ]);

  const q = d.queue, session = d.currentSession;
  fillList($("queue"), [
    ["unlabeled items", q.unlabeled],
    ["session", session ? `#${session.sessionId}: ${session.queryCount} by ${session.strategy}` : "none yet"],
    ["left in session", q.sessionRemaining === null ? "–" : q.sessionRemaining],
    ["held by annotators", q.activeLeases],
  ]);

  fillTable($("annotators"), d.annotators.map((a) => [a.annotator, a.labels, a.medianTimeSpentMs === null ? "–" : `${(a.medianTimeSpentMs / 1000).toFixed(1)} s`]));
  drawHours($("hours"), d.labelsPerHour);

  const a = d.agreement;
  fillList($("agreement"), [
    ["items labeled more than once", a.items],
    ["their labels", a.labels],
    ["agreement", pct(a.percentAgreement)],
    ["Fleiss' kappa", fmt(a.fleissKappa)],
  ]);
  fillTable($("pairs"), a.pairs.map((p) => [`${p.annotatorA} · ${p.annotatorB}`, p.items, pct(p.percentAgreement), fmt(p.cohensKappa)]));
  $("dashboard").hidden = false;
}

async function showProjects() {
  const projects = await getJson("/api/projects");
  const list = $("project-list");
  list.replaceChildren(...projects.map((p) => {
    const li = el("li");
    const link = el("a", p.name, { href: `dashboard.html?project=${encodeURIComponent(p.id)}` });
    li.append(link);
    return li;
  }));
  $("projects").hidden = false;
}

async function refresh(projectId) {
  try {
    render(await getJson(`/api/projects/${encodeURIComponent(projectId)}/dashboard`));
    showError("");
  } catch (e) {
    if (e instanceof SignedOut) {
      window.location.assign("/");
      return;
    }
    showError(`Could not load the dashboard: ${e.message}`);
  }
}

async function start() {
  const projectId = new URLSearchParams(window.location.search).get("project");
  try {
    await getJson("/api/session");
    if (!projectId) {
      await showProjects();
      return;
    }
  } catch (e) {
    if (e instanceof SignedOut) {
      window.location.assign("/");
      return;
    }
    showError(e.message);
    return;
  }
  await refresh(projectId);
  setInterval(() => refresh(projectId), REFRESH_MS);
}

start();

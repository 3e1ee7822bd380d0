// siamkit web pages: compare two inputs (/) and identify one against the gallery (/identify).
// Plain JS, no build step. Scores are higher = more similar; the decision is score >= threshold.
"use strict";
const $ = (id) => document.getElementById(id);
const page = document.body.dataset.page;
let info = null;

function headers(json) {
  const h = {};
  const key = localStorage.getItem("siamkit-api-key");
  if (key) h["X-API-Key"] = key;
  if (json) h["Content-Type"] = "application/json";
  return h;
}

async function call(url, options) {
  const response = await fetch(url, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = { detail: response.statusText }; }
  if (response.status === 401) $("key-form").hidden = false;
  if (!response.ok) {
    const detail = body && body.detail;
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return body;
}

function fmt(x) { return x === null || x === undefined ? "none" : Number(x).toFixed(4); }

function showError(err) { $("error").textContent = err ? String(err.message || err) : ""; }

async function loadInfo() {
  try {
    info = await call("/api/model", { headers: headers() });
  } catch (err) { showError(err); return; }
  showError(null);
  $("key-form").hidden = true;
  document.querySelectorAll("[data-modality]").forEach((s) => { s.hidden = s.dataset.modality !== info.modality; });
  const threshold = info.threshold === null ? "no threshold (uncalibrated: scores only)" : "threshold " + fmt(info.threshold);
  let text = `${info.modality} model, ${info.score_kind} scores, ${threshold}`;
  if (page === "identify") {
    text += info.gallery ? `; gallery of ${info.gallery.identities} identities (${info.gallery.references} references)`
                         : "; this server has no gallery";
  }
  $("model-info").textContent = text;
  const button = $(page === "compare" ? "compare" : "identify");
  button.disabled = page === "identify" && !info.gallery;
}

function setupDrop(side) {
  const zone = $("drop-" + side), input = $("file-" + side), preview = $("preview-" + side);
  if (!zone) return;
  const show = () => { if (input.files[0]) preview.src = URL.createObjectURL(input.files[0]); };
  input.addEventListener("change", show);
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault(); zone.classList.remove("over");
    if (e.dataTransfer.files.length) { input.files = e.dataTransfer.files; show(); }
  });
}

function jsonInput(side) {
  // {texts: [...]} or {vectors: [...]} for one input of the model's modality
  if (info.modality === "text") return { texts: [$("text-" + side).value] };
  let vector;
  try { vector = JSON.parse($("vector-" + side).value); } catch (e) { throw new Error(`vector ${side.toUpperCase()}: not valid JSON`); }
  return { vectors: [vector] };
}

function imageFile(side) {
  const file = $("file-" + side).files[0];
  if (!file) throw new Error(`choose image ${side.toUpperCase()} first`);
  return file;
}

async function compare() {
  let result;
  if (info.modality === "image") {
    const form = new FormData();
    form.append("a", imageFile("a"));
    form.append("b", imageFile("b"));
    result = await call("/api/similarity/upload", { method: "POST", headers: headers(), body: form });
  } else {
    const body = JSON.stringify({ a: jsonInput("a"), b: jsonInput("b") });
    result = await call("/api/similarity", { method: "POST", headers: headers(true), body });
  }
  $("score").textContent = fmt(result.scores[0]);
  $("score-kind").textContent = `(${result.score_kind}, higher = more similar)`;
  $("threshold").textContent = result.threshold === null ? "none: the model is not calibrated" : fmt(result.threshold);
  const decision = $("decision");
  if (result.same === null) { decision.textContent = "No decision (no threshold)"; decision.className = "decision"; }
  else if (result.same[0] === null) { decision.textContent = "No decision: " + result.warnings.join("; "); decision.className = "decision"; }
  else if (result.same[0]) { decision.textContent = "Same"; decision.className = "decision same"; }
  else { decision.textContent = "Different"; decision.className = "decision different"; }
  $("result").hidden = false;
}

async function identify() {
  const k = parseInt($("k").value, 10) || 5;
  let response;
  if (info.modality === "image") {
    const form = new FormData();
    form.append("files", imageFile("a"));
    form.append("k", String(k));
    response = await call("/api/gallery/identify/upload", { method: "POST", headers: headers(), body: form });
  } else {
    const body = JSON.stringify({ ...jsonInput("a"), k });
    response = await call("/api/gallery/identify", { method: "POST", headers: headers(true), body });
  }
  const r = response.results[0];
  const decision = $("decision");
  if (!r.candidates.length) { decision.textContent = "The gallery is empty"; decision.className = "decision"; }
  else if (r.known === null) { decision.textContent = `Closest: ${r.candidates[0].identity} (no threshold, no decision)`; decision.className = "decision"; }
  else if (r.known) { decision.textContent = `Identified: ${r.identity}`; decision.className = "decision same"; }
  else { decision.textContent = "Unknown"; decision.className = "decision different"; }
  $("threshold").textContent = r.threshold === null ? "none: the model is not calibrated" : fmt(r.threshold);
  const rows = $("candidates").querySelector("tbody");
  rows.replaceChildren(...r.candidates.map((c, i) => {
    const tr = document.createElement("tr");
    [String(i + 1), c.identity, fmt(c.score)].forEach((t) => { const td = document.createElement("td"); td.textContent = t; tr.appendChild(td); });
    return tr;
  }));
  $("result").hidden = false;
}

function run(action) {
  return async () => {
    showError(null);
    try { await action(); } catch (err) { $("result").hidden = true; showError(err); }
  };
}

$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  localStorage.setItem("siamkit-api-key", $("api-key").value);
  loadInfo();
});
setupDrop("a");
setupDrop("b");
if (page === "compare") $("compare").addEventListener("click", run(compare));
else $("identify").addEventListener("click", run(identify));
loadInfo();

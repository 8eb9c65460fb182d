// Kyvern dashboard: a single page that talks to the Kubernetes API on its own origin as the
// logged-in user. No framework; every list stays current through watches (no polling).
"use strict";

const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
const DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
const FIELD_MANAGER = "kyvern-dashboard";
const TOKEN_KEY = "kyvern.dashboard.token";

const state = {
  resources: new Map(),   // "group/version/resource" -> descriptor
  byKind: new Map(),      // "group/Kind" -> descriptor
  namespace: sessionStorage.getItem("kyvern.dashboard.namespace") || "",
  selector: "",
  page: null,             // AbortController of the page shown
  socket: null,
  user: "",
};

const $ = (id) => document.getElementById(id);

// ---------- DOM helpers ----------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function setMain(...children) {
  const main = $("main");
  main.replaceChildren(...children);
}

function showAlert(text, kind) {
  const box = $("alert");
  box.className = "alert" + (kind === "info" ? " info" : "");
  box.replaceChildren(h("span", { id: "alert-text" }, text),
    h("button", { type: "button", onclick: () => { box.hidden = true; } }, "Dismiss"));
  box.hidden = false;
}

function showError(err) {
  if (err && err.name === "AbortError") return;
  const code = err && err.code ? `${err.code} ` : "";
  const reason = err && err.reason ? `${err.reason}: ` : "";
  showAlert(`${code}${reason}${err && err.message ? err.message : err}`);
}

// ---------- API ----------

class APIError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.code = status;
    this.reason = body && body.reason ? body.reason : "";
    this.status = body;
  }
}

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

// A response early.js asked for while the scripts were loading (same method, path and Accept, this
// session's token), taken once; undefined when there is none or it failed (then api() asks itself).
function takeEarly(method, path, accept) {
  const sent = window.kyvernEarly;
  const key = `${method} ${accept} ${path}`;
  if (!sent || !sent.has(key)) return undefined;
  const pending = sent.get(key);
  sent.delete(key);
  return pending.catch(() => undefined);
}
takeEarly.clear = () => { if (window.kyvernEarly) window.kyvernEarly.clear(); };

async function api(path, opts = {}) {
  const headers = { Accept: opts.accept || "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  let body = opts.body;
  if (body !== undefined && typeof body !== "string") body = JSON.stringify(body);
  if (body !== undefined) headers["Content-Type"] = opts.contentType || "application/json";
  const method = opts.method || "GET";
  let res = await takeEarly(method, path, headers.Accept);
  for (let attempt = 1; !res; attempt++) {
    try {
      res = await fetch(path, { method, headers, body, signal: opts.signal });
      break;
    } catch (err) {
      // A read whose connection dropped (a network change) is asked again; a write is repeated only
      // when its caller says that doing it twice is the same as doing it once (`idempotent`).
      if ((method !== "GET" && !opts.idempotent) || err.name === "AbortError" || attempt >= 3) throw err;
      await sleep(300 * attempt, opts.signal);
    }
  }
  if (opts.raw) {
    if (!res.ok) throw new APIError(res.status, await res.json().catch(() => null));
    return res;
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { message: text }; }
  if (!res.ok) {
    if (res.status === 401 && !opts.noLogout) { logout(false); }
    throw new APIError(res.status, data);
  }
  return data;
}

// Reads a watch stream (one JSON event per line) until it ends or is aborted.
async function readWatch(path, accept, signal, onEvent) {
  const res = await api(path, { accept, signal, raw: true });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) onEvent(JSON.parse(line));
    }
  }
}

function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `${path}${path.includes("?") ? "&" : "?"}${s}` : path;
}

// Keeps `items` (uid -> object) current: list, then watch from the list's resourceVersion;
// when the watch ends or expires, list again. `onChange` runs after every change.
function liveList(path, params, signal, onChange, accept, onError) {
  const items = new Map();
  const tableMode = accept === TABLE;
  const keyOf = (o) => (tableMode ? o.object.metadata.uid : o.metadata.uid);
  let columns = [];
  (async () => {
    while (!signal.aborted) {
      try {
        const list = await api(withQuery(path, params), { accept, signal });
        items.clear();
        if (tableMode) {
          columns = list.columnDefinitions || [];
          for (const row of list.rows || []) items.set(keyOf(row), row);
        } else {
          for (const o of list.items || []) items.set(keyOf(o), o);
        }
        onChange(items, columns);
        let rv = list.metadata.resourceVersion;
        let expired = false;
        // A watch that breaks (server restart, connection reset) is simply re-listed: not an error to show.
        await readWatch(withQuery(path, { ...params, watch: "1", resourceVersion: rv, allowWatchBookmarks: "true" }),
          accept, signal, (ev) => {
            if (ev.type === "ERROR") { expired = true; return; }
            if (ev.type === "BOOKMARK") return;
            const objs = tableMode ? (ev.object.rows || []) : [ev.object];
            for (const o of objs) {
              if (ev.type === "DELETED") items.delete(keyOf(o)); else items.set(keyOf(o), o);
            }
            if (tableMode && ev.object.columnDefinitions && ev.object.columnDefinitions.length) columns = ev.object.columnDefinitions;
            onChange(items, columns);
          }).catch((err) => {
            if (signal.aborted) throw err;
            console.warn("watch ended", path, err);
          });
        if (!expired) await sleep(200, signal);
      } catch (err) {
        if (signal.aborted) return;
        if (onError) { onError(err); return; }
        showError(err);
        await sleep(3000, signal);
      }
    }
  })();
  return items;
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) signal.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

// One DOM write per frame however many watch events arrive: the latest state is drawn once.
function perFrame(draw) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; draw(); });
  };
}

// A Performance API mark, set once per page load, when a page's data is first drawn
// (bench/dashboard measures from navigation start to it).
function markDrawn(name) {
  if (!performance.getEntriesByName(name, "mark").length) performance.mark(name);
}

// ---------- discovery ----------

const GROUPS = [
  ["Workloads", ["pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs",
    "replicationcontrollers", "horizontalpodautoscalers", "poddisruptionbudgets"]],
  ["Services and networking", ["services", "endpoints", "endpointslices", "ingresses", "ingressclasses", "networkpolicies"]],
  ["Config and storage", ["configmaps", "secrets", "persistentvolumeclaims", "persistentvolumes", "storageclasses",
    "csidrivers", "csinodes", "volumeattachments", "resourcequotas", "limitranges"]],
];

function descriptor(group, version, r) {
  return {
    group, version, resource: r.resource, kind: r.responseKind ? r.responseKind.kind : r.kind,
    namespaced: r.scope ? r.scope === "Namespaced" : !!r.namespaced,
    verbs: r.verbs || [],
    subresources: (r.subresources || []).map((s) => s.subresource),
  };
}

async function discover() {
  state.resources.clear();
  state.byKind.clear();
  const add = (d) => {
    if (!d.verbs.includes("list")) return;
    state.resources.set(`${d.group}/${d.version}/${d.resource}`, d);
    if (!state.byKind.has(`${d.group}/${d.kind}`)) state.byKind.set(`${d.group}/${d.kind}`, d);
  };
  // Both roots at once (the page waits for discovery before it can draw anything).
  const docs = await Promise.all(["/api", "/apis"].map((root) => api(root, { accept: DISCOVERY })));
  for (const [index, root] of ["/api", "/apis"].entries()) {
    const doc = docs[index];
    if (doc && doc.kind === "APIGroupDiscoveryList") {
      for (const g of doc.items || []) {
        const group = g.metadata && g.metadata.name ? g.metadata.name : "";
        const v = (g.versions || [])[0];
        if (!v) continue;
        for (const r of v.resources || []) add(descriptor(group, v.version, r));
      }
    } else if (root === "/api") {
      const list = await api("/api/v1");
      for (const r of list.resources) if (!r.name.includes("/")) add(descriptor("", "v1", { ...r, resource: r.name }));
    } else {
      for (const g of doc.groups || []) {
        const gv = g.preferredVersion.groupVersion;
        const list = await api(`/apis/${gv}`);
        for (const r of list.resources) {
          if (r.name.includes("/")) continue;
          const d = descriptor(g.name, g.preferredVersion.version, { ...r, resource: r.name });
          d.subresources = list.resources.filter((s) => s.name.startsWith(r.name + "/")).map((s) => s.name.split("/")[1]);
          add(d);
        }
      }
    }
  }
}

function builtinGroup(group) {
  return group === "" || !group.includes(".") || group.endsWith(".k8s.io");
}

function navSections() {
  const sections = GROUPS.map(([title]) => [title, []]);
  const cluster = ["Cluster", []];
  const custom = ["Custom resources", []];
  const sorted = [...state.resources.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  for (const d of sorted) {
    if (d.group === "metrics.k8s.io") continue;
    const idx = GROUPS.findIndex(([, names]) => names.includes(d.resource));
    if (idx >= 0 && builtinGroup(d.group)) sections[idx][1].push(d);
    else if (builtinGroup(d.group)) cluster[1].push(d);
    else custom[1].push(d);
  }
  return [...sections, cluster, custom].filter(([, list]) => list.length);
}

function renderNav() {
  const nav = $("nav");
  const children = [h("ul", {}, h("li", {}, h("a", { href: "#/overview" }, "Overview")))];
  for (const [title, list] of navSections()) {
    children.push(h("h2", {}, title));
    children.push(h("ul", {}, list.map((d) => h("li", {}, h("a", { href: listHref(d) }, plural(d))))));
  }
  nav.replaceChildren(...children);
  nav.hidden = false;
  markNav();
}

function markNav() {
  for (const a of $("nav").querySelectorAll("a")) {
    if (a.getAttribute("href") === location.hash) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function plural(d) {
  const k = d.kind;
  if (d.resource === k.toLowerCase()) return k;  // Endpoints
  if (/[^aeiou]y$/.test(k)) return k.slice(0, -1) + "ies";
  if (/(s|x|ch|sh)$/.test(k)) return k + "es";
  return k + "s";
}

function gvSegment(d) { return d.group === "" ? "core" : d.group; }
function listHref(d) { return `#/r/${gvSegment(d)}/${d.version}/${d.resource}`; }
function objectHref(d, ns, name) { return `#/o/${gvSegment(d)}/${d.version}/${d.resource}/${ns || "_"}/${encodeURIComponent(name)}`; }

function resPath(d, ns, name, sub) {
  let p = d.group === "" ? `/api/${d.version}` : `/apis/${d.group}/${d.version}`;
  if (d.namespaced && ns) p += `/namespaces/${encodeURIComponent(ns)}`;
  p += `/${d.resource}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

function find(group, resource) {
  for (const d of state.resources.values()) if (d.group === group && d.resource === resource) return d;
  return null;
}

// ---------- namespace picker and selector ----------

function startNamespaces(signal) {
  const select = $("namespace");
  const nsRes = find("", "namespaces");
  if (!nsRes) return;
  liveList("/api/v1/namespaces", {}, signal, (items) => {
    const names = [...items.values()].map((o) => o.metadata.name).sort();
    const current = state.namespace;
    select.replaceChildren(h("option", { value: "" }, "All namespaces"),
      ...names.map((n) => h("option", { value: n, selected: n === current }, n)));
    select.value = current;
  }, undefined, (err) => {
    // A user who may not list namespaces (a namespaced RoleBinding) types the one they work in.
    const typed = h("input", { id: "namespace-typed", value: state.namespace, placeholder: "namespace", "aria-label": "Namespace (you may not list them)" });
    typed.addEventListener("change", () => { state.namespace = typed.value.trim(); sessionStorage.setItem("kyvern.dashboard.namespace", state.namespace); route(); });
    select.hidden = true;
    select.after(typed);
    console.warn("namespaces cannot be listed", err);
  });
}

// ---------- pages ----------

function age(ts) {
  if (!ts) return "";
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function condition(o, type) {
  return ((o.status && o.status.conditions) || []).find((c) => c.type === type);
}

function overviewPage(signal) {
  const nodesBox = h("div", { class: "cards", id: "nodes", "aria-live": "polite" });
  const workloadsBox = h("div", { class: "cards", id: "workloads" });
  const eventsBox = h("div", { class: "table-wrap", id: "events" });
  setMain(h("h1", {}, "Overview"),
    h("section", { "aria-labelledby": "nodes-h" }, h("h2", { id: "nodes-h" }, "Nodes"), nodesBox),
    h("section", { "aria-labelledby": "workloads-h" }, h("h2", { id: "workloads-h" }, "Workloads"), workloadsBox),
    h("section", { "aria-labelledby": "events-h" }, h("h2", { id: "events-h" }, "Recent warnings"), eventsBox));
  const ns = state.namespace;
  startNodeUsage(nodesBox, signal);
  // The overview is drawn (for the mark) once the nodes and every workload kind have been drawn.
  const pending = new Set(["nodes"]);
  const drawn = (what) => {
    pending.delete(what);
    if (!pending.size) markDrawn("kyvern:overview-drawn");
  };
  let nodeItems = new Map();
  const drawNodes = perFrame(() => {
    const nodes = [...nodeItems.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    nodesBox.replaceChildren(...nodes.map((n) => {
      const ready = condition(n, "Ready");
      const ok = ready && ready.status === "True";
      const cap = n.status.capacity || {};
      const alloc = n.status.allocatable || {};
      const nd = find("", "nodes");
      return h("article", { class: "card node", "data-node": n.metadata.name },
        h("h3", {}, h("a", { href: objectHref(nd, "", n.metadata.name) }, n.metadata.name)),
        h("div", { class: ok ? "ok" : "bad" }, ok ? "Ready" : "NotReady", n.spec.unschedulable ? " · SchedulingDisabled" : ""),
        h("dl", { class: "kv" },
          h("dt", {}, "CPU"), h("dd", {}, `${alloc.cpu || "?"} of ${cap.cpu || "?"} allocatable`),
          h("dt", {}, "Memory"), h("dd", {}, `${alloc.memory || "?"} of ${cap.memory || "?"}`),
          h("dt", {}, "CPU use"), h("dd", { "data-usage-node": n.metadata.name, "data-usage": "cpu" }, nodeUsageText(n.metadata.name, "cpu")),
          h("dt", {}, "Memory use"), h("dd", { "data-usage-node": n.metadata.name, "data-usage": "memory" }, nodeUsageText(n.metadata.name, "memory")),
          h("dt", {}, "Pods"), h("dd", {}, `${alloc.pods || "?"}`),
          h("dt", {}, "Kubelet"), h("dd", {}, (n.status.nodeInfo || {}).kubeletVersion || "")));
    }));
    if (!nodes.length) nodesBox.replaceChildren(h("p", { class: "muted" }, "No nodes."));
    drawn("nodes");
  });
  liveList("/api/v1/nodes", {}, signal, (items) => { nodeItems = items; drawNodes(); });
  const workloadKinds = [["apps", "deployments"], ["apps", "statefulsets"], ["apps", "daemonsets"], ["", "pods"]];
  const tallies = {};
  const drawWorkloads = () => {
    workloadsBox.replaceChildren(...workloadKinds.filter(([g, r]) => tallies[r]).map(([g, r]) => {
      const t = tallies[r];
      const d = find(g, r);
      return h("article", { class: "card", "data-kind": r },
        h("h3", {}, h("a", { href: listHref(d) }, plural(d))),
        h("div", {}, h("span", { class: "ok" }, `${t.healthy} healthy`), " · ",
          h("span", { class: "warn" }, `${t.progressing} progressing`), " · ",
          h("span", { class: "bad" }, `${t.failing} failing`)));
    }));
    for (const r of Object.keys(tallies)) drawn(r);
  };
  // Tallies are counted when drawn, not per watch event: a burst of pod changes costs one count.
  const counted = {};
  let podColumns = [];
  const countAndDraw = perFrame(() => {
    for (const [r, items] of Object.entries(counted)) {
      const t = { healthy: 0, progressing: 0, failing: 0 };
      for (const o of items.values()) t[r === "pods" ? podRowHealth(o, podColumns) : health(r, o)]++;
      tallies[r] = t;
    }
    drawWorkloads();
  });
  for (const [g, r] of workloadKinds) {
    const d = find(g, r);
    if (!d) continue;
    pending.add(r);
    // Pods are counted from their Table rows (status and ready columns): with 1,000 pods the full
    // objects are megabytes the overview would fetch and parse before it could paint.
    const rows = r === "pods";
    liveList(resPath(d, ns), {}, signal, (items, columns) => {
      if (rows) podColumns = columns;
      counted[r] = items;
      countAndDraw();
    }, rows ? TABLE : undefined);
  }
  liveList(ns ? `/api/v1/namespaces/${ns}/events` : "/api/v1/events", { fieldSelector: "type=Warning" }, signal, (items) => {
    const events = [...items.values()].sort((a, b) => eventTime(b).localeCompare(eventTime(a))).slice(0, 20);
    if (!events.length) { eventsBox.replaceChildren(h("p", { class: "muted" }, "No warnings.")); return; }
    eventsBox.replaceChildren(eventsTable(events, true));
  });
}

function health(resource, o) {
  const s = o.status || {};
  if (resource === "pods") {
    if (s.phase === "Failed") return "failing";
    const waiting = (s.containerStatuses || []).some((c) => c.state && c.state.waiting &&
      /CrashLoopBackOff|ErrImagePull|ImagePullBackOff|CreateContainerError/.test(c.state.waiting.reason || ""));
    if (waiting) return "failing";
    if (s.phase === "Succeeded") return "healthy";
    const ready = condition(o, "Ready");
    return ready && ready.status === "True" ? "healthy" : "progressing";
  }
  let want;
  let ready;
  if (resource === "daemonsets") { want = s.desiredNumberScheduled || 0; ready = s.numberReady || 0; }
  else { want = (o.spec && o.spec.replicas !== undefined) ? o.spec.replicas : 1; ready = s.readyReplicas || 0; }
  const progress = condition(o, "Progressing");
  if (progress && progress.reason === "ProgressDeadlineExceeded") return "failing";
  const rf = condition(o, "ReplicaFailure");
  if (rf && rf.status === "True") return "failing";
  return ready >= want ? "healthy" : "progressing";
}

/** A pod's health from its Table row, as `kubectl get pods` shows it (Status and Ready columns). */
function podRowHealth(row, columns) {
  const cell = (name) => {
    const i = columns.findIndex((c) => c.name === name);
    return i < 0 || !row.cells ? "" : String(row.cells[i] ?? "");
  };
  const status = cell("Status");
  if (/CrashLoopBackOff|ErrImagePull|ImagePullBackOff|CreateContainerError|Error|Failed|OOMKilled|Evicted/.test(status)) return "failing";
  if (status === "Completed" || status === "Succeeded") return "healthy";
  const [ready, total] = cell("Ready").split("/").map(Number);
  return status === "Running" && total > 0 && ready === total ? "healthy" : "progressing";
}

function eventTime(e) { return e.lastTimestamp || e.eventTime || (e.metadata && e.metadata.creationTimestamp) || ""; }

function eventsTable(events, withObject) {
  return h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Reason"),
      withObject ? h("th", { scope: "col" }, "Object") : null, h("th", { scope: "col" }, "Message"),
      h("th", { scope: "col" }, "Age"))),
    h("tbody", {}, events.map((e) => {
      const io = e.involvedObject || {};
      const d = state.byKind.get(`${(io.apiVersion || "v1").includes("/") ? io.apiVersion.split("/")[0] : ""}/${io.kind}`);
      return h("tr", {},
        h("td", { class: e.type === "Warning" ? "warn" : "" }, e.type || ""),
        h("td", {}, e.reason || ""),
        withObject ? h("td", {}, d ? h("a", { href: objectHref(d, io.namespace, io.name) }, `${io.kind}/${io.name}`) : `${io.kind}/${io.name}`) : null,
        h("td", {}, e.message || ""),
        h("td", {}, age(eventTime(e))));
    })));
}

function listPage(d, signal) {
  const count = h("span", { class: "muted", id: "count" });
  const wrap = h("div", { class: "table-wrap" });
  const scope = d.namespaced ? (state.namespace || "all namespaces") : "cluster";
  setMain(h("h1", {}, plural(d), " ", h("span", { class: "muted" }, `(${scope})`), " ", count), wrap);
  let sort = { col: 0, dir: 1 };
  let lastItems = new Map();
  let lastColumns = [];
  const showNs = d.namespaced && !state.namespace;
  // Rows are kept by uid and rebuilt only when their object (resourceVersion) or shown age
  // changed, so a watch event rewrites one row, not a thousand.
  const rowCache = new Map();
  // The first frame draws what fills a screen; the rest follow in the next frames (a thousand rows each).
  const FIRST_ROWS = 100;
  const ROWS_PER_FRAME = 1000;
  let shown = FIRST_ROWS;
  let headKey = "";
  const thead = h("thead", {});
  const tbody = h("tbody", {});
  let table = null;
  const drawHead = (columns) => {
    const key = JSON.stringify([columns.map((c) => c.name), sort]);
    if (key === headKey) return;
    headKey = key;
    rowCache.clear();
    thead.replaceChildren(h("tr", {},
      showNs ? h("th", { scope: "col" }, "Namespace") : null,
      columns.map((c) => h("th", { scope: "col", "aria-sort": sort.col === c.index ? (sort.dir > 0 ? "ascending" : "descending") : "none" },
        h("button", { type: "button", title: c.description || "", onclick: () => {
          sort = sort.col === c.index ? { col: c.index, dir: -sort.dir } : { col: c.index, dir: 1 };
          draw();
        } }, c.name)))));
  };
  const rowOf = (row, columns) => {
    const m = row.object.metadata;
    const shownAge = age(m.creationTimestamp);
    const key = `${m.resourceVersion}|${shownAge}`;
    const cached = rowCache.get(m.uid);
    if (cached && cached.key === key) return cached.tr;
    const tr = h("tr", { "data-name": m.name, "data-rv": m.resourceVersion },
      showNs ? h("td", {}, m.namespace || "") : null,
      columns.map((c, i) => h("td", {}, i === 0 ? h("a", { href: objectHref(d, m.namespace, m.name) }, String(row.cells[c.index]))
        : (c.name === "Age" ? shownAge : cellText(row.cells[c.index])))));
    rowCache.set(m.uid, { key, tr });
    return tr;
  };
  const draw = () => {
    const columns = lastColumns.map((c, i) => ({ ...c, index: i })).filter((c) => !c.priority);
    const rows = [...lastItems.values()];
    const sortCol = lastColumns[sort.col];
    rows.sort((a, b) => {
      if (sortCol && sortCol.name === "Age") {
        return sort.dir * (Date.parse(b.object.metadata.creationTimestamp) - Date.parse(a.object.metadata.creationTimestamp));
      }
      const x = a.cells[sort.col], y = b.cells[sort.col];
      if (typeof x === "number" && typeof y === "number") return sort.dir * (x - y);
      return sort.dir * COLLATOR.compare(String(x), String(y));
    });
    count.textContent = `${rows.length} item${rows.length === 1 ? "" : "s"}`;
    drawHead(columns);
    const trs = rows.slice(0, shown).map((row) => rowOf(row, columns));
    for (const uid of rowCache.keys()) if (!lastItems.has(uid)) rowCache.delete(uid);
    // Same order and count: swap only the rebuilt rows in place; otherwise lay the body out again.
    const current = tbody.children;
    let inPlace = current.length === trs.length;
    for (let i = 0; inPlace && i < trs.length; i++) {
      if (current[i] !== trs[i] && trs[i].parentNode) inPlace = false;
    }
    // The body so far is a prefix (rows still arriving): append the rest.
    let prefix = !inPlace && current.length < trs.length;
    for (let i = 0; prefix && i < current.length; i++) prefix = current[i] === trs[i];
    if (inPlace) {
      for (let i = 0; i < trs.length; i++) if (current[i] !== trs[i]) current[i].replaceWith(trs[i]);
    } else if (prefix) {
      tbody.append(...trs.slice(current.length));
    } else {
      tbody.replaceChildren(...trs);
    }
    if (!table) {
      table = h("table", { "aria-label": plural(d) }, thead, tbody);
      wrap.replaceChildren(table);
    }
    markDrawn("kyvern:list-drawn");
    if (shown < rows.length) {
      shown += ROWS_PER_FRAME;
      drawSoon();
    } else {
      shown = Infinity;
      markDrawn("kyvern:list-complete");
    }
  };
  const drawSoon = perFrame(draw);
  liveList(resPath(d, state.namespace), { labelSelector: state.selector }, signal, (items, columns) => {
    lastItems = items;
    lastColumns = columns;
    drawSoon();
  }, TABLE);
}

// One collator for every sort (a localeCompare with options builds one per call).
const COLLATOR = new Intl.Collator(undefined, { numeric: true });

function cellText(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

// ---------- YAML (the editor shows what server-side apply receives) ----------

const PLAIN = /^[A-Za-z_\/][A-Za-z0-9_.\/ -]*[A-Za-z0-9_.\/-]$|^[A-Za-z_\/]$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

function yamlScalar(v) {
  if (v === null) return "null";
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  const s = String(v);
  if (PLAIN.test(s) && !RESERVED.test(s) && !s.includes(": ") && !s.includes(" #")) return s;
  return JSON.stringify(s);
}

function yamlKey(k) { return /^[A-Za-z0-9_.\/-]+$/.test(k) && !RESERVED.test(k) ? k : JSON.stringify(k); }

function toYAML(v, indent = "") {
  if (Array.isArray(v)) {
    if (!v.length) return "[]";
    return v.map((item) => {
      if (item && typeof item === "object" && (Array.isArray(item) ? item.length : Object.keys(item).length)) {
        const inner = toYAML(item, indent + "  ");
        return `${indent}- ${inner.slice(indent.length + 2)}`;
      }
      return `${indent}- ${item && typeof item === "object" ? toYAML(item) : yamlScalar(item)}`;
    }).join("\n");
  }
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (!keys.length) return "{}";
    return keys.map((k) => {
      const x = v[k];
      if (x && typeof x === "object" && (Array.isArray(x) ? x.length : Object.keys(x).length)) {
        return `${indent}${yamlKey(k)}:\n${toYAML(x, Array.isArray(x) ? indent : indent + "  ")}`;
      }
      return `${indent}${yamlKey(k)}: ${x && typeof x === "object" ? toYAML(x) : yamlScalar(x)}`;
    }).join("\n");
  }
  return indent + yamlScalar(v);
}

function editable(o) {
  const copy = JSON.parse(JSON.stringify(o));
  delete copy.status;
  if (copy.metadata) {
    for (const k of ["managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"]) delete copy.metadata[k];
  }
  return copy;
}

// ---------- detail ----------

const OWNED = {
  deployments: ["apps", "replicasets"], replicasets: ["", "pods"], statefulsets: ["", "pods"],
  daemonsets: ["", "pods"], jobs: ["", "pods"], cronjobs: ["batch", "jobs"],
};

function detailPage(d, ns, name, signal) {
  const summary = h("section", { id: "summary", "aria-label": "Summary" });
  const actions = h("div", { class: "actions", id: "actions" });
  const conditions = h("section", { id: "conditions", "aria-labelledby": "cond-h" });
  const containers = h("section", { id: "containers" });
  const owned = h("section", { id: "owned", "aria-labelledby": "owned-h" });
  const ownedAll = h("section", { id: "owned-generic", "aria-labelledby": "owned-all-h" });
  const events = h("section", { id: "object-events", "aria-labelledby": "ev-h" }, h("h2", { id: "ev-h" }, "Events"));
  const yaml = h("textarea", { class: "yaml", id: "yaml", "aria-label": "YAML", spellcheck: "false" });
  const force = h("input", { type: "checkbox", id: "force" });
  const forceLabel = h("label", { id: "force-label", hidden: true }, force, " Force (take ownership of conflicting fields)");
  const saveResult = h("p", { id: "save-result", role: "status" });
  let dirty = false;
  let current = null;
  yaml.addEventListener("input", () => { dirty = true; });
  const save = async () => {
    saveResult.textContent = "";
    try {
      const saved = await api(withQuery(resPath(d, ns, name), { fieldManager: FIELD_MANAGER, force: force.checked ? "true" : "" }), {
        method: "PATCH", body: yaml.value, contentType: "application/apply-patch+yaml" });
      dirty = false;
      force.checked = false;
      forceLabel.hidden = true;
      yaml.value = toYAML(editable(saved));
      saveResult.textContent = `Saved (resourceVersion ${saved.metadata.resourceVersion}).`;
    } catch (err) {
      if (err.code === 409) {
        forceLabel.hidden = false;
        saveResult.textContent = `Conflict: ${err.message}`;
      }
      showError(err);
    }
  };
  const editor = h("section", { "aria-labelledby": "yaml-h" }, h("h2", { id: "yaml-h" }, "YAML"),
    h("p", { class: "muted" }, "Saved by server-side apply as field manager ", h("code", {}, FIELD_MANAGER), "."),
    yaml,
    h("div", { class: "row-form" },
      h("button", { type: "button", class: "primary", id: "save", onclick: save }, "Save"),
      h("button", { type: "button", onclick: () => { if (current) { yaml.value = toYAML(editable(current)); dirty = false; } } }, "Revert"),
      forceLabel),
    saveResult);
  const charts = ["nodes", "pods"].includes(d.resource) && d.group === "" ? metricsPanel(d.resource, ns, name, signal) : null;
  setMain(h("h1", {}, `${d.kind} `, h("span", { id: "title-name" }, name)), actions, summary, charts, containers, conditions, owned, ownedAll, events, editor);
  renderActions(d, ns, name, actions);

  let eventsStarted = false;
  let ownedStarted = false;
  let ownedGenericStarted = false;
  const path = d.namespaced ? resPath(d, ns) : resPath(d);
  liveList(path, { fieldSelector: `metadata.name=${name}` }, signal, (items) => {
    const o = [...items.values()][0];
    if (!o) { summary.replaceChildren(h("p", { class: "bad" }, "This object does not exist (any more).")); return; }
    current = o;
    renderSummary(d, o, summary);
    renderConditions(o, conditions);
    if (d.resource === "pods") renderContainers(o, containers);
    if (!dirty) yaml.value = toYAML(editable(o));
    if (!eventsStarted) {
      eventsStarted = true;
      const evPath = o.metadata.namespace ? `/api/v1/namespaces/${o.metadata.namespace}/events` : "/api/v1/events";
      liveList(evPath, { fieldSelector: `involvedObject.uid=${o.metadata.uid}` }, signal, (evs) => {
        const list = [...evs.values()].sort((a, b) => eventTime(b).localeCompare(eventTime(a)));
        events.replaceChildren(h("h2", { id: "ev-h" }, "Events"), list.length ? eventsTable(list, false) : h("p", { class: "muted" }, "No events."));
      });
    }
    if (!ownedGenericStarted) {
      ownedGenericStarted = true;
      const live = OWNED[d.resource] ? new Set([OWNED[d.resource].join("/")]) : new Set();
      renderOwnedGeneric(d, o, ownedAll, live).catch(showError);
    }
    if (!ownedStarted && OWNED[d.resource]) {
      ownedStarted = true;
      const [g, r] = OWNED[d.resource];
      const cd = find(g, r);
      if (cd) {
        liveList(resPath(cd, ns), {}, signal, (children) => {
          const mine = [...children.values()].filter((c) => (c.metadata.ownerReferences || []).some((ref) => ref.uid === o.metadata.uid));
          owned.replaceChildren(h("h2", { id: "owned-h" }, `Owned ${plural(cd)}`),
            mine.length ? h("ul", {}, mine.map((c) => h("li", {}, h("a", { href: objectHref(cd, c.metadata.namespace, c.metadata.name) }, c.metadata.name)))) : h("p", { class: "muted" }, "None."));
        });
      }
    }
  });
}

function renderSummary(d, o, box) {
  const m = o.metadata;
  const owners = (m.ownerReferences || []).map((ref) => {
    const group = ref.apiVersion.includes("/") ? ref.apiVersion.split("/")[0] : "";
    const od = state.byKind.get(`${group}/${ref.kind}`);
    return h("li", {}, od ? h("a", { href: objectHref(od, od.namespaced ? m.namespace : "", ref.name) }, `${ref.kind}/${ref.name}`) : `${ref.kind}/${ref.name}`);
  });
  const labels = Object.entries(m.labels || {}).map(([k, v]) => `${k}=${v}`).join(", ");
  const rows = [["Name", m.name], d.namespaced ? ["Namespace", m.namespace] : null, ["Created", `${m.creationTimestamp} (${age(m.creationTimestamp)} ago)`],
    ["Labels", labels || "—"], ["UID", m.uid]].filter(Boolean);
  const status = o.status || {};
  const extra = [];
  if (o.spec && o.spec.replicas !== undefined) extra.push(["Replicas", `${status.readyReplicas || 0} ready of ${o.spec.replicas} desired (${status.updatedReplicas || 0} updated, ${status.availableReplicas || 0} available)`]);
  if (status.phase) extra.push(["Phase", status.phase]);
  if (d.resource === "pods") extra.push(["Node", (o.spec && o.spec.nodeName) || "—"], ["Pod IP", status.podIP || "—"]);
  if (d.resource === "nodes") extra.push(["Schedulable", o.spec.unschedulable ? "no (cordoned)" : "yes"]);
  box.replaceChildren(h("dl", { class: "kv" }, [...rows, ...extra].map(([k, v]) => [h("dt", {}, k), h("dd", { "data-field": k }, v)])),
    owners.length ? h("div", {}, h("h2", {}, "Owners"), h("ul", { id: "owners" }, owners)) : "");
}

function renderConditions(o, box) {
  const conds = (o.status && o.status.conditions) || [];
  if (!conds.length) { box.replaceChildren(); return; }
  box.replaceChildren(h("h2", { id: "cond-h" }, "Conditions"), h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, ["Type", "Status", "Reason", "Message", "Last transition"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, conds.map((c) => h("tr", {}, h("td", {}, c.type), h("td", { class: c.status === "True" ? "ok" : "" }, c.status),
      h("td", {}, c.reason || ""), h("td", {}, c.message || ""), h("td", {}, age(c.lastTransitionTime))))))));
}

function renderContainers(pod, box) {
  const statuses = new Map(((pod.status && pod.status.containerStatuses) || []).map((s) => [s.name, s]));
  const ns = pod.metadata.namespace, name = pod.metadata.name;
  box.replaceChildren(h("h2", {}, "Containers"), h("ul", {}, (pod.spec.containers || []).map((c) => {
    const s = statuses.get(c.name);
    const st = s ? Object.keys(s.state || {})[0] : "unknown";
    return h("li", {}, `${c.name} (${c.image}) — ${st}${s && s.restartCount ? `, ${s.restartCount} restarts` : ""} `,
      h("a", { href: `#/logs/${ns}/${name}?container=${encodeURIComponent(c.name)}` }, "Logs"), " · ",
      h("a", { href: `#/exec/${ns}/${name}?container=${encodeURIComponent(c.name)}&tty=1` }, "Exec"));
  })));
}

// ---------- actions ----------

// Cancel is not a submit button: Enter in a dialog's field submits with the form's first submit
// button, which must be OK (Escape or Cancel dismiss).
document.getElementById("dialog-cancel").addEventListener("click", () => $("dialog").close("cancel"));

async function ask(title, body) {
  const dialog = $("dialog");
  $("dialog-title").textContent = title;
  $("dialog-body").replaceChildren(...body);
  dialog.returnValue = "";
  dialog.showModal();
  const first = dialog.querySelector("#dialog-body input, #dialog-body select");
  (first || $("dialog-ok")).focus();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}

function renderActions(d, ns, name, box) {
  const buttons = [];
  const act = (label, fn, cls) => buttons.push(h("button", { type: "button", class: cls, onclick: () => fn().catch(showError) }, label));
  if (d.subresources.includes("scale") || ["deployments", "replicasets", "statefulsets"].includes(d.resource)) {
    act("Scale", async () => {
      // The current count is a convenience: a user who may not read the scale still gets to try (and sees the API's answer).
      const current = await api(resPath(d, ns, name, "scale")).catch(() => null);
      const input = h("input", { type: "number", min: "0", id: "replicas", value: current ? String(current.spec.replicas || 0) : "" });
      if (!await ask(`Scale ${d.kind} ${name}`, [h("label", {}, "Replicas ", input)])) return;
      await api(resPath(d, ns, name, "scale"), { method: "PATCH", contentType: "application/merge-patch+json",
        body: { spec: { replicas: Number(input.value) } } });
      showAlert(`${d.kind} ${name} scaled to ${input.value}.`, "info");
    });
  }
  if (["deployments", "statefulsets", "daemonsets"].includes(d.resource)) {
    act("Restart", async () => {
      if (!await ask(`Restart the rollout of ${d.kind} ${name}?`, [h("p", {}, "Every pod is replaced, as `kubectl rollout restart` does.")])) return;
      await api(resPath(d, ns, name), { method: "PATCH", contentType: "application/strategic-merge-patch+json",
        body: { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": new Date().toISOString() } } } } } });
      showAlert(`Rollout of ${d.kind} ${name} restarted.`, "info");
    });
  }
  if (d.resource === "deployments" && d.group === "apps") act("Roll back", () => rollbackDeployment(d, ns, name));
  if (d.resource === "nodes") {
    for (const [label, value] of [["Cordon", true], ["Uncordon", false]]) {
      act(label, async () => {
        if (!await ask(`${label} node ${name}?`, [h("p", {}, value ? "No new pods will be scheduled here." : "New pods may be scheduled here again.")])) return;
        await api(resPath(d, "", name), { method: "PATCH", contentType: "application/merge-patch+json", idempotent: true,
          body: { spec: { unschedulable: value ? true : null } } });
        showAlert(`Node ${name} ${value ? "cordoned" : "uncordoned"}.`, "info");
      });
    }
    act("Drain", () => drainNode(name));
  }
  if (d.resource === "pods") {
    buttons.push(h("a", { href: `#/logs/${ns}/${name}` }, "Logs"), h("a", { href: `#/exec/${ns}/${name}?tty=1` }, "Exec"));
  }
  if (d.group === "apps" && ["deployments", "replicasets"].includes(d.resource)) {
    buttons.push(h("a", { href: `#/wlogs/${ns}/${d.resource}/${encodeURIComponent(name)}`, id: "all-pods-logs" }, "Logs of all pods"));
  }
  if (d.verbs.includes("delete")) {
    act("Delete", async () => {
      const cascade = h("select", { id: "cascade" }, h("option", { value: "Background" }, "Background (delete dependents afterwards)"),
        h("option", { value: "Foreground" }, "Foreground (dependents first)"), h("option", { value: "Orphan" }, "Orphan (keep dependents)"));
      if (!await ask(`Delete ${d.kind} ${name}?`, [h("label", {}, "Cascade ", cascade)])) return;
      await api(resPath(d, ns, name), { method: "DELETE", body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: cascade.value } });
      showAlert(`${d.kind} ${name} deleted.`, "info");
    }, "danger");
  }
  box.replaceChildren(...buttons);
}

// ---------- logs and exec ----------

async function containerPicker(ns, name, selected, signal) {
  const pod = await api(`/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}`, { signal });
  const names = [...(pod.spec.initContainers || []), ...(pod.spec.containers || [])].map((c) => c.name);
  const pick = selected && names.includes(selected) ? selected : (pod.spec.containers[0] || {}).name;
  return h("select", { id: "container" }, names.map((n) => h("option", { value: n, selected: n === pick }, n)));
}

async function logsPage(ns, name, params, signal) {
  const picker = await containerPicker(ns, name, params.get("container"), signal);
  const follow = h("input", { type: "checkbox", id: "follow", checked: true });
  const previous = h("input", { type: "checkbox", id: "previous" });
  const out = h("pre", { class: "log", id: "log", role: "log", "aria-live": "polite", tabindex: "0" });
  let stream = null;
  const start = async () => {
    if (stream) stream.abort();
    stream = new AbortController();
    signal.addEventListener("abort", () => stream.abort(), { once: true });
    out.textContent = "";
    try {
      const res = await api(withQuery(`/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}/log`, {
        container: picker.value, follow: follow.checked ? "true" : "", previous: previous.checked ? "true" : "", tailLines: "1000" }),
      { accept: "text/plain", raw: true, signal: stream.signal });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
        out.append(decoder.decode(value, { stream: true }));
        if (atBottom) out.scrollTop = out.scrollHeight;
      }
    } catch (err) { showError(err); }
  };
  for (const el of [picker, follow, previous]) el.addEventListener("change", start);
  const pd = find("", "pods");
  setMain(h("h1", {}, "Logs of ", h("a", { href: objectHref(pd, ns, name) }, `${ns}/${name}`)),
    h("div", { class: "row-form" }, h("label", {}, "Container ", picker), h("label", {}, follow, " Follow"),
      h("label", {}, previous, " Previous (crashed) container"),
      h("a", { href: `#/exec/${ns}/${name}?container=${encodeURIComponent(picker.value)}&tty=1` }, "Open a terminal")),
    out);
  start();
}

function b64url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function execPage(ns, name, params, signal) {
  const picker = await containerPicker(ns, name, params.get("container"), signal);
  const command = h("input", { id: "command", value: params.get("command") || "sh", "aria-label": "Command" });
  const out = h("pre", { class: "log", id: "terminal", role: "log", "aria-live": "polite", tabindex: "0" });
  const input = h("input", { id: "stdin", "aria-label": "Input", placeholder: "type a line and press Enter", autocomplete: "off", disabled: true, size: "60" });
  const status = h("span", { id: "exec-status", role: "status" }, "Not connected.");
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const connect = () => {
    if (state.socket) state.socket.close();
    out.textContent = "";
    const q = new URLSearchParams({ container: picker.value, stdin: "true", stdout: "true", stderr: "true" });
    for (const part of command.value.trim().split(/\s+/)) q.append("command", part);
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}/exec?${q}`;
    const ws = new WebSocket(url, ["v5.channel.k8s.io", "v4.channel.k8s.io", `base64url.bearer.authorization.k8s.io.${b64url(token())}`]);
    ws.binaryType = "arraybuffer";
    state.socket = ws;
    status.textContent = "Connecting…";
    ws.onopen = () => { status.textContent = `Connected (${ws.protocol}).`; input.disabled = false; input.focus(); };
    ws.onmessage = (ev) => {
      const data = new Uint8Array(ev.data);
      if (!data.length) return;
      const channel = data[0];
      const text = decoder.decode(data.subarray(1));
      if (channel === 1 || channel === 2) out.append(text);
      else if (channel === 3 && text) {
        try {
          const st = JSON.parse(text);
          if (st.status !== "Success") out.append(`\n[${st.message || text}]\n`);
        } catch (_) { out.append(`\n[${text}]\n`); }
      }
      out.scrollTop = out.scrollHeight;
    };
    ws.onclose = (ev) => { status.textContent = `Disconnected${ev.reason ? `: ${ev.reason}` : ""}.`; input.disabled = true; };
    ws.onerror = () => { status.textContent = "The connection failed (see the API's answer for the same request)."; };
  };
  input.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || !state.socket || state.socket.readyState !== WebSocket.OPEN) return;
    const line = input.value;
    out.append(`$ ${line}\n`);
    const bytes = encoder.encode(line + "\n");
    const frame = new Uint8Array(bytes.length + 1);
    frame[0] = 0;
    frame.set(bytes, 1);
    state.socket.send(frame);
    input.value = "";
  });
  signal.addEventListener("abort", () => { if (state.socket) state.socket.close(); state.socket = null; }, { once: true });
  const pd = find("", "pods");
  setMain(h("h1", {}, "Terminal in ", h("a", { href: objectHref(pd, ns, name) }, `${ns}/${name}`)),
    h("div", { class: "row-form" }, h("label", {}, "Container ", picker), h("label", {}, "Command ", command),
      h("button", { type: "button", class: "primary", id: "connect", onclick: connect }, "Connect"), status,
      h("a", { href: `#/exec/${ns}/${name}?container=${encodeURIComponent(picker.value)}&tty=1` }, "Terminal (TTY)")),
    out, h("div", { class: "row-form" }, h("label", { for: "stdin" }, "Input"), input));
  connect();
}

// ---------- kubeconfig (login) ----------

// The block-style YAML kubectl writes (mappings, "- " sequences, plain or quoted scalars) or JSON.
function parseKubeconfig(text) {
  if (/^\s*\{/.test(text)) return JSON.parse(text);
  const lines = [];
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*(#.*)?$/.test(raw) || /^(---|\.\.\.)\s*$/.test(raw)) continue;
    lines.push({ indent: raw.match(/^ */)[0].length, text: raw.trim() });
  }
  let i = 0;
  const scalar = (v) => {
    v = v.replace(/\s+#.*$/, "");
    if (/^".*"$/.test(v)) return JSON.parse(v);
    if (/^'.*'$/.test(v)) return v.slice(1, -1).replace(/''/g, "'");
    if (v === "null" || v === "~" || v === "") return null;
    if (v === "[]") return [];
    if (v === "{}") return {};
    return v;
  };
  const block = (indent) => {
    if (i >= lines.length) return null;
    if (lines[i].text.startsWith("- ") || lines[i].text === "-") {
      const list = [];
      while (i < lines.length && lines[i].indent === indent && (lines[i].text.startsWith("- ") || lines[i].text === "-")) {
        const rest = lines[i].text.slice(1).trim();
        if (!rest) { i++; list.push(i < lines.length && lines[i].indent > indent ? block(lines[i].indent) : null); continue; }
        // "- key: value" opens a mapping whose further keys sit two columns in.
        lines[i] = { indent: indent + 2, text: rest };
        list.push(/^[^"'][^:]*:(\s|$)/.test(rest) ? block(indent + 2) : (i++, scalar(rest)));
      }
      return list;
    }
    const map = {};
    while (i < lines.length && lines[i].indent === indent) {
      const m = /^("[^"]*"|'[^']*'|[^:]+):(?:\s+(.*))?$/.exec(lines[i].text);
      if (!m) throw new Error(`not a kubeconfig (line "${lines[i].text.slice(0, 40)}")`);
      const key = scalar(m[1]);
      i++;
      if (m[2] !== undefined && m[2] !== "") map[key] = scalar(m[2]);
      else if (i < lines.length && (lines[i].indent > indent || (lines[i].indent === indent && lines[i].text.startsWith("- ")))) map[key] = block(lines[i].indent);
      else map[key] = null;
    }
    return map;
  };
  return block(lines.length ? lines[0].indent : 0) || {};
}

// The bearer token of the kubeconfig's current user, or an Error saying why there is none: a page
// cannot present a client certificate (the browser would have to import it), nor run an exec plugin.
function kubeconfigToken(text) {
  const cfg = parseKubeconfig(text);
  if (!cfg || !Array.isArray(cfg.users)) throw new Error("not a kubeconfig (it has no users)");
  const contexts = cfg.contexts || [];
  const ctx = contexts.find((c) => c.name === cfg["current-context"]) || (contexts.length === 1 ? contexts[0] : null);
  const userName = ctx && ctx.context ? ctx.context.user : (cfg.users.length === 1 ? cfg.users[0].name : null);
  const entry = cfg.users.find((u) => u.name === userName);
  if (!entry) throw new Error(`the kubeconfig names no user for its current context "${cfg["current-context"] || ""}"`);
  const user = entry.user || {};
  if (user.token) return { token: String(user.token), user: entry.name };
  if (user["client-certificate-data"] || user["client-certificate"]) {
    throw new Error(`user "${entry.name}" logs in with a client certificate, which this page cannot present: run ` +
      "`kyvern dashboard --kubeconfig FILE` for a one-time login link as that user");
  }
  if (user["tokenFile"]) throw new Error(`user "${entry.name}" reads its token from a file (${user.tokenFile}); paste the token itself`);
  if (user.exec || user["auth-provider"]) throw new Error(`user "${entry.name}" gets its credentials from a plugin, which a page cannot run`);
  throw new Error(`user "${entry.name}" has no token`);
}

// ---------- login ----------

function loginPage(message) {
  $("controls").hidden = true;
  $("nav").hidden = true;
  const tokenInput = h("textarea", { id: "token", "aria-describedby": "token-help", autocomplete: "off", spellcheck: "false" });
  const fileInput = h("input", { type: "file", id: "kubeconfig-file", accept: ".yaml,.yml,.json,.conf,text/*,application/json" });
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    if (file) { tokenInput.value = await file.text(); form.requestSubmit(); }
  });
  const form = h("form", { class: "login", onsubmit: async (ev) => {
    ev.preventDefault();
    let credential = tokenInput.value.trim();
    // A pasted or uploaded kubeconfig: its current user's token.
    if (/(^|\n)\s*(apiVersion|users|clusters|contexts|current-context)\s*:|^\s*\{/.test(credential)) {
      try { credential = kubeconfigToken(credential).token; } catch (err) { showAlert(`Kubeconfig refused: ${err.message}`); return; }
    }
    sessionStorage.setItem(TOKEN_KEY, credential);
    try {
      await whoami(true);
      if (!/^#\/(r|o|logs|wlogs|exec)\//.test(location.hash)) location.hash = "#/overview";
      await boot();
    } catch (err) {
      sessionStorage.removeItem(TOKEN_KEY);
      showError(err);
    }
  } },
  h("h1", {}, "Log in"),
  message ? h("p", { class: "bad", role: "alert" }, message) : null,
  h("p", { id: "token-help" }, "Run ", h("code", {}, "kyvern dashboard"), " for a one-time login link, or paste a bearer token (e.g. from ",
    h("code", {}, "kubectl create token NAME"), ") or a kubeconfig whose user has a token. Everything you do here is done as that user."),
  h("label", { for: "token" }, "Bearer token or kubeconfig"), tokenInput,
  h("p", {}, h("label", { for: "kubeconfig-file" }, "Or upload a kubeconfig "), fileInput),
  h("p", {}, h("button", { type: "submit", class: "primary", id: "login" }, "Log in")));
  setMain(form);
  tokenInput.focus();
}

async function whoami(noLogout) {
  const review = await api("/apis/authentication.k8s.io/v1/selfsubjectreviews", { method: "POST", noLogout,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } });
  state.user = review.status.userInfo.username;
  $("whoami").textContent = `Signed in as ${state.user}`;
}

function logout(revoke) {
  const t = token();
  if (revoke && t) fetch("/dashboard/session", { method: "DELETE", headers: { Authorization: `Bearer ${t}` } }).catch(() => {});
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.page) state.page.abort();
  loginPage(revoke ? "" : "Your session has ended; log in again.");
}

async function redeemCode() {
  const m = /^#login=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, "", `${location.pathname}#/overview`);
  const res = await fetch("/dashboard/session", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ code: m[1] }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new APIError(res.status, body);
  sessionStorage.setItem(TOKEN_KEY, body.token);
}

// ---------- routing ----------

let globalCtl = null;

async function route() {
  if (!token()) { loginPage(); return; }
  if (state.page) state.page.abort();
  state.page = new AbortController();
  const signal = state.page.signal;
  $("alert").hidden = true;
  const [pathPart, queryPart] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(queryPart || "");
  const parts = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  markNav();
  try {
    if (parts[0] === "r" && parts.length === 4) {
      const d = state.resources.get(`${parts[1] === "core" ? "" : parts[1]}/${parts[2]}/${parts[3]}`);
      if (!d) throw new Error(`this server does not serve ${parts.slice(1).join("/")}`);
      listPage(d, signal);
    } else if (parts[0] === "o" && parts.length === 6) {
      const d = state.resources.get(`${parts[1] === "core" ? "" : parts[1]}/${parts[2]}/${parts[3]}`);
      if (!d) throw new Error(`this server does not serve ${parts.slice(1, 4).join("/")}`);
      detailPage(d, parts[4] === "_" ? "" : parts[4], parts[5], signal);
    } else if (parts[0] === "logs" && parts.length === 3) {
      await logsPage(parts[1], parts[2], params, signal);
    } else if (parts[0] === "wlogs" && parts.length === 4) {
      await workloadLogsPage(parts[1], parts[2], parts[3], signal);
    } else if (parts[0] === "exec" && parts.length === 3 && ["1", "true"].includes(params.get("tty"))) {
      await ttyExecPage(parts[1], parts[2], params, signal);
    } else if (parts[0] === "exec" && parts.length === 3) {
      await execPage(parts[1], parts[2], params, signal);
    } else {
      overviewPage(signal);
    }
    $("main").focus({ preventScroll: true });
  } catch (err) { showError(err); }
}

async function boot() {
  // Who the user is and what the server serves are independent: asked at once (one round trip less before the first page),
  // and with them the overview's own lists when that is the page being opened.
  await Promise.all([whoami(), discover()]).catch((err) => { takeEarly.clear(); throw err; });
  $("controls").hidden = false;
  renderNav();
  if (globalCtl) globalCtl.abort();
  globalCtl = new AbortController();
  startNamespaces(globalCtl.signal);
  await route();
  takeEarly.clear();  // later pages ask afresh
}

function init() {
  window.addEventListener("hashchange", () => { if (token()) route(); });
  $("namespace").addEventListener("change", (ev) => {
    state.namespace = ev.target.value;
    sessionStorage.setItem("kyvern.dashboard.namespace", state.namespace);
    route();
  });
  let timer = null;
  $("selector").addEventListener("input", (ev) => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.selector = ev.target.value.trim(); route(); }, 300);
  });
  $("logout").addEventListener("click", () => logout(true));
  (async () => {
    try { await redeemCode(); } catch (err) { loginPage(`Login link refused: ${err.message}`); return; }
    if (!token()) { loginPage(); return; }
    try { await boot(); } catch (err) { if (err.code === 401) logout(false); else showError(err); }
  })();
}

init();

// CPU and memory over the last hour, from the samples the server remembers (/dashboard/metrics),
// drawn as inline SVG; and the live use on the overview's node cards. Each request is checked by
// the server as this user against metrics.k8s.io, so RBAC decides what is shown.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const HOUR_MS = 3600 * 1000;

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function formatCPU(nanocores) {
  const milli = nanocores / 1e6;
  if (milli >= 1000) return `${(milli / 1000).toFixed(2)} cores`;
  return `${milli < 10 ? milli.toFixed(1) : Math.round(milli)}m`;
}

function formatMemory(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 10 && i ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

// A time offset as a tick label: "-45m", "-30s", "now".
function ago(ms) {
  if (ms < 1000) return "now";
  return ms >= 120000 ? `-${Math.round(ms / 60000)}m` : `-${Math.round(ms / 1000)}s`;
}

// One line chart of `field` over the samples of the last hour (the time axis spans what has been
// sampled, at most the hour); the y axis starts at zero and has a floor so idle reads as idle.
function lineChart(samples, field, format, label, now, floor) {
  const W = 600, H = 150, L = 64, B = 20, T = 8, R = 12;
  const points = samples.filter((s) => s.t >= now - HOUR_MS);
  const start = points.length > 1 ? Math.max(now - HOUR_MS, points[0].t) : now - HOUR_MS;
  const span = Math.max(1000, now - start);
  const top = Math.max(floor, ...points.map((s) => s[field])) * 1.15;
  const x = (t) => L + ((t - start) / span) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  const latest = points.length ? points[points.length - 1][field] : null;
  const peak = points.length ? Math.max(...points.map((s) => s[field])) : null;
  const summary = latest === null ? `${label}: no samples yet`
    : `${label}: now ${format(latest)}, peak ${format(peak)} over the last ${span >= HOUR_MS - 60000 ? "hour" : ago(span).slice(1)}`;
  const grid = [0, 0.5, 1].map((f) => [
    svg("line", { x1: L, x2: W - R, y1: y(top * f), y2: y(top * f), class: "grid" }),
    svg("text", { x: L - 6, y: y(top * f) + 4, "text-anchor": "end", class: "axis" }, f ? format(top * f) : "0"),
  ]).flat();
  const ticks = [1, 0.75, 0.5, 0.25, 0].map((f) => svg("text", { x: x(now - f * span), y: H - 4,
    "text-anchor": f === 0 ? "end" : "middle", class: "axis" }, ago(f * span)));
  const coords = points.map((s) => `${x(s.t).toFixed(1)},${y(s[field]).toFixed(1)}`);
  const area = points.length > 1 ? svg("polygon", { class: `area ${field}`,
    points: `${x(points[0].t).toFixed(1)},${y(0)} ${coords.join(" ")} ${x(points[points.length - 1].t).toFixed(1)},${y(0)}` }) : null;
  const line = svg("polyline", { class: `series ${field}`, fill: "none", points: coords.join(" ") });
  const last = points.length ? [svg("circle", { cx: x(points[points.length - 1].t), cy: y(latest), r: 3, class: `series ${field}` })] : [];
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary, class: "chart",
    "data-points": points.length }, svg("title", {}, summary), ...grid, ...ticks, ...(area ? [area] : []), line, ...last);
  return h("figure", { class: "chart-box", id: `${field}-chart` }, h("figcaption", {}, summary), chart);
}

// The detail page's panel: refreshed each sampling interval while the page is open.
function metricsPanel(kind, ns, name, signal) {
  const box = h("section", { id: "metrics", "aria-labelledby": "metrics-h" },
    h("h2", { id: "metrics-h" }, "CPU and memory (last hour)"), h("p", { class: "muted" }, "Loading…"));
  const path = kind === "nodes" ? `/dashboard/metrics/nodes/${encodeURIComponent(name)}`
    : `/dashboard/metrics/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;
  (async () => {
    while (!signal.aborted) {
      let wait = 15000;
      try {
        const data = await api(path, { signal, noLogout: true });
        wait = (data.intervalSeconds || 15) * 1000;
        const now = Date.now();
        box.replaceChildren(h("h2", { id: "metrics-h" }, "CPU and memory (last hour)"),
          h("div", { class: "charts" },
            lineChart(data.samples || [], "cpu", formatCPU, "CPU", now, 10e6),
            lineChart(data.samples || [], "memory", formatMemory, "Memory", now, 1 << 20)),
          h("p", { class: "muted" }, (data.samples || []).length ? `Sampled from the metrics API every ${data.intervalSeconds || 15} s.`
            : `No samples yet: the server reads the metrics API every ${data.intervalSeconds || 15} s.`));
      } catch (err) {
        if (signal.aborted) return;
        box.replaceChildren(h("h2", { id: "metrics-h" }, "CPU and memory (last hour)"),
          h("p", { class: "bad", id: "metrics-error" }, `${err.code || ""} ${err.reason ? err.reason + ": " : ""}${err.message}`));
        if (err.code === 403 || err.code === 404) return;
      }
      await sleep(wait, signal);
    }
  })();
  return box;
}

// The overview's node cards show the newest sample of each node, refreshed each interval.
const nodeUsage = new Map();

function nodeUsageText(name, field) {
  const s = nodeUsage.get(name);
  if (!s) return "—";
  return field === "cpu" ? formatCPU(s.cpu) : formatMemory(s.memory);
}

function paintNodeUsage(root) {
  for (const el of root.querySelectorAll("[data-usage-node]")) {
    el.textContent = nodeUsageText(el.getAttribute("data-usage-node"), el.getAttribute("data-usage"));
  }
}

function startNodeUsage(root, signal) {
  (async () => {
    while (!signal.aborted) {
      let wait = 15000;
      try {
        const data = await api("/dashboard/metrics/nodes", { signal, noLogout: true });
        wait = (data.intervalSeconds || 15) * 1000;
        nodeUsage.clear();
        for (const item of data.items || []) nodeUsage.set(item.name, item.sample);
        paintNodeUsage(root);
      } catch (err) {
        if (signal.aborted || err.code === 403) return;  // a user who may not read node metrics sees "—"
      }
      await sleep(wait, signal);
    }
  })();
}

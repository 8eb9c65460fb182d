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

// One line chart of `field` over the hour ending now; the y axis starts at zero.
function lineChart(samples, field, format, label, now) {
  const W = 600, H = 150, L = 64, B = 20, T = 8, R = 8;
  const start = now - HOUR_MS;
  const points = samples.filter((s) => s.t >= start);
  const max = Math.max(1, ...points.map((s) => s[field])) * 1.1;
  const x = (t) => L + ((t - start) / HOUR_MS) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const latest = points.length ? points[points.length - 1][field] : null;
  const peak = points.length ? Math.max(...points.map((s) => s[field])) : null;
  const summary = latest === null ? `${label}: no samples yet` : `${label}: now ${format(latest)}, peak ${format(peak)} over the last hour`;
  const grid = [0, 0.5, 1].map((f) => [
    svg("line", { x1: L, x2: W - R, y1: y(max * f / 1.1), y2: y(max * f / 1.1), class: "grid" }),
    svg("text", { x: L - 6, y: y(max * f / 1.1) + 4, "text-anchor": "end", class: "axis" }, format(max * f / 1.1)),
  ]).flat();
  const ticks = [60, 45, 30, 15, 0].map((m) => svg("text", { x: x(now - m * 60000), y: H - 4, "text-anchor": "middle", class: "axis" },
    m ? `-${m}m` : "now"));
  const line = svg("polyline", { class: `series ${field}`, fill: "none",
    points: points.map((s) => `${x(s.t).toFixed(1)},${y(s[field]).toFixed(1)}`).join(" ") });
  const dots = points.length === 1 ? [svg("circle", { cx: x(points[0].t), cy: y(points[0][field]), r: 3, class: `series ${field}` })] : [];
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary, class: "chart",
    "data-points": points.length }, svg("title", {}, summary), ...grid, ...ticks, line, ...dots);
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
            lineChart(data.samples || [], "cpu", formatCPU, "CPU", now),
            lineChart(data.samples || [], "memory", formatMemory, "Memory", now)),
          (data.samples || []).length ? null : h("p", { class: "muted" }, "No samples yet: the server reads the metrics API every ",
            `${data.intervalSeconds || 15} s.`));
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

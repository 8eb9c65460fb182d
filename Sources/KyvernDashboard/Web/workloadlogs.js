// The logs of every pod of a Deployment or ReplicaSet interleaved as they arrive, each line
// prefixed `[pod/NAME/CONTAINER]` as `kubectl logs deploy/x --all-pods --prefix -f` prints them.
// Pods are found by the workload's selector and watched, so a pod that appears later (a scale-up,
// a rollout) is followed too; a pod that goes away ends its streams.
"use strict";

const MAX_LOG_LINES = 5000;

// A LabelSelector object as the text of a `labelSelector` query.
function selectorText(sel) {
  const parts = Object.entries((sel && sel.matchLabels) || {}).map(([k, v]) => `${k}=${v}`);
  for (const e of (sel && sel.matchExpressions) || []) {
    if (e.operator === "In") parts.push(`${e.key} in (${e.values.join(",")})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${e.values.join(",")})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

// Streams one container's log into `emit(line)`, whole lines only, until aborted or the container's
// log ends. Lines come with their timestamps, so a connection the browser drops (it does when the
// host's interfaces change) is resumed from the last line seen, without repeating it.
async function followContainer(ns, pod, container, signal, emit) {
  const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log`;
  let last = null;
  while (!signal.aborted) {
    const query = { container, follow: "true", timestamps: "true" };
    if (last) query.sinceTime = new Date(Math.floor(last / 1000) * 1000).toISOString().replace(".000Z", "Z");
    else query.tailLines = "100";
    const resumedAfter = last;  // lines up to here were shown before the connection dropped
    try {
      const res = await api(withQuery(path, query), { accept: "text/plain", raw: true, signal });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let rest = "";
      const take = (line) => {
        const space = line.indexOf(" ");
        const at = Date.parse(line.slice(0, space));
        if (space < 0 || Number.isNaN(at)) { emit(line); return; }
        if (resumedAfter !== null && at <= resumedAfter) return;
        last = at;
        emit(line.slice(space + 1));
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += decoder.decode(value, { stream: true });
        const lines = rest.split("\n");
        rest = lines.pop();
        for (const line of lines) take(line);
      }
      if (rest) take(rest);
      return;
    } catch (err) {
      if (signal.aborted || err.code) throw err;
      await sleep(1000, signal);
    }
  }
}

async function workloadLogsPage(ns, resource, name, signal) {
  const d = find("apps", resource);
  if (!d) throw new Error(`this server does not serve apps ${resource}`);
  const workload = await api(resPath(d, ns, name), { signal });
  const out = h("pre", { class: "log", id: "workload-log", role: "log", "aria-live": "polite", tabindex: "0" });
  const following = h("p", { class: "muted", id: "workload-pods", role: "status" }, "Finding pods…");
  const kindWord = resource === "deployments" ? "deploy" : "rs";
  setMain(h("h1", {}, "Logs of all pods of ", h("a", { href: objectHref(d, ns, name) }, `${d.kind} ${ns}/${name}`)),
    h("p", { class: "muted" }, "As ", h("code", {}, `kubectl logs ${kindWord}/${name} --all-pods --all-containers --prefix -f`), "."),
    following, out);
  let lines = 0;
  const emit = (prefix, line) => {
    const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    out.append(`${prefix} ${line}\n`);
    if (++lines > MAX_LOG_LINES && out.firstChild) { out.firstChild.remove(); lines--; }
    if (atBottom) out.scrollTop = out.scrollHeight;
  };
  const streams = new Map();  // pod uid -> AbortController
  const pd = find("", "pods");
  liveList(resPath(pd, ns), { labelSelector: selectorText(workload.spec.selector) }, signal, (items) => {
    const mine = [...items.values()].filter((p) => resource === "replicasets"
      ? (p.metadata.ownerReferences || []).some((r) => r.uid === workload.metadata.uid)
      : true);
    const uids = new Set(mine.map((p) => p.metadata.uid));
    for (const [uid, ctl] of streams) if (!uids.has(uid)) { ctl.abort(); streams.delete(uid); }
    for (const p of mine) {
      if (streams.has(p.metadata.uid)) continue;
      const running = ((p.status && p.status.containerStatuses) || []).filter((s) => s.state && (s.state.running || s.state.terminated));
      if (!running.length) continue;  // not started yet: the next change of the pod brings it back here
      const ctl = new AbortController();
      signal.addEventListener("abort", () => ctl.abort(), { once: true });
      streams.set(p.metadata.uid, ctl);
      for (const s of running) {
        followContainer(ns, p.metadata.name, s.name, ctl.signal, (line) => emit(`[pod/${p.metadata.name}/${s.name}]`, line))
          .catch((err) => { if (!ctl.signal.aborted) emit(`[pod/${p.metadata.name}/${s.name}]`, `(log stream ended: ${err.message})`); });
      }
    }
    following.textContent = mine.length ? `Following ${mine.map((p) => p.metadata.name).sort().join(", ")}.` : "No pods.";
  });
}

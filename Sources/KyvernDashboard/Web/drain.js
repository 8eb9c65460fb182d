// Draining a node as `kubectl drain --ignore-daemonsets` does: cordon it, then evict each of its
// pods through the Eviction API (so PodDisruptionBudgets are honoured), skipping DaemonSet pods
// (their controller would put them back) and mirror pods (the node's own static pods). As kubectl,
// it refuses, unless told, pods no controller would recreate (--force) and pods with emptyDir data
// (--delete-emptydir-data). Every eviction's answer is shown: a budget's 429 is reported for that
// pod, and can be retried.
"use strict";

const MIRROR_ANNOTATION = "kubernetes.io/config.mirror";

// Why kubectl drain would leave a pod alone, or "" to evict it.
function drainSkipReason(pod) {
  if (((pod.metadata.annotations || {})[MIRROR_ANNOTATION]) !== undefined) return "mirror";
  const owner = (pod.metadata.ownerReferences || []).find((r) => r.controller);
  if (owner && owner.kind === "DaemonSet") return "daemonset";
  return "";
}

// What kubectl drain refuses without an override, or "".
function drainBlock(pod, force, emptyDir) {
  const done = ["Succeeded", "Failed"].includes((pod.status || {}).phase);
  if (!force && !done && !(pod.metadata.ownerReferences || []).some((r) => r.controller)) {
    return "cannot delete Pods that declare no controller (use --force to override)";
  }
  if (!emptyDir && (pod.spec.volumes || []).some((v) => v.emptyDir)) {
    return "cannot delete Pods with local storage (use --delete-emptydir-data to override)";
  }
  return "";
}

function apiErrorText(err) {
  return `${err.code ? err.code + " " : ""}${err.reason ? err.reason + ": " : ""}${err.message}`;
}

// A connection dropped before the answer (browsers drop them when the host's interfaces change, as
// pods' do) is asked again; a pod gone meanwhile counts as evicted.
async function evictPod(pod) {
  const m = pod.metadata;
  for (let attempt = 1; ; attempt++) {
    try {
      await api(`/api/v1/namespaces/${encodeURIComponent(m.namespace)}/pods/${encodeURIComponent(m.name)}/eviction`, {
        method: "POST", body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: m.name, namespace: m.namespace } } });
      return;
    } catch (err) {
      if (err.code === 404 && attempt > 1) return;
      if (err.code || attempt >= 3) throw err;
      await sleep(500);
    }
  }
}

// Waits, as kubectl drain does, until the evicted pod is gone (or replaced by another of the same name).
async function waitForDeletion(pod, timeoutMs) {
  const m = pod.metadata;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const now = await api(`/api/v1/namespaces/${encodeURIComponent(m.namespace)}/pods/${encodeURIComponent(m.name)}`);
      if (now.metadata.uid !== m.uid) return true;
    } catch (err) {
      if (err.code === 404) return true;
      if (err.code) throw err;
      console.warn("waiting for an evicted pod", m.name, err);  // a dropped connection: ask again
    }
    await sleep(1000);
  }
  return false;
}

async function drainNode(name) {
  const podList = await api(withQuery("/api/v1/pods", { fieldSelector: `spec.nodeName=${name}` }));
  const pods = podList.items || [];
  const evict = pods.filter((p) => !drainSkipReason(p));
  const daemon = pods.filter((p) => drainSkipReason(p) === "daemonset");
  const mirror = pods.filter((p) => drainSkipReason(p) === "mirror");
  const names = (list) => list.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(", ");
  const body = [h("p", {}, `Node ${name} is cordoned, then ${evict.length} pod${evict.length === 1 ? "" : "s"} evicted `,
    "through the Eviction API (PodDisruptionBudgets are honoured)."),
    evict.length ? h("p", {}, `To evict: ${names(evict)}`) : null,
    daemon.length ? h("p", { class: "muted" }, `Ignoring DaemonSet-managed Pods: ${names(daemon)}`) : null,
    mirror.length ? h("p", { class: "muted" }, `Ignoring mirror Pods: ${names(mirror)}`) : null];
  const force = h("input", { type: "checkbox", id: "drain-force" });
  const emptyDir = h("input", { type: "checkbox", id: "drain-emptydir" });
  body.push(h("p", {}, h("label", {}, force, " Also evict pods no controller manages (they are not recreated)")),
    h("p", {}, h("label", {}, emptyDir, " Also evict pods with emptyDir volumes (their data is lost)")));
  if (!await ask(`Drain node ${name}?`, body.filter(Boolean))) return;

  const log = h("ul", { id: "drain-results", "aria-live": "polite" });
  const panel = h("section", { id: "drain", "aria-labelledby": "drain-h" }, h("h2", { id: "drain-h" }, `Draining node ${name}`), log);
  const existing = $("drain");
  if (existing) existing.replaceWith(panel); else $("actions").after(panel);
  const line = (text, cls, attrs) => { const li = h("li", { class: cls || "", ...(attrs || {}) }, text); log.append(li); return li; };

  const node = find("", "nodes");
  await api(resPath(node, "", name), { method: "PATCH", contentType: "application/merge-patch+json", idempotent: true,
    body: { spec: { unschedulable: true } } });
  line(`node/${name} cordoned`, "ok");
  if (daemon.length) line(`Warning: ignoring DaemonSet-managed Pods: ${names(daemon)}`, "warn");
  if (mirror.length) line(`Warning: ignoring mirror Pods: ${names(mirror)}`, "warn");

  const blocked = new Map();
  for (const pod of evict) {
    const why = drainBlock(pod, force.checked, emptyDir.checked);
    if (why) blocked.set(why, [...(blocked.get(why) || []), pod]);
  }
  if (blocked.size) {
    const text = [...blocked].map(([why, list]) => `${why}: ${names(list)}`).join(", ");
    line(`error: unable to drain node "${name}" due to error: ${text}`, "bad", { id: "drain-blocked" });
    panel.append(h("button", { type: "button", id: "drain-retry", onclick: () => drainNode(name).catch(showError) }, "Try again"));
    showAlert(`Node ${name} is cordoned but not drained: ${text}`);
    return;
  }

  const failed = [];
  await Promise.all(evict.map(async (pod) => {
    const m = pod.metadata;
    const li = line(`evicting pod ${m.namespace}/${m.name}`, "", { "data-pod": `${m.namespace}/${m.name}` });
    try {
      await evictPod(pod);
      li.textContent = `evicting pod ${m.namespace}/${m.name} (accepted; waiting for it to go)`;
      const grace = (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
      if (!await waitForDeletion(pod, grace + 60000)) throw new Error(`pod ${m.namespace}/${m.name} was evicted but is still there`);
      li.textContent = `pod/${m.name} evicted`;
      li.className = "ok";
    } catch (err) {
      li.textContent = `error when evicting pods/"${m.name}" -n "${m.namespace}": ${apiErrorText(err)}`;
      li.className = "bad";
      failed.push(pod);
    }
  }));
  if (!failed.length) {
    line(`node/${name} drained`, "ok");
    showAlert(`Node ${name} drained.`, "info");
    return;
  }
  line(`There are pending pods on node ${name}: ${failed.length} eviction${failed.length === 1 ? "" : "s"} refused.`, "bad");
  panel.append(h("button", { type: "button", id: "drain-retry", onclick: () => drainNode(name).catch(showError) }, "Try again"));
  showAlert(`Draining node ${name}: ${failed.length} eviction${failed.length === 1 ? "" : "s"} refused (see the list).`);
}

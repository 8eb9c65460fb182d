// Rolling a Deployment back to a chosen revision as `kubectl rollout undo --to-revision=N` does:
// its ReplicaSets carry the revision numbers; the chosen one's pod template (without the
// pod-template-hash label) and its annotations replace the Deployment's by a JSON patch.
"use strict";

const REVISION = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE = "kubernetes.io/change-cause";
// Annotations the deployment controller or kubectl keep for themselves, never copied back.
const ROLLBACK_SKIP = new Set(["kubectl.kubernetes.io/last-applied-configuration", REVISION,
  "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
  "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to"]);

async function deploymentRevisions(deployment) {
  const m = deployment.metadata;
  const labels = Object.entries((deployment.spec.selector || {}).matchLabels || {}).map(([k, v]) => `${k}=${v}`).join(",");
  const list = await api(withQuery(`/apis/apps/v1/namespaces/${encodeURIComponent(m.namespace)}/replicasets`, { labelSelector: labels }));
  return (list.items || [])
    .filter((rs) => (rs.metadata.ownerReferences || []).some((r) => r.controller && r.uid === m.uid))
    .map((rs) => ({ revision: Number((rs.metadata.annotations || {})[REVISION] || 0), rs }))
    .filter((x) => x.revision > 0)
    .sort((a, b) => b.revision - a.revision);
}

function templateWithoutHash(template) {
  const copy = JSON.parse(JSON.stringify(template));
  if (copy.metadata && copy.metadata.labels) delete copy.metadata.labels["pod-template-hash"];
  return copy;
}

// The JSON patch kubectl sends: the template, and the annotations with the revision's own.
function rollbackPatch(deployment, rs) {
  const annotations = {};
  for (const [k, v] of Object.entries(deployment.metadata.annotations || {})) if (ROLLBACK_SKIP.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(rs.metadata.annotations || {})) if (!ROLLBACK_SKIP.has(k)) annotations[k] = v;
  return [
    { op: "replace", path: "/spec/template", value: templateWithoutHash(rs.spec.template) },
    { op: "replace", path: "/metadata/annotations", value: annotations },
  ];
}

function sameJSON(a, b) {
  const norm = (v) => JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => p.localeCompare(q))) : x));
  return norm(a) === norm(b);
}

async function rollbackDeployment(d, ns, name) {
  const deployment = await api(resPath(d, ns, name));
  const revisions = await deploymentRevisions(deployment);
  const current = Number((deployment.metadata.annotations || {})[REVISION] || 0);
  const older = revisions.filter((x) => x.revision !== current);
  if (!older.length) throw new Error(`no rollout history found for deployment "${name}"`);
  const describe = (x) => {
    const images = (x.rs.spec.template.spec.containers || []).map((c) => c.image).join(", ");
    const cause = (x.rs.metadata.annotations || {})[CHANGE_CAUSE];
    return `${x.revision}: ${images}${cause ? ` (${cause})` : ""}`;
  };
  const pick = h("select", { id: "revision" }, older.map((x) => h("option", { value: String(x.revision) }, describe(x))));
  const body = [h("p", {}, `Current revision: ${current || "unknown"}.`), h("label", {}, "Roll back to revision ", pick)];
  if (!await ask(`Roll back Deployment ${name}`, body)) return;
  if (deployment.spec.paused) {
    throw new Error("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
  }
  const target = older.find((x) => String(x.revision) === pick.value);
  if (sameJSON(templateWithoutHash(target.rs.spec.template), deployment.spec.template)) {
    showAlert(`deployment.apps/${name} skipped rollback (current template already matches revision ${target.revision})`, "info");
    return;
  }
  await api(resPath(d, ns, name), { method: "PATCH", contentType: "application/json-patch+json", body: rollbackPatch(deployment, target.rs) });
  showAlert(`deployment.apps/${name} rolled back to revision ${target.revision}`, "info");
}

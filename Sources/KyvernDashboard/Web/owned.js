// Owned objects found generically: any kind whose objects name this object in an ownerReference.
// Every kind the user may list (in the object's namespace, or cluster-wide for a cluster-scoped
// owner) is listed once per page as a Table (metadata only, six at a time); kinds the user may not
// list are remembered for the session and not asked again.
"use strict";

const unlistable = new Set();     // "scope|group/resource" answered 403/404/405

function ownedScopeKinds(namespaced) {
  return [...state.resources.values()].filter((d) => d.verbs.includes("list") && d.group !== "metrics.k8s.io"
    && d.resource !== "events" && (namespaced ? d.namespaced : (!d.namespaced || d.resource === "pods")));
}

async function buildOwnedIndex(ns, namespaced) {
  const scope = namespaced ? ns : "";
  const byOwner = new Map();
  const kinds = ownedScopeKinds(namespaced).filter((d) => !unlistable.has(`${scope}|${d.group}/${d.resource}`));
  let next = 0;
  const worker = async () => {
    while (next < kinds.length) {
      const d = kinds[next++];
      try {
        const table = await api(resPath(d, namespaced ? ns : ""), { accept: TABLE, noLogout: true });
        for (const row of table.rows || []) {
          const m = (row.object && row.object.metadata) || {};
          for (const ref of m.ownerReferences || []) {
            if (!byOwner.has(ref.uid)) byOwner.set(ref.uid, []);
            byOwner.get(ref.uid).push({ d, namespace: m.namespace || "", name: m.name, controller: !!ref.controller });
          }
        }
      } catch (err) {
        if ([403, 404, 405].includes(err.code)) unlistable.add(`${scope}|${d.group}/${d.resource}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return byOwner;
}

// Fills `box` with the objects owned by `o`, except kinds `skip` (shown live elsewhere).
async function renderOwnedGeneric(d, o, box, skip) {
  box.replaceChildren(h("h2", { id: "owned-all-h" }, "Owned objects"), h("p", { class: "muted" }, "Looking through every kind you may list…"));
  const index = await buildOwnedIndex(o.metadata.namespace || "", d.namespaced);
  const mine = (index.get(o.metadata.uid) || []).filter((x) => !skip.has(`${x.d.group}/${x.d.resource}`))
    .sort((a, b) => a.d.kind.localeCompare(b.d.kind) || a.name.localeCompare(b.name));
  box.replaceChildren(h("h2", { id: "owned-all-h" }, "Owned objects"),
    mine.length ? h("ul", { id: "owned-all" }, mine.map((x) => h("li", { "data-owned": `${x.d.kind}/${x.name}` },
      h("a", { href: objectHref(x.d, x.namespace, x.name) }, `${x.d.kind}/${x.name}`), x.controller ? " (controller)" : "")))
      : h("p", { class: "muted" }, "None found."));
}

// Sends the requests the first page needs while the page's other scripts are still loading and
// compiling: the login check, both discovery roots and, when the page is the overview, its lists
// (their paths are known without discovery). app.js's api() takes a matching response (same method,
// path and Accept) instead of asking again, once; what the first page did not take is dropped.
// Loaded before the deferred scripts, so keep it small and in step with app.js's requests.
"use strict";
window.kyvernEarly = (() => {
  const sent = new Map();
  const token = sessionStorage.getItem("kyvern.dashboard.token") || "";
  if (!token) return sent;
  const JSON_TYPE = "application/json";
  const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
  const DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
  const send = (method, path, accept, body) => {
    const headers = { Accept: accept, Authorization: `Bearer ${token}` };
    if (body) headers["Content-Type"] = JSON_TYPE;
    sent.set(`${method} ${accept} ${path}`, fetch(path, { method, headers, body }));
  };
  send("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", JSON_TYPE,
    JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }));
  send("GET", "/api", DISCOVERY);
  send("GET", "/apis", DISCOVERY);
  const page = location.hash.replace(/^#/, "").split("?")[0].split("/").filter(Boolean);
  if (!page.length || page[0] === "overview") {
    const namespace = sessionStorage.getItem("kyvern.dashboard.namespace") || "";
    const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    send("GET", "/api/v1/nodes", JSON_TYPE);
    for (const r of ["deployments", "statefulsets", "daemonsets"]) send("GET", `/apis/apps/v1${ns}/${r}`, JSON_TYPE);
    send("GET", `/api/v1${ns}/pods`, TABLE);
    send("GET", `/api/v1${ns}/events?fieldSelector=type%3DWarning`, JSON_TYPE);
  }
  return sent;
})();

// A small terminal for `exec` with a TTY: enough of VT100/xterm for a shell prompt and its line
// editing (cursor moves, erase in line/display, insert/delete characters, cursor position
// report), drawn as text in a <pre>. Keys become the bytes a terminal sends; the size follows
// the element and is sent on the v5.channel.k8s.io resize channel (4), as kubectl does.
"use strict";

class Screen {
  constructor(rows, cols) {
    this.rows = rows; this.cols = cols;
    this.lines = Array.from({ length: rows }, () => this.blank());
    this.x = 0; this.y = 0;
    this.pending = "";     // an escape sequence cut by a frame boundary
    this.replies = [];     // answers to queries (cursor position)
  }

  blank() { return new Array(this.cols).fill(" "); }

  resize(rows, cols) {
    const lines = this.lines.slice(-rows).map((l) => (l.length >= cols ? l.slice(0, cols) : l.concat(new Array(cols - l.length).fill(" "))));
    const shift = Math.max(0, this.lines.length - rows);
    while (lines.length < rows) lines.push(new Array(cols).fill(" "));
    this.rows = rows; this.cols = cols; this.lines = lines;
    this.y = Math.min(rows - 1, Math.max(0, this.y - shift)); this.x = Math.min(this.x, cols - 1);
  }

  scroll() { this.lines.shift(); this.lines.push(this.blank()); }

  newline() { if (++this.y >= this.rows) { this.y = this.rows - 1; this.scroll(); } }

  put(ch) {
    if (this.x >= this.cols) { this.x = 0; this.newline(); }
    this.lines[this.y][this.x++] = ch;
  }

  eraseLine(mode) {
    const l = this.lines[this.y];
    const [from, to] = mode === 1 ? [0, this.x + 1] : mode === 2 ? [0, this.cols] : [this.x, this.cols];
    for (let i = from; i < Math.min(to, this.cols); i++) l[i] = " ";
  }

  eraseDisplay(mode) {
    if (mode === 2 || mode === 3) { this.lines = Array.from({ length: this.rows }, () => this.blank()); return; }
    this.eraseLine(mode === 1 ? 1 : 0);
    const range = mode === 1 ? [0, this.y] : [this.y + 1, this.rows];
    for (let r = range[0]; r < range[1]; r++) this.lines[r] = this.blank();
  }

  csi(params, final, privateMode) {
    const n = (i, d = 1) => (params[i] === undefined || params[i] === "" ? d : Number(params[i]));
    const clampX = () => { this.x = Math.max(0, Math.min(this.cols - 1, this.x)); };
    const clampY = () => { this.y = Math.max(0, Math.min(this.rows - 1, this.y)); };
    if (privateMode) return;  // modes (?25h cursor, ?2004h bracketed paste...): nothing to draw
    switch (final) {
      case "A": this.y -= n(0); clampY(); break;
      case "B": this.y += n(0); clampY(); break;
      case "C": this.x += n(0); clampX(); break;
      case "D": this.x = Math.min(this.x, this.cols) - n(0); clampX(); break;
      case "G": this.x = n(0) - 1; clampX(); break;
      case "H": case "f": this.y = n(0) - 1; this.x = n(1) - 1; clampX(); clampY(); break;
      case "K": this.eraseLine(n(0, 0)); break;
      case "J": this.eraseDisplay(n(0, 0)); break;
      case "P": { const l = this.lines[this.y]; l.splice(this.x, n(0)); while (l.length < this.cols) l.push(" "); break; }
      case "@": { const l = this.lines[this.y]; l.splice(this.x, 0, ...new Array(n(0)).fill(" ")); l.length = this.cols; break; }
      case "X": for (let i = this.x; i < Math.min(this.cols, this.x + n(0)); i++) this.lines[this.y][i] = " "; break;
      case "n": if (n(0, 0) === 6) this.replies.push(`\x1b[${this.y + 1};${Math.min(this.x, this.cols - 1) + 1}R`); break;
      default: break;  // colours (m) and the rest are not drawn
    }
  }

  write(text) {
    const s = this.pending + text;
    this.pending = "";
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      if (ch === "\x1b") {
        const rest = s.slice(i);
        let m = /^\x1b\[([?>=]?)([0-9;]*)([@-~])/.exec(rest);
        if (m) { this.csi(m[2].split(";"), m[3], m[1] !== ""); i += m[0].length - 1; continue; }
        m = /^\x1b\][^\x07\x1b]*(\x07|\x1b\\)/.exec(rest);  // OSC (window title): ignored
        if (m) { i += m[0].length - 1; continue; }
        m = /^\x1b[()][0-9A-Za-z]|^\x1b[=>78cDEM]/.exec(rest);
        if (m) { if (m[0] === "\x1bM" && this.y > 0) this.y--; i += m[0].length - 1; continue; }
        if (/^\x1b(\[[?>=]?[0-9;]*|\][^\x07]*|[()])?$/.test(rest)) { this.pending = rest; return; }
        continue;
      }
      if (ch === "\r") this.x = 0;
      else if (ch === "\n") this.newline();
      else if (ch === "\b") this.x = Math.max(0, Math.min(this.x, this.cols) - 1);
      else if (ch === "\t") this.x = Math.min(this.cols - 1, (Math.floor(this.x / 8) + 1) * 8);
      else if (ch === "\x07" || ch < " ") continue;
      else this.put(ch);
    }
  }

  text() { return this.lines.map((l) => l.join("").replace(/\s+$/, "")).join("\n"); }
}

// The bytes a terminal sends for a key, or null for keys it leaves to the browser.
function keyBytes(ev) {
  if (ev.ctrlKey && !ev.altKey && ev.key.length === 1 && /[a-z@\[\\\]^_]/i.test(ev.key)) {
    return String.fromCharCode(ev.key.toUpperCase().charCodeAt(0) & 0x1f);
  }
  const map = { Enter: "\r", Backspace: "\x7f", Tab: "\t", Escape: "\x1b", ArrowUp: "\x1b[A", ArrowDown: "\x1b[B",
    ArrowRight: "\x1b[C", ArrowLeft: "\x1b[D", Home: "\x1b[H", End: "\x1b[F", Delete: "\x1b[3~",
    PageUp: "\x1b[5~", PageDown: "\x1b[6~" };
  if (map[ev.key]) return map[ev.key];
  if (ev.key.length === 1 && !ev.ctrlKey && !ev.metaKey) return (ev.altKey ? "\x1b" : "") + ev.key;
  return null;
}

// The rows and columns that fit `el`, measured with its own font.
function fitSize(el) {
  const probe = h("span", {}, "0".repeat(10));
  el.append(probe);
  const rect = probe.getBoundingClientRect();
  probe.remove();
  const style = getComputedStyle(el);
  const w = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const hgt = el.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  return { cols: Math.max(20, Math.floor(w / (rect.width / 10))), rows: Math.max(5, Math.floor(hgt / rect.height)) };
}

function shareLink(ns, name, container, command) {
  const q = new URLSearchParams({ container, command, tty: "1" });
  return `${location.origin}${location.pathname}#/exec/${encodeURIComponent(ns)}/${encodeURIComponent(name)}?${q}`;
}

async function ttyExecPage(ns, name, params, signal) {
  const picker = await containerPicker(ns, name, params.get("container"), signal);
  const command = h("input", { id: "command", value: params.get("command") || "sh", "aria-label": "Command" });
  const tty = h("pre", { class: "tty", id: "tty", tabindex: "0", role: "application",
    "aria-label": "Terminal: keys typed here go to the container", "aria-roledescription": "terminal" });
  const status = h("span", { id: "exec-status", role: "status" }, "Not connected.");
  const shareField = h("input", { id: "share-link", readonly: true, size: "50", "aria-label": "Link to this terminal" });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let screen = null;
  let ws = null;
  let drawn = false;
  const draw = () => {
    if (drawn) return;
    drawn = true;
    requestAnimationFrame(() => {
      drawn = false;
      if (!screen) return;
      const rows = screen.lines.map((l) => l.join(""));
      const line = rows[screen.y];
      const x = Math.min(screen.x, screen.cols - 1);
      tty.replaceChildren(rows.slice(0, screen.y).join("\n") + (screen.y ? "\n" : "") + line.slice(0, x),
        h("span", { class: "cursor" }, line[x] || " "), line.slice(x + 1) + "\n" + rows.slice(screen.y + 1).join("\n"));
      tty.setAttribute("data-size", `${screen.rows}x${screen.cols}`);
      tty.setAttribute("data-text", screen.text());
    });
  };
  const send = (channel, bytes) => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const frame = new Uint8Array(bytes.length + 1);
    frame[0] = channel;
    frame.set(bytes, 1);
    ws.send(frame);
  };
  const sendSize = () => {
    if (!screen) return;
    const { rows, cols } = fitSize(tty);
    screen.resize(rows, cols);
    send(4, encoder.encode(JSON.stringify({ Width: cols, Height: rows })));
    draw();
  };
  const connect = () => {
    if (ws) ws.close();
    const size = fitSize(tty);
    screen = new Screen(size.rows, size.cols);
    shareField.value = shareLink(ns, name, picker.value, command.value);
    const q = new URLSearchParams({ container: picker.value, stdin: "true", stdout: "true", stderr: "false", tty: "true" });
    for (const part of command.value.trim().split(/\s+/)) q.append("command", part);
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}/exec?${q}`;
    ws = new WebSocket(url, ["v5.channel.k8s.io", `base64url.bearer.authorization.k8s.io.${b64url(token())}`]);
    ws.binaryType = "arraybuffer";
    state.socket = ws;
    status.textContent = "Connecting…";
    ws.onopen = () => { status.textContent = `Connected (${ws.protocol}, TTY).`; sendSize(); tty.focus(); };
    ws.onmessage = (ev) => {
      const data = new Uint8Array(ev.data);
      if (!data.length) return;
      if (data[0] === 1 || data[0] === 2) {
        screen.write(decoder.decode(data.subarray(1), { stream: true }));
        for (const reply of screen.replies.splice(0)) send(0, encoder.encode(reply));
        draw();
      } else if (data[0] === 3 && data.length > 1) {
        const text = decoder.decode(data.subarray(1));
        try {
          const st = JSON.parse(text);
          if (st.status !== "Success") { screen.write(`\r\n[${st.message || text}]\r\n`); draw(); }
        } catch (_) { screen.write(`\r\n[${text}]\r\n`); draw(); }
      }
    };
    ws.onclose = (ev) => { status.textContent = `Disconnected${ev.reason ? `: ${ev.reason}` : ""}.`; };
    ws.onerror = () => { status.textContent = "The connection failed (see the API's answer for the same request)."; };
  };
  tty.addEventListener("keydown", (ev) => {
    const bytes = keyBytes(ev);
    if (bytes === null) return;
    ev.preventDefault();
    send(0, encoder.encode(bytes));
  });
  tty.addEventListener("paste", (ev) => {
    ev.preventDefault();
    send(0, encoder.encode(ev.clipboardData.getData("text").replace(/\r?\n/g, "\r")));
  });
  const observer = new ResizeObserver(() => { if (ws && ws.readyState === WebSocket.OPEN) sendSize(); });
  observer.observe(tty);
  signal.addEventListener("abort", () => { observer.disconnect(); if (ws) ws.close(); state.socket = null; }, { once: true });
  const copy = h("button", { type: "button", id: "copy-link", onclick: async () => {
    shareField.select();
    try { await navigator.clipboard.writeText(shareField.value); status.textContent = "Link copied."; } catch (_) { document.execCommand("copy"); }
  } }, "Copy link");
  const pd = find("", "pods");
  setMain(h("h1", {}, "Terminal in ", h("a", { href: objectHref(pd, ns, name) }, `${ns}/${name}`)),
    h("div", { class: "row-form" }, h("label", {}, "Container ", picker), h("label", {}, "Command ", command),
      h("button", { type: "button", class: "primary", id: "connect", onclick: connect }, "Connect"), status,
      h("a", { href: `#/exec/${ns}/${name}?container=${encodeURIComponent(picker.value)}` }, "Line mode")),
    tty,
    h("div", { class: "row-form" }, h("label", { for: "share-link" }, "Share "), shareField, copy,
      h("span", { class: "muted" }, "Anyone who opens it logs in as themselves; RBAC decides whether they may exec.")));
  connect();
}

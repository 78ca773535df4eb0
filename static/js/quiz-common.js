// Live quiz, shared by the phone, the projector and the host console: the /quiz socket,
// the clock synced to the server's, countdowns, reconnection and small DOM helpers.
// The server's clock and the database are the truth: every countdown is computed from the
// server's `closes_at` and our estimate of the server's time, never from the phone's clock alone.
import { connect } from "./realtime.js";

export const SHAPES = ["▲", "◆", "●", "■"];
export const SHAPE_NAMES = ["triangle", "diamond", "circle", "square"];

// --- DOM -------------------------------------------------------------------------------------

// Build an element: h("p.big#x", {text: "hi", data: {i: 1}, on: {click: fn}}, child, ...).
// Text always goes in as textContent: user-written names and prompts are never parsed as HTML.
export function h(tag, props = {}, ...children) {
  if (props instanceof Node || typeof props === "string" || Array.isArray(props)) {
    children.unshift(props); // h("p", child, ...): no properties
    props = {};
  }
  const [, name, rest] = /^([a-z0-9]+)(.*)$/i.exec(tag);
  const el = document.createElement(name);
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key === "data") for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    else if (key === "on") for (const [k, fn] of Object.entries(value)) el.addEventListener(k, fn);
    else if (key === "vars") for (const [k, v] of Object.entries(value)) el.style.setProperty(`--${k}`, String(v));
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function ordinal(n) {
  const s = ["th", "st", "nd", "rd"];
  const v = n % 100;
  return `${n}${s[(v - 20) % 10] || s[v] || s[0]}`;
}

export function formatPoints(n) {
  return Number(n || 0).toLocaleString("en");
}

// --- the server's clock ------------------------------------------------------------------------

// offset = server time - local time, from the `ping` round trip with the shortest delay
// (NTP's idea: the reply was stamped about halfway through the round trip).
export const clock = {
  offset: 0,
  rtt: Infinity,
  synced: false,
  now() {
    return Date.now() + this.offset;
  },
  // Before any ping came back, a broadcast's `server_now` is better than nothing.
  hint(serverNow) {
    if (!this.synced && typeof serverNow === "number") this.offset = serverNow - Date.now();
  },
};

async function syncClock(socket, samples = 5) {
  let best = clock.synced ? clock.rtt * 1.5 : Infinity;
  for (let i = 0; i < samples && socket.connected; i++) {
    const sent = Date.now();
    let reply;
    try {
      reply = await socket.timeout(4000).emitWithAck("ping", { t: sent });
    } catch {
      return;
    }
    const back = Date.now();
    const rtt = back - sent;
    if (reply && typeof reply.server === "number" && rtt <= best) {
      best = rtt;
      clock.rtt = rtt;
      clock.offset = reply.server - (sent + back) / 2;
      clock.synced = true;
    }
  }
}

// --- countdowns --------------------------------------------------------------------------------

// Draws the time left of the open question into `render(msLeft, fraction)` ~10 times a second.
// Feed it every `question`, `paused`, `resumed`, `extended` and snapshot.
export class Countdown {
  constructor(render) {
    this.render = render;
    this.closesAt = null;
    this.pausedMs = null;
    this.totalMs = 1;
    this.timer = null;
  }

  set({ closesAt = null, remainingMs = null, paused = false, totalMs = null }) {
    if (totalMs) this.totalMs = totalMs;
    if (paused || closesAt === null) {
      this.closesAt = null;
      this.pausedMs = remainingMs ?? this.left();
    } else {
      this.closesAt = closesAt;
      this.pausedMs = null;
    }
    this.tick();
    if (!this.timer) this.timer = setInterval(() => this.tick(), 100);
  }

  left() {
    if (this.pausedMs !== null) return this.pausedMs;
    if (this.closesAt === null) return 0;
    return Math.max(0, this.closesAt - clock.now());
  }

  get paused() {
    return this.pausedMs !== null;
  }

  tick() {
    const left = this.left();
    this.render(left, Math.max(0, Math.min(1, left / this.totalMs)), this.paused);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}

// --- the connection ----------------------------------------------------------------------------

// One socket to /quiz. socket.io-client reconnects by itself; on every (re)connect we join
// again (`join()` returns the payload, or null to wait for the user) and hand the snapshot on.
export class QuizConnection {
  constructor({ join, onJoined, onJoinError, onStatus }) {
    this.joinPayload = join;
    this.onJoined = onJoined;
    this.onJoinError = onJoinError;
    this.onStatus = onStatus || (() => {});
    this.socket = connect("/quiz", {
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
      randomizationFactor: 0.5,
      timeout: 10000,
    });
    this.joined = false;
    this.joining = null;
    this.socket.on("connect", () => {
      this.onStatus(true);
      syncClock(this.socket);
      this.joined = false;
      this.join();
    });
    this.socket.on("disconnect", () => {
      this.joined = false;
      this.onStatus(false);
    });
    this.socket.on("connect_error", () => this.onStatus(false));
    // Resync now and then: laptops and phones drift, and a sleeping tab's timers stall.
    setInterval(() => this.socket.connected && syncClock(this.socket, 3), 60000);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.socket.connected) this.refresh();
    });
  }

  on(name, handler) {
    this.socket.on(name, (payload) => {
      if (payload && typeof payload.server_now === "number") clock.hint(payload.server_now);
      handler(payload || {});
    });
  }

  get connected() {
    return this.socket.connected;
  }

  // Send `name` and wait for the server's ack (rejects after `ms`).
  call(name, data = {}, ms = 8000) {
    return this.socket.timeout(ms).emitWithAck(name, data);
  }

  // Join with whatever the page says now (a nickname typed, a resume token kept).
  async join() {
    const payload = this.joinPayload();
    if (!payload || !this.socket.connected) return null;
    if (this.joining) return this.joining;
    this.joining = (async () => {
      try {
        const ack = await this.call("join", payload, 10000);
        if (ack && ack.ok) {
          this.joined = true;
          if (ack.snapshot) clock.hint(ack.snapshot.server_now);
          this.onJoined(ack);
        } else {
          this.onJoinError(ack || { ok: false, error: "server_error" });
        }
        return ack;
      } catch {
        // No ack in time: socket.io will reconnect, and the connect handler joins again.
        if (this.socket.connected) setTimeout(() => this.join(), 1500);
        return null;
      } finally {
        this.joining = null;
      }
    })();
    return this.joining;
  }

  // A fresh snapshot (after a reveal, or when a tab wakes up).
  async refresh() {
    if (!this.joined) return this.join();
    try {
      const ack = await this.call("me", {});
      if (ack && ack.ok) {
        clock.hint(ack.snapshot.server_now);
        this.onJoined({ ok: true, snapshot: ack.snapshot, refreshed: true });
      } else if (ack) {
        this.onJoinError(ack);
      }
      return ack;
    } catch {
      return null;
    }
  }

  disconnect() {
    this.socket.disconnect();
  }
}

// Show `banner` (an element with [hidden]) while the socket is down.
export function offlineBanner(banner) {
  let timer = null;
  return (connected) => {
    if (!banner) return;
    clearTimeout(timer);
    if (connected) {
      banner.hidden = true;
    } else {
      // A blip shorter than half a second is not worth a flash of red.
      timer = setTimeout(() => {
        banner.hidden = false;
      }, 500);
    }
  };
}

export function storageGet(key) {
  try {
    return JSON.parse(localStorage.getItem(key));
  } catch {
    return null;
  }
}

export function storageSet(key, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or full storage: the game still works, only a reload forgets more.
  }
}

export function newNonce() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

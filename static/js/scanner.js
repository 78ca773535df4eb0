// The check-in scanner: camera, photo, keyboard-wedge scanner and name search feed one flow.
// Online, the server decides every scan (POST /api/events/<slug>/checkin). When the network
// fails, the scan is checked against the list's roster kept in IndexedDB, shown with an
// "offline" marker and queued with its nonce and scan time; the queue is sent in order when the
// network returns, and the server's answer is final. See templates/checkin/scanner.html.

import { extractToken, fold, newNonce, sha256Hex } from "./scanner-token.js";
import * as store from "./scanner-store.js";
import { Camera, cameraAllowed, decodePhoto } from "./scanner-camera.js";
import { isMuted, setMuted, signal, unlockAudio } from "./scanner-feedback.js";

const REPEAT_MS = 2000; // the same code read again within this time is the same scan
const UNDO_MS = 30000;
const LIVE_TIMEOUT_MS = 4500; // a scan waits this long for the server before it is queued
const SYNC_TIMEOUT_MS = 10000;
const RETRY_MS = 10000;
const ROSTER_REFRESH_MS = 120000;
const OFFLINE_GRACE_MS = 20000; // after a failure, scans go straight to the queue for a while
const IDLE_AFTER_MS = 8000;

const root = document.getElementById("scanner");
if (root) start(root);

function start(rootEl) {
  const cfg = rootEl.dataset;
  const slug = cfg.slug;
  const listId = Number(cfg.listId);
  const listName = cfg.listName;
  const allowReentry = cfg.allowReentry === "true";
  const api = cfg.api;
  const $ = (id) => document.getElementById(id);
  let csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  const ui = {
    countIn: $("count-in"), countExpected: $("count-expected"), countNote: $("count-note"),
    conn: $("conn"), connText: $("conn-text"), queueCount: $("queue-count"), notice: $("notice"),
    camera: $("camera"), video: $("camera-video"), cameraStart: $("camera-start"),
    cameraNote: $("camera-note"), cameraFlip: $("camera-flip"), cameraTorch: $("camera-torch"),
    cameraStop: $("camera-stop"),
    result: $("result"), resultTitle: $("result-title"), resultName: $("result-name"),
    resultDetail: $("result-detail"), resultMeta: $("result-meta"),
    undo: $("undo"), undoLeft: $("undo-left"), loginQr: $("login-qr"), loginDialog: $("login-dialog"),
    wedgeForm: $("wedge-form"), wedge: $("wedge"), typeToggle: $("wedge-type"), photo: $("photo"),
    search: $("search"), searchResults: $("search-results"), searchNote: $("search-note"),
    offlineStatus: $("offline-status"), rosterInfo: $("roster-info"),
    queueBox: $("queue-box"), queueList: $("queue-list"), syncNow: $("sync-now"),
    warningsBox: $("warnings-box"), warningsList: $("warnings-list"), warningsClear: $("warnings-clear"),
    recent: $("recent"), recentBox: $("recent-box"), mute: $("mute"), forget: $("forget"),
    last: $("last-checkin"),
  };

  const state = {
    roster: null,
    seen: new Map(),
    failedAt: 0,
    online: navigator.onLine !== false,
    authProblem: "",
    queueLength: 0,
    syncing: false,
    last: { key: "", at: 0 },
    busy: false,
    undo: null,
    panelNonce: "",
    live: false,
    countsVersion: -1,
    countsStale: false,
    pageCached: false,
    rosterSaveTimer: null,
    cancelled: new Set(),
  };

  // ---------- network ----------

  class NetworkError extends Error {}

  async function send(method, url, body, timeoutMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(url, {
        method,
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
        headers: body === undefined
          ? { Accept: "application/json" }
          : { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new NetworkError(err && err.name === "AbortError" ? "timeout" : "network");
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    return { status: response.status, redirected: response.redirected, data };
  }

  /** A fresh CSRF token from the page itself (the cached copy may belong to an old session). */
  async function refreshCsrf() {
    try {
      const response = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok || response.redirected) return false;
      const html = new DOMParser().parseFromString(await response.text(), "text/html");
      const token = html.querySelector('meta[name="csrf-token"]')?.content;
      if (token) {
        csrf = token;
        return true;
      }
    } catch { /* still offline */ }
    return false;
  }

  /** One check-in request; the kind says what to do with the scan. */
  async function postCheckin(body, timeoutMs) {
    for (let attempt = 0; attempt < 2; attempt++) {
      let res;
      try {
        res = await send("POST", api, body, timeoutMs);
      } catch {
        return { kind: "retry" };
      }
      const data = res.data;
      if (res.status === 200 && data && typeof data.code === "string") return { kind: "decided", data };
      if (res.status === 400 && data?.error === "csrf_failed" && attempt === 0) {
        if (await refreshCsrf()) continue;
        return { kind: "auth" };
      }
      if (res.status === 401 || res.redirected) return { kind: "auth" };
      // The app itself refused the scan for good (bad body, list gone); a proxy's error page or
      // anything else without the app's error shape is retried later instead.
      const refused = data && data.ok === false && typeof data.error === "string";
      if (refused && [400, 404, 422].includes(res.status)) return { kind: "invalid", data };
      if (res.status === 403) return { kind: "forbidden", data };
      return { kind: "retry" };
    }
    return { kind: "retry" };
  }

  function markOnline() {
    state.failedAt = 0;
    state.online = true;
    state.authProblem = "";
    renderConn();
  }

  function markOffline() {
    state.failedAt = Date.now();
    state.online = false;
    renderConn();
  }

  function looksOffline() {
    return navigator.onLine === false || (state.failedAt && Date.now() - state.failedAt < OFFLINE_GRACE_MS);
  }

  // ---------- the result panel ----------

  function timeOf(iso) {
    const date = iso ? new Date(iso) : null;
    if (!date || Number.isNaN(date.getTime())) return "";
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  let pendingTimer = null;

  function showPending() {
    clearTimeout(pendingTimer);
    // Only a slow answer shows "Checking…"; a quick one would just flicker.
    pendingTimer = setTimeout(() => show({ kind: "pending", title: "Checking…", name: "", detail: "" }), 250);
  }

  let idleTimer = null;

  function show({ kind, title, name = "", detail = "", meta = "", nonce = "", offline = false }) {
    clearTimeout(pendingTimer);
    clearTimeout(idleTimer);
    ui.result.dataset.kind = kind;
    ui.result.dataset.offline = offline ? "yes" : "no";
    ui.resultTitle.textContent = title;
    ui.resultName.textContent = name;
    ui.resultName.hidden = !name;
    ui.resultDetail.textContent = detail;
    ui.resultDetail.hidden = !detail;
    ui.resultMeta.textContent = meta;
    ui.resultMeta.hidden = !meta;
    state.panelNonce = nonce;
    ui.camera.dataset.flash = kind;
    if (kind !== "pending" && kind !== "idle") {
      // Re-trigger the flash animation even when two results of the same kind follow.
      ui.result.classList.remove("fresh");
      void ui.result.offsetWidth;
      ui.result.classList.add("fresh");
      idleTimer = setTimeout(() => backToIdle(`Last: ${[title, name].filter(Boolean).join(" · ")}`), IDLE_AFTER_MS);
    }
  }

  // A result left on screen too long gets mistaken for the next person's: fade back to
  // "ready", but never while its undo is still possible or the login QR is open.
  function backToIdle(summary) {
    if (state.undo || ui.loginDialog.open) {
      idleTimer = setTimeout(() => backToIdle(summary), 1000);
      return;
    }
    show({ kind: "idle", title: "Ready for the next badge", name: summary });
    hideLoginQr();
  }

  const TITLES = {
    unknown_badge: "Unknown or revoked badge",
    revoked_badge: "Unknown or revoked badge",
    wrong_event: "Badge of another event",
    not_allowed: "Not allowed",
  };

  function sameText(a, b) {
    const norm = (t) => String(t).trim().replace(/[.!]+$/, "").toLowerCase();
    return norm(a) === norm(b);
  }

  function describe(data) {
    const person = data.attendee;
    const name = person ? person.name : "";
    const company = person && person.company ? person.company : "";
    if (data.ok) {
      // The server's greeting says "Welcome back" on re-entry lists; keep its words.
      const greeting = /^welcome/i.test(data.message || "") ? data.message.split(" — ")[0] : "";
      return { kind: "ok", title: greeting || `Welcome, ${name || "guest"}`, name: company, detail: "" };
    }
    if (data.code === "already_checked_in") {
      const prev = data.previous || {};
      const parts = [];
      if (prev.at) parts.push(`at ${timeOf(prev.at)}`);
      if (prev.by) parts.push(`by ${prev.by}`);
      const where = prev.list && prev.list.name ? ` (${prev.list.name})` : "";
      return {
        kind: "warn",
        title: "Already checked in",
        name: [name, company].filter(Boolean).join(" — "),
        detail: parts.length || where ? `${parts.join(" ")}${where}` : data.message || "",
      };
    }
    const title = TITLES[data.code] || data.message || "Not checked in";
    return {
      kind: "bad",
      title,
      name: [name, company].filter(Boolean).join(" — "),
      detail: data.message && !sameText(data.message, title) ? data.message : "",
    };
  }

  function describeLocal(local) {
    const who = [local.name, local.company].filter(Boolean).join(" — ");
    const meta = "Offline · saved, sent when back online";
    if (local.code === "ok") {
      return { kind: "ok", title: `Welcome, ${local.name}`, name: local.company || "", meta };
    }
    if (local.code === "already") {
      return {
        kind: "warn",
        title: "Already checked in",
        name: who,
        detail: local.seen_at ? `on this phone at ${timeOf(local.seen_at)}` : "before the network dropped",
        meta,
      };
    }
    if (local.code === "unknown") {
      return {
        kind: "bad",
        title: "Unknown or revoked badge",
        name: "Not on the offline list",
        detail: "The server checks it again when the network is back.",
        meta,
      };
    }
    return {
      kind: "warn",
      title: "Saved, not checked",
      name: "No offline list on this phone yet",
      detail: "The server decides when the network is back.",
      meta,
    };
  }

  // ---------- undo and "log in on their phone" ----------

  let undoTimer = null;

  function setUndo(undo) {
    state.undo = undo;
    clearInterval(undoTimer);
    renderUndo();
    if (undo) undoTimer = setInterval(renderUndo, 250);
  }

  function renderUndo() {
    const undo = state.undo;
    const left = undo ? Math.ceil((undo.deadline - performance.now()) / 1000) : 0;
    if (!undo || left <= 0) {
      state.undo = null;
      clearInterval(undoTimer);
      ui.undo.hidden = true;
      return;
    }
    ui.undo.hidden = false;
    ui.undoLeft.textContent = `${left} s`;
  }

  async function doUndo() {
    const undo = state.undo;
    if (!undo) return;
    setUndo(null);
    state.last = { key: "", at: 0 }; // scanning the same badge right after an undo is deliberate
    if (undo.kind === "queued") {
      const item = await store.findQueued(slug, undo.nonce);
      if (item) {
        state.cancelled.add(undo.nonce);
        await store.dequeue(item.seq);
        if (item.local.attendee_id) {
          await store.unmarkSeen(slug, listId, item.local.attendee_id);
          state.seen.delete(item.local.attendee_id);
        }
        await renderQueue();
        show({ kind: "info", title: "Scan removed", name: undo.name, detail: "Not checked in: it will not be sent." });
        signal("info");
        hideLoginQr();
        return;
      }
      if (!undo.checkInId) {
        show({ kind: "bad", title: "Too late to undo", name: undo.name, detail: "The scan was already sent." });
        return;
      }
    }
    let res;
    try {
      res = await send("POST", `${api}/${undo.checkInId}/undo`, {}, LIVE_TIMEOUT_MS);
    } catch {
      setUndo(undo); // the window is still open: let them try again
      show({ kind: "bad", title: "Could not undo", name: undo.name, detail: "No connection to the server. Try again." });
      return;
    }
    if (res.status === 200 && res.data?.ok) {
      markOnline();
      setRosterEntry(undo.attendeeId, false);
      show({ kind: "info", title: "Check-in undone", name: undo.name, detail: "They are not checked in." });
      signal("info");
      hideLoginQr();
      if (!state.live) refreshCounts();
    } else {
      show({
        kind: "bad",
        title: res.data?.error === "undo_expired" ? "Too late to undo" : "Could not undo",
        name: undo.name,
        detail: res.data?.message || "",
      });
    }
  }

  let loginFor = null;

  function showLoginQr(attendeeId, name) {
    if (!attendeeId) return;
    loginFor = { id: attendeeId, name };
    ui.loginQr.hidden = false;
  }

  function hideLoginQr() {
    loginFor = null;
    ui.loginQr.hidden = true;
  }

  // The desk login QR (a one-hour magic link) is shown over the scanner, which keeps running.
  async function openLoginQr() {
    const person = loginFor;
    if (!person) return;
    ui.loginQr.disabled = true;
    try {
      const url = `${cfg.loginQrUrl.replace("__ID__", String(person.id))}?format=png`;
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf },
      });
      if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("image/")) {
        throw new Error(`HTTP ${response.status}`);
      }
      const img = $("login-dialog-qr");
      if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(await response.blob());
      img.alt = `Login QR code for ${person.name}`;
      $("login-dialog-name").textContent = person.name;
      if (typeof ui.loginDialog.showModal === "function") ui.loginDialog.showModal();
      else ui.loginDialog.setAttribute("open", "");
    } catch {
      notice("Could not make the login QR. Check the connection and try again.", "bad");
    } finally {
      ui.loginQr.disabled = false;
    }
  }

  // ---------- the roster (offline list) ----------

  function useRoster(record) {
    const byHash = new Map();
    const byId = new Map();
    for (const entry of record.entries || []) {
      if (entry.h) byHash.set(entry.h, entry);
      byId.set(entry.attendee_id, entry);
    }
    state.roster = { record, byHash, byId };
    renderOfflineStatus();
  }

  function setRosterEntry(attendeeId, checkedIn) {
    const entry = state.roster?.byId.get(attendeeId);
    if (!entry || entry.checked_in === checkedIn) return;
    entry.checked_in = checkedIn;
    clearTimeout(state.rosterSaveTimer);
    state.rosterSaveTimer = setTimeout(() => {
      const record = state.roster?.record;
      if (record) store.putRoster(slug, listId, record).catch(() => {});
    }, 1500);
  }

  async function refreshRoster() {
    let res;
    try {
      res = await send("GET", `${api}/lists/${listId}/roster`, undefined, 20000);
    } catch {
      return false;
    }
    if (res.status !== 200 || !Array.isArray(res.data?.entries)) return false;
    // Offline admissions that are still queued are not on the server's roster yet: keep them.
    const waiting = (await store.queued(slug)).some((item) => item.listId === listId);
    if (!waiting) {
      await store.clearSeen(slug, listId);
      state.seen = new Map();
    }
    useRoster(await store.putRoster(slug, listId, res.data));
    return true;
  }

  async function localVerdict(body) {
    if (!state.roster) return { code: "unverified" };
    let entry = null;
    if (body.attendee_id) entry = state.roster.byId.get(body.attendee_id) || null;
    else entry = state.roster.byHash.get(await sha256Hex(body.token)) || null;
    if (!entry) return { code: "unknown" };
    const person = { attendee_id: entry.attendee_id, name: entry.name, company: entry.company || "" };
    if (!allowReentry) {
      const seenAt = state.seen.get(entry.attendee_id);
      if (seenAt) return { ...person, code: "already", seen_at: seenAt };
      if (entry.checked_in) return { ...person, code: "already" };
    }
    return { ...person, code: "ok" };
  }

  // ---------- one scan ----------

  function isRepeat(key, source) {
    const now = performance.now();
    const repeat = state.last.key === key && now - state.last.at < REPEAT_MS;
    // The camera sees one badge in many frames: it counts again only after a 2 s pause.
    if (!repeat || source === "camera") state.last = { key, at: now };
    return repeat;
  }

  async function handleText(raw, source) {
    const token = extractToken(raw);
    if (!token) {
      if (isRepeat(`raw:${raw}`, source)) return;
      show({ kind: "bad", title: "Not a badge", name: "This code is not a Known badge.", detail: "" });
      signal("bad");
      return;
    }
    if (isRepeat(token, source)) return;
    await checkIn({ token, attendee_id: null });
  }

  async function checkIn(ref) {
    state.busy = true;
    try {
      const body = {
        token: ref.token || null,
        attendee_id: ref.attendee_id || null,
        list_id: listId,
        nonce: newNonce(),
        scanned_at: new Date().toISOString(),
      };
      showPending();
      if (!looksOffline()) {
        const res = await postCheckin(body, LIVE_TIMEOUT_MS);
        if (res.kind === "decided") {
          markOnline();
          onAnswer(body, res.data);
          return;
        }
        if (res.kind === "invalid") {
          show({ kind: "bad", title: "Scan refused", name: res.data?.message || "The server could not read this scan." });
          signal("bad");
          return;
        }
        if (res.kind === "forbidden") {
          show({ kind: "bad", title: "Not allowed", name: "You are not on this event's team." });
          signal("bad");
          return;
        }
        if (res.kind === "auth") {
          state.authProblem = "login";
          renderConn();
        } else {
          markOffline();
        }
      }
      await queueScan(body);
    } finally {
      state.busy = false;
      refocusWedge();
    }
  }

  function onAnswer(body, data) {
    const view = describe(data);
    show({ ...view, nonce: body.nonce });
    signal(view.kind);
    const person = data.attendee;
    if (person) setRosterEntry(person.id, data.ok || data.code === "already_checked_in");
    if (data.ok && data.check_in && person) {
      const window_ = data.undo_until && data.check_in.at
        ? Math.max(0, Math.min(UNDO_MS, Date.parse(data.undo_until) - Date.parse(data.check_in.at)))
        : UNDO_MS;
      setUndo({ kind: "server", checkInId: data.check_in.id, attendeeId: person.id, name: person.name, deadline: performance.now() + window_ });
      showLoginQr(person.id, person.name);
    } else {
      setUndo(null);
      hideLoginQr();
    }
    addRecent({ kind: view.kind, name: person?.name || view.title, at: new Date(), offline: false });
    if (!state.live) refreshCounts();
    rerunSearch();
  }

  async function queueScan(body) {
    const local = await localVerdict(body);
    try {
      await store.enqueue({ slug, listId, listName, body, local });
    } catch {
      // Nothing may be lost silently: say so loudly, so the person is sent to the desk.
      show({ kind: "bad", title: "Not saved", name: "No network, and this browser cannot store the scan.", detail: "Note the name, or check them in by hand when the network is back." });
      signal("bad");
      return;
    }
    if (local.code === "ok") {
      state.seen.set(local.attendee_id, body.scanned_at);
      await store.markSeen(slug, listId, local.attendee_id, body.scanned_at);
    }
    const view = describeLocal(local);
    if (state.authProblem === "login") view.meta = "Saved on this phone · sent after you log in again";
    show({ ...view, nonce: body.nonce, offline: true });
    signal(view.kind);
    hideLoginQr();
    if (local.code === "ok") {
      setUndo({ kind: "queued", nonce: body.nonce, attendeeId: local.attendee_id, name: local.name, deadline: performance.now() + UNDO_MS });
    } else {
      setUndo(null);
    }
    addRecent({ kind: view.kind, name: local.name || view.title, at: new Date(), offline: true });
    await renderQueue();
    scheduleSync();
    rerunSearch();
  }

  // ---------- the offline queue ----------

  let syncTimer = null;

  function scheduleSync(delay = RETRY_MS) {
    clearTimeout(syncTimer);
    syncTimer = setTimeout(() => syncQueue(), delay);
  }

  async function syncQueue() {
    clearTimeout(syncTimer);
    if (state.syncing) return;
    state.syncing = true;
    renderConn();
    try {
      // One tab at a time sends the queue; the nonce makes a double send harmless anyway.
      if (navigator.locks?.request) await navigator.locks.request(`known-checkin-sync-${slug}`, drain);
      else await drain();
    } catch { /* IndexedDB or lock trouble: the queue is untouched, try later */ }
    state.syncing = false;
    await renderQueue();
    if (state.queueLength) scheduleSync();
  }

  async function drain() {
    const items = await store.queued(slug);
    let sent = 0;
    let warned = 0;
    for (const item of items) {
      // Undone by the staff since the list was read: it must not be sent.
      if (!(await store.stillQueued(item.seq))) continue;
      const res = await postCheckin(item.body, SYNC_TIMEOUT_MS);
      if (res.kind === "decided") {
        markOnline();
        if (state.cancelled.has(item.body.nonce) && res.data.ok && res.data.check_in) {
          // Undone while it was on its way: take the check-in back on the server too.
          await send("POST", `${api}/${res.data.check_in.id}/undo`, {}, SYNC_TIMEOUT_MS).catch(() => null);
        }
        const warning = conflictOf(item, res.data);
        if (warning) {
          await store.addWarning(warning);
          warned += 1;
        }
        await store.dequeue(item.seq);
        afterSynced(item, res.data);
        sent += 1;
      } else if (res.kind === "invalid") {
        // The server will never accept this one: it leaves the queue, but visibly.
        await store.addWarning(warningOf(item, {
          code: "invalid_request",
          message: `Refused by the server: ${res.data?.message || "invalid scan"}`,
        }));
        await store.dequeue(item.seq);
        warned += 1;
      } else {
        if (res.kind === "auth") state.authProblem = "login";
        else if (res.kind === "forbidden") state.authProblem = "forbidden";
        else markOffline();
        break;
      }
      await renderQueue();
    }
    if (sent || warned) {
      await renderWarnings();
      notice(`Sent ${sent} saved scan${sent === 1 ? "" : "s"}${warned ? ` · ${warned} with warnings` : ""}`, warned ? "warn" : "ok");
      // The live pushes for these may have come before this phone's socket was back: ask.
      refreshCounts();
      const left = await store.queued(slug);
      if (!left.length) refreshRoster().then(renderOfflineStatus);
    }
  }

  function warningOf(item, { code, message, name, company }) {
    return {
      slug,
      listId: item.listId,
      listName: item.listName || "",
      nonce: item.body.nonce,
      scanned_at: item.body.scanned_at,
      token: item.body.token,
      attendee_id: item.body.attendee_id,
      local: item.local.code,
      code,
      name: name || item.local.name || "Unknown badge",
      company: company || item.local.company || "",
      message,
    };
  }

  function conflictOf(item, data) {
    const localOk = item.local.code === "ok";
    if (item.local.code === "unverified" ? data.ok : localOk === data.ok) return null;
    const person = data.attendee || {};
    let message;
    if (data.code === "already_checked_in") {
      const prev = data.previous || {};
      const where = prev.list?.name ? ` (${prev.list.name})` : "";
      message = `Already checked in at ${timeOf(prev.at)}${prev.by ? ` by ${prev.by}` : ""}${where} — admitted here offline at ${timeOf(item.body.scanned_at)}`;
    } else if (data.ok) {
      const said = { unknown: "unknown badge", already: "already checked in" }[item.local.code] || "not checked";
      message = `Checked in when synced; offline this phone said “${said}” at ${timeOf(item.body.scanned_at)}`;
    } else {
      const how = localOk ? "admitted here offline" : "scanned offline";
      message = `${TITLES[data.code] || data.message || data.code} — ${how} at ${timeOf(item.body.scanned_at)}`;
    }
    return warningOf(item, { code: data.code, message, name: person.name, company: person.company });
  }

  function afterSynced(item, data) {
    const person = data.attendee;
    if (person) setRosterEntry(person.id, data.ok || data.code === "already_checked_in");
    if (state.undo && state.undo.nonce === item.body.nonce) {
      if (data.ok && data.check_in) state.undo = { ...state.undo, checkInId: data.check_in.id, kind: "server" };
      else setUndo(null);
    }
    if (state.panelNonce === item.body.nonce) {
      // The panel still shows this scan: replace the offline guess with the server's answer.
      const view = describe(data);
      show({ ...view, meta: "Sent ✓ — the server's answer", nonce: item.body.nonce });
      if (data.ok && person) showLoginQr(person.id, person.name);
    }
  }

  // ---------- rendering ----------

  function renderConn() {
    const n = state.queueLength;
    let mode = state.online ? "online" : "offline";
    let text = state.online ? "Online" : "Offline";
    if (state.syncing && n) { mode = "syncing"; text = "Sending…"; }
    if (state.authProblem === "login") { mode = "auth"; text = "Logged out"; }
    if (state.authProblem === "forbidden") { mode = "auth"; text = "Not on this team"; }
    ui.conn.dataset.state = mode;
    ui.connText.textContent = text;
    $("relogin").hidden = state.authProblem !== "login";
    ui.queueCount.textContent = `${n} queued`;
    ui.queueCount.dataset.count = String(n);
  }

  function renderCountNote() {
    const waiting = state.waitingOk || 0;
    ui.countNote.textContent = waiting ? `+${waiting} waiting to send` : state.countsStale ? "last known" : "";
  }

  async function renderQueue() {
    const items = await store.queued(slug);
    state.queueLength = items.length;
    state.waitingOk = items.filter((item) => item.listId === listId && item.local.code === "ok").length;
    renderCountNote();
    renderConn();
    ui.queueBox.hidden = items.length === 0;
    ui.queueList.replaceChildren(...items.slice(-30).reverse().map((item) => {
      const li = document.createElement("li");
      li.className = "list-item";
      const who = document.createElement("span");
      who.textContent = item.local.name || (item.local.code === "unknown" ? "Unknown badge" : "Unchecked badge");
      const when = document.createElement("span");
      when.className = "muted";
      when.textContent = `${timeOf(item.body.scanned_at)}${item.listId !== listId ? ` · ${item.listName}` : ""}`;
      li.append(who, when);
      return li;
    }));
    $("queue-total").textContent = String(items.length);
  }

  async function renderWarnings() {
    const list = await store.warnings(slug);
    ui.warningsBox.hidden = list.length === 0;
    $("warnings-total").textContent = String(list.length);
    ui.warningsList.replaceChildren(...list.map((w) => {
      const li = document.createElement("li");
      li.className = "warning-item";
      const who = document.createElement("strong");
      who.textContent = [w.name, w.company].filter(Boolean).join(" — ");
      const what = document.createElement("span");
      what.textContent = w.message;
      li.append(who, what);
      return li;
    }));
  }

  function renderOfflineStatus() {
    const roster = state.roster?.record;
    if (roster) {
      const entries = roster.entries || [];
      const count = entries.filter((e) => e.h).length;
      const missing = entries.length - count;
      // Badges are issued when they are printed (or opened on the attendee's phone).
      const unbadged = missing
        ? ` · ${missing} ${missing === 1 ? "attendee has" : "attendees have"} no badge yet: find them by name`
        : "";
      ui.rosterInfo.textContent = `${count} badge${count === 1 ? "" : "s"} of “${listName}” saved on this phone · updated ${timeOf(roster.fetched_at)}${unbadged}`;
    } else {
      ui.rosterInfo.textContent = "The list is not saved on this phone yet.";
    }
    const ready = Boolean(roster) && state.pageCached;
    rootEl.dataset.offlineReady = ready ? "yes" : "no";
    ui.offlineStatus.dataset.ready = ready ? "yes" : "no";
    ui.offlineStatus.textContent = ready
      ? "Ready to work offline"
      : "Getting ready to work offline… keep this page open while online.";
  }

  // Counts carry the list's version (raised by every check-in and undo on the server): a push
  // or a fetched answer older than what is shown is dropped. Counts restored from this phone's
  // last visit have no version: anything from the server replaces them.
  function setCounts(checkedIn, expected, { stale = false, version = null } = {}) {
    if (version !== null) {
      if (version < state.countsVersion) return;
      state.countsVersion = version;
    }
    state.countsStale = stale;
    ui.countIn.textContent = String(checkedIn);
    ui.countExpected.textContent = String(expected);
    renderCountNote();
    try {
      localStorage.setItem(`known-counts-${slug}-${listId}`, JSON.stringify({ checkedIn, expected }));
    } catch { /* private mode */ }
  }

  async function refreshCounts() {
    try {
      const res = await send("GET", `${api}/lists`, undefined, 6000);
      const found = res.data?.lists?.find((l) => Number(l.id) === listId);
      if (found) setCounts(found.checked_in, found.expected, { version: found.version });
    } catch { /* offline: keep the last known counts */ }
  }

  function restoreCounts() {
    try {
      const saved = JSON.parse(localStorage.getItem(`known-counts-${slug}-${listId}`) || "null");
      if (saved) setCounts(saved.checkedIn, saved.expected, { stale: true });
    } catch { /* nothing saved */ }
  }

  const recent = [];

  function addRecent(entry) {
    recent.unshift(entry);
    recent.length = Math.min(recent.length, 8);
    ui.recentBox.hidden = false;
    ui.recent.replaceChildren(...recent.map((r) => {
      const li = document.createElement("li");
      li.className = `list-item recent-item recent-${r.kind}`;
      const who = document.createElement("span");
      who.textContent = r.name;
      const when = document.createElement("span");
      when.className = "muted";
      when.textContent = `${r.at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}${r.offline ? " · offline" : ""}`;
      li.append(who, when);
      return li;
    }));
  }

  let noticeTimer = null;

  function notice(text, kind = "info") {
    ui.notice.textContent = text;
    ui.notice.dataset.kind = kind;
    ui.notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { ui.notice.hidden = true; }, 8000);
  }

  // ---------- keyboard-wedge scanner input ----------

  function refocusWedge() {
    const active = document.activeElement;
    // Never steal the focus from the search box (or any other field) while it is in use.
    if (active && active !== ui.wedge && active.matches("input, textarea, select")) return;
    if (ui.search.value.trim()) return;
    if (document.hidden || ui.loginDialog.open) return;
    ui.wedge.focus({ preventScroll: true });
  }

  ui.wedgeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = ui.wedge.value;
    ui.wedge.value = "";
    if (ui.wedge.inputMode === "text") ui.wedge.inputMode = "none";
    if (value.trim()) handleText(value, "wedge");
  });
  ui.wedge.addEventListener("focusout", () => setTimeout(refocusWedge, 300));
  ui.typeToggle.addEventListener("click", () => {
    // The input hides the on-screen keyboard (a hardware scanner types into it); show it on request.
    ui.wedge.inputMode = "text";
    ui.wedge.blur();
    ui.wedge.focus();
  });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refocusWedge(); });
  document.addEventListener("click", (event) => {
    if (!event.target.closest("input, textarea, select, button, a, label, summary")) refocusWedge();
  });

  // ---------- search ----------

  let searchTimer = null;
  let searchSeq = 0;

  function rerunSearch() {
    if (ui.search.value.trim().length >= 2) runSearch(ui.search.value);
  }

  async function runSearch(query) {
    const seq = ++searchSeq;
    const q = query.trim();
    if (q.length < 2) {
      ui.searchResults.replaceChildren();
      ui.searchNote.textContent = "";
      return;
    }
    let results = null;
    let offline = false;
    if (!looksOffline()) {
      try {
        const url = `${api}/search?${new URLSearchParams({ q, list_id: String(listId) })}`;
        const res = await send("GET", url, undefined, 5000);
        if (res.status === 200 && Array.isArray(res.data?.results)) results = res.data.results;
      } catch { /* fall back to the saved list */ }
    }
    if (!results) {
      offline = true;
      results = localSearch(q);
    }
    if (seq !== searchSeq) return; // a newer search has answered already
    ui.searchNote.textContent = results.length
      ? (offline ? "Offline: searching the list saved on this phone (names and companies)." : "")
      : (offline ? "Nobody on the saved list matches (offline: names and companies only)." : "Nobody matches.");
    ui.searchResults.replaceChildren(...results.map((r) => searchRow(r)));
  }

  function localSearch(q) {
    const terms = fold(q).split(/\s+/).filter(Boolean);
    const out = [];
    for (const entry of state.roster?.record.entries || []) {
      const hay = fold(`${entry.name} ${entry.company || ""}`);
      if (terms.every((t) => hay.includes(t))) {
        out.push({
          attendee_id: entry.attendee_id,
          name: entry.name,
          company: entry.company || "",
          checked_in: Boolean(entry.checked_in || state.seen.has(entry.attendee_id)),
        });
        if (out.length >= 20) break;
      }
    }
    return out;
  }

  function searchRow(r) {
    const li = document.createElement("li");
    li.className = "list-item search-item";
    const who = document.createElement("div");
    who.className = "search-who";
    const name = document.createElement("strong");
    name.textContent = r.name;
    who.append(name);
    if (r.company) {
      const company = document.createElement("span");
      company.className = "muted";
      company.textContent = r.company;
      who.append(company);
    }
    li.append(who);
    if (r.checked_in && !allowReentry) {
      const pill = document.createElement("span");
      pill.className = "pill pill-in";
      pill.textContent = "Checked in";
      li.append(pill);
    } else {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button primary";
      button.textContent = "Check in";
      button.dataset.attendeeId = String(r.attendee_id);
      button.setAttribute("aria-label", `Check in ${r.name}`);
      li.append(button);
    }
    return li;
  }

  ui.search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(ui.search.value), 250);
  });
  ui.search.addEventListener("search", () => { if (!ui.search.value) refocusWedge(); });
  ui.search.addEventListener("keydown", (event) => {
    // A hand scanner firing while the search box has the focus types a badge link here.
    if (event.key !== "Enter" || !/\/b\/[A-Za-z0-9_-]{8,}/.test(ui.search.value)) return;
    event.preventDefault();
    const value = ui.search.value;
    ui.search.value = "";
    runSearch("");
    handleText(value, "wedge");
  });
  ui.searchResults.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-attendee-id]");
    if (!button) return;
    unlockAudio();
    const id = Number(button.dataset.attendeeId);
    if (isRepeat(`a:${id}`, "search")) return;
    button.disabled = true;
    checkIn({ attendee_id: id }).finally(() => { button.disabled = false; });
  });

  // ---------- camera and photo ----------

  const camera = new Camera(ui.video, {
    onCode: (text) => {
      if (!state.busy) handleText(text, "camera");
    },
    onState: (s) => {
      ui.camera.dataset.state = s.running ? "on" : "off";
      ui.cameraTorch.hidden = !s.torch;
      ui.cameraTorch.setAttribute("aria-pressed", "false");
      if (s.running) ui.camera.dataset.decoder = s.decoder || "none";
    },
  });

  async function startCamera(facing) {
    ui.cameraNote.textContent = "Starting the camera…";
    try {
      await camera.start(facing);
      ui.cameraNote.textContent = "";
      localStorage.setItem("known-scanner-camera", "on");
      const multiple = (await navigator.mediaDevices.enumerateDevices?.() || [])
        .filter((d) => d.kind === "videoinput").length > 1;
      ui.cameraFlip.hidden = !multiple;
    } catch (err) {
      const name = err && err.name;
      ui.cameraNote.textContent = name === "NotAllowedError"
        ? "Camera access was refused. Allow it in the browser's site settings — or use Photo, a scanner or the search."
        : name === "NotFoundError" || name === "OverconstrainedError"
          ? "No camera found. Use Photo, a scanner or the search."
          : (err && err.message) || "The camera could not start.";
      ui.camera.dataset.state = "off";
    }
  }

  ui.cameraStart.addEventListener("click", () => { unlockAudio(); startCamera(); });
  ui.cameraFlip.addEventListener("click", () => startCamera(camera.facing === "environment" ? "user" : "environment"));
  ui.cameraTorch.addEventListener("click", async () => {
    try {
      const on = await camera.toggleTorch();
      ui.cameraTorch.setAttribute("aria-pressed", on ? "true" : "false");
    } catch { ui.cameraTorch.hidden = true; }
  });
  const cameraHint = ui.cameraNote.textContent;
  ui.cameraStop.addEventListener("click", () => {
    camera.stop();
    localStorage.setItem("known-scanner-camera", "off");
    ui.cameraNote.textContent = cameraHint;
  });

  ui.photo.addEventListener("change", async () => {
    const file = ui.photo.files && ui.photo.files[0];
    ui.photo.value = "";
    if (!file) return;
    unlockAudio();
    show({ kind: "pending", title: "Reading the photo…" });
    let text = null;
    try {
      text = await decodePhoto(file);
    } catch (err) {
      show({ kind: "bad", title: "Could not read the photo", name: (err && err.message) || "" });
      signal("bad");
      return;
    }
    if (!text) {
      show({ kind: "bad", title: "No QR code found", name: "Fill the frame with the badge's QR code, hold still, and try again." });
      signal("bad");
      return;
    }
    state.last = { key: "", at: 0 }; // a photo is a deliberate scan, never a repeat
    handleText(text, "photo");
  });

  // ---------- live counts ----------

  async function connectLive() {
    let connect;
    try {
      ({ connect } = await import(cfg.socketUrl));
    } catch {
      return; // the scanner works without live counts
    }
    const socket = connect("/event");
    socket.on("connect", () => {
      socket.emit("join", { event: slug, audience: "staff" }, (ack) => {
        state.live = Boolean(ack && ack.ok);
        rootEl.dataset.live = state.live ? "yes" : "no";
        refreshCounts();
      });
      if (state.queueLength) syncQueue();
    });
    socket.on("disconnect", () => {
      state.live = false;
      rootEl.dataset.live = "no";
    });
    socket.on("checkin_update", (data) => {
      if (Number(data.list_id) !== listId) return;
      setCounts(data.checked_in, data.expected, { version: data.version ?? null });
      if (data.last) {
        ui.last.hidden = false;
        ui.last.textContent = `Last: ${data.last.name}${data.last.by ? ` · by ${data.last.by}` : ""} · ${timeOf(data.last.at)}`;
      }
    });
  }

  // ---------- service worker (offline page) ----------

  async function registerWorker() {
    if (!("serviceWorker" in navigator)) {
      ui.offlineStatus.textContent = "This browser cannot keep the page offline; saved scans still survive while it stays open.";
      return;
    }
    try {
      await navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.swScope, updateViaCache: "none" });
      const registration = await navigator.serviceWorker.ready;
      const worker = registration.active;
      // The worker keeps this page (with its ?list=) and every file it loaded, for offline reloads.
      const assets = [...document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=modulepreload], link[rel=icon]")]
        .map((el) => el.src || el.href)
        .filter((url) => new URL(url).origin === location.origin);
      if (worker) await askWorker(worker, { type: "cache-pages", urls: [location.href], assets });
    } catch { /* checked below */ }
    try {
      state.pageCached = Boolean(await caches.match(location.href));
    } catch {
      state.pageCached = false;
    }
    renderOfflineStatus();
  }

  function askWorker(worker, message) {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      const timer = setTimeout(() => resolve(null), 20000);
      channel.port1.onmessage = (event) => { clearTimeout(timer); resolve(event.data); };
      worker.postMessage(message, [channel.port2]);
    });
  }

  // ---------- the rest of the controls ----------

  ui.undo.addEventListener("click", () => { unlockAudio(); doUndo(); });
  ui.loginQr.addEventListener("click", openLoginQr);
  // After the dialog has given the focus back to its opener, hand it to the scanner field.
  ui.loginDialog.addEventListener("close", () => setTimeout(refocusWedge, 0));
  ui.syncNow.addEventListener("click", () => { state.failedAt = 0; syncQueue(); });
  ui.warningsClear.addEventListener("click", async () => {
    await store.clearWarnings(slug);
    await renderWarnings();
  });
  ui.forget.addEventListener("click", async () => {
    if (!window.confirm("Remove the saved list from this phone? Scans waiting to be sent stay.")) return;
    await store.forgetEvent(slug);
    state.roster = null;
    state.seen = new Map();
    renderOfflineStatus();
    notice("The saved list was removed from this phone.");
  });
  const renderMute = () => {
    ui.mute.setAttribute("aria-pressed", isMuted() ? "true" : "false");
    ui.mute.textContent = isMuted() ? "Sound off" : "Sound on";
  };
  ui.mute.addEventListener("click", () => { setMuted(!isMuted()); unlockAudio(); renderMute(); });
  renderMute();
  // Any key from a hardware scanner counts as a gesture that may unlock audio.
  document.addEventListener("keydown", unlockAudio, { once: true });
  document.addEventListener("pointerdown", unlockAudio, { once: true });

  // Logging out leaves no attendee list and no logged-in page copy on the phone; queued scans
  // stay (they are never dropped) and are sent by whoever opens this scanner next, logged in.
  const logout = document.querySelector('form[action$="/logout"]');
  logout?.addEventListener("submit", async (event) => {
    if (logout.dataset.cleared) return;
    event.preventDefault();
    if (state.queueLength && !window.confirm(`${state.queueLength} scans are still waiting to be sent. They stay on this phone and are sent when the scanner is opened again. Log out?`)) {
      return;
    }
    try {
      await store.forgetEvent(slug);
      if (window.caches) await caches.delete("known-checkin-pages");
    } catch { /* log out anyway */ }
    logout.dataset.cleared = "yes";
    logout.submit();
  });

  window.addEventListener("online", () => {
    state.failedAt = 0;
    state.online = true;
    renderConn();
    syncQueue();
    refreshRoster();
  });
  window.addEventListener("offline", () => markOffline());
  setInterval(() => { if (state.online && !state.syncing) refreshRoster(); }, ROSTER_REFRESH_MS);

  // ---------- start ----------

  (async () => {
    renderConn();
    restoreCounts();
    refocusWedge();
    try {
      const saved = await store.getRoster(slug, listId);
      if (saved) useRoster(saved);
      state.seen = await store.seenOn(slug, listId);
      await renderQueue();
      await renderWarnings();
    } catch {
      ui.offlineStatus.textContent = "This browser does not let the page save data (private mode?): offline scans are not possible.";
    }
    renderOfflineStatus();
    if (navigator.onLine !== false) {
      refreshCounts();
      await refreshRoster();
      if (state.queueLength) syncQueue();
    } else {
      state.online = false;
      renderConn();
    }
    await registerWorker();
    connectLive();
    if (localStorage.getItem("known-scanner-camera") === "on" && await cameraAllowed()) startCamera();
  })();
}

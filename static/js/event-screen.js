// The event screen on the projector: rotates the leaderboard, the recognitions feed and the
// hunt's progress, and stays live over the public "/screen" namespace.
//
// Every update (points_changed, recognition, meeting_recorded) only schedules a re-fetch of
// the small screen.json, at most twice a second: a burst of 100 updates a second costs the
// database two snapshots a second per screen, and the screen is never more than half a second
// behind. A (re)join answers with a full snapshot, so a projector that slept loses nothing.
import { connect } from "/static/js/realtime.js";

const stage = document.querySelector("[data-screen]");
const ROTATE_MS = 12000;
const MIN_INTERVAL_MS = 500;
const PANELS = ["leaderboard", "recognitions", "hunt"];

let data = null;
let current = stage.dataset.panel || "leaderboard";
let lastFetch = 0;
let timer = null;
let inflight = false;
let again = false;
let previousTotals = new Map();

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false }) : "";
}

function drawBoard(rows) {
  const list = stage.querySelector("[data-board]");
  const totals = new Map();
  const items = rows.map((row) => {
    const key = `${row.name}#${row.rank}`;
    totals.set(row.name, row.total);
    const before = previousTotals.get(row.name);
    const li = el("li", { className: `screen-row${row.rank <= 3 ? ` top-${row.rank}` : ""}` }, [
      el("span", { className: "screen-pos", textContent: String(row.rank) }),
      el("span", { className: "screen-name", textContent: row.name }),
      el("strong", { className: "screen-total", textContent: String(row.total) }),
    ]);
    li.dataset.key = key;
    if (before !== undefined && before !== row.total) li.classList.add("is-up");
    return li;
  });
  previousTotals = totals;
  if (!items.length) {
    items.push(el("li", { className: "screen-empty", textContent: "No points yet: scan a badge to get on the board!" }));
  }
  list.replaceChildren(...items);
}

function drawRecognitions(rows) {
  const list = stage.querySelector("[data-recognitions]");
  const items = rows.map((row) => {
    const names = row.names.every((n) => n === "Anonymous attendee")
      ? "Two attendees"
      : row.names.join(" & ");
    return el("li", { className: "screen-recognition" }, [
      el("span", { className: "screen-spark", textContent: "★", ariaHidden: "true" }),
      el("span", { className: "screen-rec-names", textContent: names }),
      el("span", { className: "screen-rec-meta", textContent: `+${row.points} each · ${clock(row.at)}` }),
    ]);
  });
  if (!items.length) {
    items.push(el("li", { className: "screen-empty", textContent: "When two people who follow each other online meet here, they appear on this screen." }));
  }
  list.replaceChildren(...items);
}

function drawHunt(hunts) {
  const hunt = hunts && hunts[0];
  const missions = stage.querySelector("[data-missions]");
  const finds = stage.querySelector("[data-finds]");
  if (!hunt) {
    missions.replaceChildren();
    finds.replaceChildren();
    return;
  }
  stage.querySelector("[data-hunt-title]").textContent = hunt.name;
  const most = Math.max(1, ...hunt.missions.map((m) => m.done));
  missions.replaceChildren(...hunt.missions.map((m) => {
    const bar = el("span", { className: "screen-bar" }, [el("span", { className: "screen-bar-fill" })]);
    bar.firstChild.style.setProperty("--share", String(m.done / most));
    return el("li", { className: `screen-mission kind-${m.kind}` }, [
      el("span", { className: "screen-mission-title", textContent: m.title }),
      bar,
      el("strong", { className: "screen-mission-count", textContent: String(m.done) }),
    ]);
  }));
  const rows = hunt.latest.map((f) => el("li", {}, [
    el("span", { className: "screen-find-name", textContent: f.name }),
    el("span", { className: "screen-find-mission", textContent: f.mission }),
    el("span", { className: "screen-find-time", textContent: clock(f.at) }),
  ]));
  if (!rows.length) rows.push(el("li", { className: "screen-empty", textContent: "No finds yet — who will be first?" }));
  finds.replaceChildren(...rows);
}

function available() {
  const panels = ["leaderboard"];
  if (data && data.recognitions && data.recognitions.length) panels.push("recognitions");
  if (data && data.hunts && data.hunts.length) panels.push("hunt");
  return panels;
}

function show(name) {
  current = name;
  for (const panel of stage.querySelectorAll("[data-panel-name]")) {
    panel.hidden = panel.dataset.panelName !== name;
  }
  const dots = stage.querySelectorAll("[data-dots] li");
  PANELS.forEach((panel, i) => {
    if (dots[i]) {
      dots[i].classList.toggle("is-on", panel === name);
      dots[i].hidden = !available().includes(panel);
    }
  });
}

function draw(snapshot) {
  data = snapshot;
  drawBoard(snapshot.leaderboard || []);
  drawRecognitions(snapshot.recognitions || []);
  drawHunt(snapshot.hunts || []);
  if (!stage.dataset.panel && !available().includes(current)) current = "leaderboard";
  show(current);
}

function rotate() {
  if (stage.dataset.panel) return;
  const panels = available();
  show(panels[(panels.indexOf(current) + 1) % panels.length]);
}

async function refresh() {
  timer = null;
  inflight = true;
  lastFetch = Date.now();
  try {
    const response = await fetch(stage.dataset.json, { cache: "no-store", headers: { Accept: "application/json" } });
    if (response.ok) draw(await response.json());
  } catch {
    // The next update (or the reconnect snapshot) tries again.
  } finally {
    inflight = false;
    if (again) {
      again = false;
      schedule();
    }
  }
}

function schedule() {
  if (inflight) {
    again = true;
    return;
  }
  if (timer) return;
  timer = setTimeout(refresh, Math.max(0, lastFetch + MIN_INTERVAL_MS - Date.now()));
}

const toastBox = stage.querySelector("[data-toast]");
let toastTimer = null;
function toast(text) {
  toastBox.textContent = text;
  toastBox.classList.add("is-on");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => toastBox.classList.remove("is-on"), 6000);
}

const live = stage.querySelector("[data-live]");
const socket = connect("/screen");
socket.on("connect", () => {
  socket.emit("join", { event: stage.dataset.event }, (ack) => {
    if (ack && ack.ok) {
      live.textContent = "● live";
      live.classList.add("is-live");
      draw(ack.snapshot);
    } else {
      live.textContent = "event not found";
    }
  });
});
socket.on("disconnect", () => {
  live.textContent = "● reconnecting";
  live.classList.remove("is-live");
});
socket.on("points_changed", schedule);
socket.on("meeting_recorded", (event) => {
  if (event && event.names) toast(`${event.names[0]} met ${event.names[1]}`);
  schedule();
});
socket.on("recognition", (event) => {
  const names = event.names.every((n) => n === "Anonymous attendee") ? "Two attendees" : event.names.join(" & ");
  toast(`★ ${names} knew each other online!`);
  schedule();
});

show(current);
setInterval(rotate, ROTATE_MS);

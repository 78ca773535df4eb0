// Check-in dashboard: live counts per list, the last ten arrivals and a chart of check-ins per
// five minutes. Socket.IO pushes each check-in; on every (re)connect the page reloads the full
// state over the JSON API, so a laptop that slept or lost Wi-Fi misses nothing.
import { connect } from "/static/js/realtime.js";
import uPlot from "/static/vendor/uPlot.esm.js";

const root = document.querySelector("#checkin-dashboard");
const RECENT_MAX = 10;

if (root && root.querySelector(".checkin-list")) start();

function start() {
  const api = root.dataset.api;
  const timeZone = root.dataset.timezone || "UTC";
  const status = document.querySelector("#live-status");
  const picker = document.querySelector("#chart-list");
  const chartBox = document.querySelector("#checkin-chart");
  const chartEmpty = document.querySelector("#chart-empty");
  const recentList = document.querySelector("#recent");
  const recentEmpty = document.querySelector("#recent-empty");
  let plot = null;
  let refreshTimer = null;

  // Times in the event's own time zone, 24-hour, like the rest of the organiser pages.
  const timeFormat = new Intl.DateTimeFormat([], {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone,
  });
  const BUCKET_S = 300;

  async function getJSON(path) {
    const response = await fetch(api + path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  function setStatus(state, text) {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  }

  // The highest counts version seen per list: a push or a fetch that arrives after a newer
  // one (two doors at once, a slow answer) is older news and is dropped.
  const versions = new Map();

  function updateCount(listId, checkedIn, expected, version) {
    const card = root.querySelector(`.checkin-list[data-list-id="${listId}"]`);
    if (!card) return;
    const key = String(listId);
    if (typeof version === "number") {
      if (version < (versions.get(key) ?? -1)) return;
      versions.set(key, version);
    }
    const count = card.querySelector("[data-count]");
    const changed = count.textContent !== String(checkedIn);
    count.textContent = String(checkedIn);
    card.querySelector("[data-expected]").textContent = String(expected);
    const bar = card.querySelector("[data-progress]");
    bar.max = Math.max(expected, 1);
    bar.value = checkedIn;
    bar.textContent = `${checkedIn} of ${expected}`;
    if (changed) {
      card.classList.add("bumped");
      setTimeout(() => card.classList.remove("bumped"), 1500);
    }
  }

  function recentItem(entry, fresh) {
    // Built with text nodes only: names come from people and are never parsed as HTML.
    const li = document.createElement("li");
    li.className = "list-item recent-item" + (fresh ? " fresh" : "");
    const who = document.createElement("span");
    who.className = "recent-who";
    const name = document.createElement("strong");
    name.textContent = entry.name;
    who.append(name);
    if (entry.company) {
      const company = document.createElement("span");
      company.className = "muted";
      company.textContent = ` · ${entry.company}`;
      who.append(" ", company);
    }
    const meta = document.createElement("span");
    meta.className = "recent-meta muted";
    const time = document.createElement("time");
    time.dateTime = entry.at;
    time.textContent = timeFormat.format(new Date(entry.at));
    const listName = entry.list && entry.list.name ? entry.list.name : "";
    meta.append(time, ` · ${listName} · ${entry.by}`);
    li.append(who, meta);
    return li;
  }

  function showRecent(entries) {
    recentList.replaceChildren(...entries.slice(0, RECENT_MAX).map((e) => recentItem(e, false)));
    recentEmpty.hidden = entries.length > 0;
  }

  function addRecent(entry) {
    recentList.prepend(recentItem(entry, true));
    while (recentList.children.length > RECENT_MAX) recentList.lastElementChild.remove();
    recentEmpty.hidden = true;
  }

  function drawChart(buckets) {
    const xs = buckets.map((b) => Date.parse(b.t) / 1000);
    const ys = buckets.map((b) => b.n || null); // no sliver of a bar for an empty bucket
    const empty = buckets.length === 0;
    chartBox.classList.toggle("is-empty", empty);
    chartEmpty.hidden = !empty;
    if (empty) return;
    // A single bucket still needs a visible span on the time axis.
    if (xs.length === 1) { xs.push(xs[0] + BUCKET_S); ys.push(null); }
    const width = Math.max(chartBox.clientWidth, 240);
    if (plot) {
      plot.setData([xs, ys]);
      if (plot.width !== width) plot.setSize({ width, height: 220 });
      return;
    }
    plot = new uPlot(
      {
        width,
        height: 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          // Half a bucket of margin, so the first and last bars are not cut in half.
          x: { time: true, range: (u, min, max) => [min - BUCKET_S / 2, max + BUCKET_S / 2] },
          y: { range: (u, min, max) => [0, Math.max(4, max + 1)] },
        },
        axes: [
          { values: (u, splits) => splits.map((ts) => timeFormat.format(new Date(ts * 1000))) },
          { label: "check-ins", size: 48, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] },
        ],
        series: [
          {},
          {
            label: "Check-ins",
            stroke: "#12805c",
            fill: "rgba(18, 128, 92, 0.35)",
            width: 1,
            paths: uPlot.paths.bars({ size: [0.8, 60] }),
            points: { show: false },
          },
        ],
      },
      [xs, ys],
      chartBox,
    );
  }

  async function refreshChart() {
    if (!picker || !picker.value) return;
    const stats = await getJSON(`/lists/${picker.value}/stats`);
    updateCount(stats.list.id, stats.checked_in, stats.expected);
    drawChart(stats.per_5min);
  }

  // The full picture: every list's counts, the merged last ten, the chart.
  async function refreshAll() {
    const { lists } = await getJSON("/lists");
    const all = await Promise.all(lists.map((l) => getJSON(`/lists/${l.id}/stats`)));
    for (const stats of all) updateCount(stats.list.id, stats.checked_in, stats.expected, stats.list.version);
    const merged = all.flatMap((s) => s.recent).sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    showRecent(merged);
    const chosen = all.find((s) => String(s.list.id) === String(picker && picker.value));
    if (chosen) drawChart(chosen.per_5min);
  }

  function scheduleChart() {
    // Many scans a second at a busy door: redraw at most every two seconds.
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refreshChart().catch(() => {});
    }, 2000);
  }

  if (picker && picker.tagName === "SELECT") {
    picker.addEventListener("change", () => refreshChart().catch(() => {}));
  }
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (plot) plot.setSize({ width: Math.max(chartBox.clientWidth, 240), height: 220 });
    }, 150);
  });

  const socket = connect("/event");
  socket.on("connect", () => {
    socket.emit("join", { event: root.dataset.event, audience: root.dataset.audience }, (ack) => {
      if (ack && ack.ok) {
        setStatus("live", "Live");
        refreshAll().catch(() => setStatus("offline", "Could not load the latest figures"));
      } else {
        setStatus("offline", "Live updates refused");
      }
    });
  });
  socket.on("disconnect", () => setStatus("offline", "Reconnecting…"));
  socket.on("connect_error", () => setStatus("offline", "Offline — retrying"));
  socket.on("checkin_update", (update) => {
    updateCount(update.list_id, update.checked_in, update.expected, update.version);
    if (update.last) addRecent(update.last);
    else refreshAll().catch(() => {}); // an undo: the last ten changed in the middle
    scheduleChart();
  });

  refreshAll().catch(() => {});
}

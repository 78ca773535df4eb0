// The projector ("stage"): lobby with PIN and QR, questions with a countdown synced to the
// server's clock, reveals with the answer and a distribution chart, the top five, the podium.
// The host console draws the same stage as its preview (it imports createStage from here).
import confetti from "../vendor/confetti.module.mjs";
import {
  Countdown,
  QuizConnection,
  SHAPES,
  SHAPE_NAMES,
  clear,
  formatPoints,
  h,
  offlineBanner,
  ordinal,
} from "./quiz-common.js";

const CHOICE_TYPES = new Set(["single", "multiple", "truefalse", "people"]);
const TYPE_HINTS = {
  single: "Pick one answer on your phone",
  multiple: "Pick every right answer, then submit",
  truefalse: "True or false?",
  text: "Type your answer on your phone",
  people: "Who is it? Look around the room!",
};

function spacedPin(pin) {
  return pin.length === 6 ? `${pin.slice(0, 3)} ${pin.slice(3)}` : pin;
}

// Build the stage inside `root` (which carries data-pin, data-join-url, data-join-host, data-qr).
export function createStage(root) {
  const pin = root.dataset.pin || "";
  const el = {};
  const state = { snapshot: null, question: null, index: -1, total: 0, players: 0 };

  // --- lobby ---
  el.count = h("span.lobby-count-num", { text: "0" });
  el.names = h("ul.lobby-names", { "aria-live": "polite" });
  el.lobbyEmpty = h("p.lobby-empty", { text: "Waiting for players to join…" });
  el.lobby = h(
    "section.scene.scene-lobby",
    { data: { scene: "lobby" }, hidden: true },
    h(
      "header.lobby-bar",
      h("div.lobby-join", h("span.lobby-label", { text: "Join at" }), h("strong.lobby-url", { text: `${root.dataset.joinHost}/q` })),
      h("div.lobby-pin", h("span.lobby-label", { text: "Game PIN" }), h("strong.pin", { text: spacedPin(pin) })),
    ),
    h(
      "div.lobby-body",
      h(
        "figure.lobby-qr",
        h("img", { src: root.dataset.qr, alt: `QR code to join: ${root.dataset.joinUrl}` }),
        h("figcaption", { text: "Scan to join" }),
      ),
      h(
        "div.lobby-people",
        h("p.lobby-count", el.count, h("span", { text: " players" })),
        el.lobbyEmpty,
        el.names,
      ),
    ),
    h("p.lobby-title", { text: root.dataset.title || "" }),
  );

  // --- question and reveal ---
  el.progress = h("span.q-progress");
  el.prompt = h("h1.q-prompt");
  el.timerNum = h("span.q-timer-num", { text: "" });
  el.timerLabel = h("span.q-timer-label", { text: "" });
  el.timer = h("div.q-timer", { role: "timer", "aria-live": "off" }, el.timerNum, el.timerLabel);
  el.center = h("div.q-center");
  el.answered = h("span.q-answered-num", { text: "0" });
  el.answeredOf = h("span.q-answered-label", { text: "answers" });
  el.options = h("ol.q-options");
  el.hint = h("p.q-hint");
  el.question = h(
    "section.scene.scene-question",
    { data: { scene: "question" }, hidden: true },
    h("header.q-head", el.progress, el.prompt),
    h("div.q-middle", el.timer, el.center, h("div.q-answered", el.answered, el.answeredOf)),
    el.hint,
    el.options,
  );

  // --- leaderboard ---
  el.lbSub = h("p.lb-sub");
  el.lbList = h("ol.lb-list");
  el.leaderboard = h(
    "section.scene.scene-leaderboard",
    { data: { scene: "leaderboard" }, hidden: true },
    h("h1.scene-title", { text: "Leaderboard" }),
    el.lbSub,
    el.lbList,
  );

  // --- podium ---
  el.podiumPlaces = h("ol.podium");
  el.runnersUp = h("ol.runners-up");
  el.confetti = h("canvas.confetti", { "aria-hidden": "true", data: { confetti: "" } });
  el.podium = h(
    "section.scene.scene-podium",
    { data: { scene: "podium" }, hidden: true },
    h("h1.scene-title", { text: root.dataset.title || "Podium" }),
    el.podiumPlaces,
    el.runnersUp,
    el.confetti,
  );

  el.offline = h("p.stage-offline", { role: "status", hidden: true, text: "Reconnecting…" });
  el.paused = h("p.stage-paused", { hidden: true, text: "Paused" });
  clear(root).append(el.lobby, el.question, el.leaderboard, el.podium, el.paused, el.offline);

  const countdown = new Countdown((left, fraction, paused) => {
    const seconds = Math.ceil(left / 1000);
    el.timerNum.textContent = String(seconds);
    el.timerLabel.textContent = paused ? "paused" : "";
    el.timer.style.setProperty("--p", fraction.toFixed(3));
    el.timer.classList.toggle("is-urgent", !paused && left > 0 && left <= 5000);
    el.timer.classList.toggle("is-paused", paused);
  });

  function show(scene) {
    for (const node of [el.lobby, el.question, el.leaderboard, el.podium]) {
      node.hidden = node.dataset.scene !== scene;
    }
    root.dataset.scene = scene;
  }

  // --- lobby ---
  function lobby(payload) {
    state.players = payload.count ?? state.players;
    el.count.textContent = String(payload.count ?? 0);
    el.count.classList.remove("bump");
    void el.count.offsetWidth; // restart the bump animation
    el.count.classList.add("bump");
    const names = payload.names || [];
    const wanted = new Set(names);
    for (const chip of [...el.names.children]) {
      if (!wanted.has(chip.dataset.name)) chip.remove();
    }
    const have = new Set([...el.names.children].map((c) => c.dataset.name));
    names.forEach((name, i) => {
      if (have.has(name)) return;
      el.names.append(h("li.name-chip", { text: name, data: { name }, vars: { hue: (i * 47) % 360 } }));
    });
    el.lobbyEmpty.hidden = (payload.count ?? 0) > 0;
  }

  // --- question ---
  function optionNode(option, type) {
    const i = option.i;
    const cls = type === "truefalse" ? `opt.opt-tf-${i}` : `opt.opt-${i % 4}`;
    return h(
      `li.${cls}`,
      { data: { i } },
      h("span.opt-shape", { "aria-hidden": "true", text: type === "truefalse" ? (i === 0 ? "✓" : "✗") : SHAPES[i % 4] }),
      option.avatar_url ? h("img.opt-avatar", { src: option.avatar_url, alt: "" }) : null,
      h("span.opt-label", { text: option.label }),
      h("span.opt-count", { text: "" }),
      h("span.opt-tick", { "aria-hidden": "true", text: "✓" }),
    );
  }

  function question(payload) {
    const q = payload.question;
    if (!q) return;
    const fresh = !state.question || state.question.id !== q.id;
    state.question = q;
    state.index = payload.index ?? state.index;
    state.total = payload.total ?? state.total;
    el.question.classList.remove("is-revealed");
    el.question.dataset.type = q.type;
    el.progress.textContent = `${state.index + 1} / ${state.total}`;
    el.prompt.textContent = q.prompt;
    el.prompt.classList.toggle("is-long", q.prompt.length > 90);
    el.hint.textContent = TYPE_HINTS[q.type] || "";
    if (fresh) {
      el.answered.textContent = "0";
      el.answeredOf.textContent = state.players ? `of ${state.players} answered` : "answers";
      clear(el.center);
      if (q.image_url) el.center.append(h("img.q-image", { src: q.image_url, alt: "" }));
      else el.center.append(h("div.q-points", { text: q.points ? `${formatPoints(q.points)} points` : "Just for fun" }));
      clear(el.options);
      if (CHOICE_TYPES.has(q.type)) {
        el.options.dataset.count = String(q.options.length);
        for (const option of q.options) el.options.append(optionNode(option, q.type));
      } else {
        el.options.dataset.count = "0";
      }
    }
    countdown.set({
      closesAt: payload.closes_at ?? null,
      remainingMs: payload.remaining_ms ?? null,
      paused: Boolean(payload.paused) || payload.closes_at === null,
      totalMs: q.time_limit * 1000,
    });
    el.paused.hidden = !payload.paused;
    show("question");
  }

  function answersCount(payload) {
    if (payload.players) state.players = payload.players;
    el.answered.textContent = String(payload.answered ?? 0);
    el.answeredOf.textContent = payload.players ? `of ${payload.players} answered` : "answers";
  }

  function clockChange(payload, paused) {
    if (!state.question) return;
    countdown.set({
      closesAt: payload.closes_at ?? null,
      remainingMs: payload.remaining_ms ?? null,
      paused: paused || payload.closes_at === null,
    });
    el.paused.hidden = !(paused || payload.closes_at === null);
  }

  // --- reveal ---
  function chart(q, distribution, correct) {
    const counts = Array.isArray(distribution) ? distribution : [];
    const max = Math.max(1, ...counts);
    return h(
      "div.chart",
      { role: "img", "aria-label": q.options.map((o, i) => `${o.label}: ${counts[i] || 0}`).join(", ") },
      ...q.options.map((o, i) =>
        h(
          `div.bar.bar-${q.type === "truefalse" ? `tf-${i}` : i % 4}`,
          { vars: { h: ((counts[i] || 0) / max).toFixed(3) } },
          h("span.bar-count", { text: String(counts[i] || 0) }),
          h("span.bar-fill", { "aria-hidden": "true" }),
          h("span.bar-shape", {
            "aria-hidden": "true",
            text: (correct.includes(i) ? "✓ " : "") + (q.type === "truefalse" ? (i === 0 ? "True" : "False") : SHAPES[i % 4]),
          }),
        ),
      ),
    );
  }

  function reveal(payload) {
    const q = state.question;
    if (!q || (payload.question_id && payload.question_id !== q.id)) return;
    countdown.stop();
    el.paused.hidden = true;
    el.timerNum.textContent = "0";
    el.question.classList.add("is-revealed");
    const correct = Array.isArray(payload.correct) ? payload.correct : [];
    clear(el.center);
    if (CHOICE_TYPES.has(q.type)) {
      const counts = Array.isArray(payload.distribution) ? payload.distribution : [];
      for (const node of el.options.children) {
        const i = Number(node.dataset.i);
        node.classList.toggle("is-correct", correct.includes(i));
        node.classList.toggle("is-wrong", !correct.includes(i));
        node.querySelector(".opt-count").textContent = String(counts[i] || 0);
      }
      const total = counts.reduce((a, b) => a + b, 0);
      el.answered.textContent = String(total);
      if (payload.person) {
        const p = payload.person;
        el.center.append(
          h(
            "div.person",
            p.avatar_url ? h("img.person-avatar", { src: p.avatar_url, alt: `Photo of ${p.name}` }) : h("span.person-avatar.person-initial", { text: (p.name || "?").slice(0, 1) }),
            h("div.person-text", h("p.person-name", { text: p.name }), p.handle ? h("p.person-handle", { text: p.handle }) : null, h("p.person-wave", { text: "Stand up and wave!" })),
          ),
          chart(q, counts, correct),
        );
        el.center.classList.add("with-person");
      } else {
        el.center.classList.remove("with-person");
        el.center.append(chart(q, counts, correct));
      }
      el.hint.textContent = "";
    } else {
      const d = payload.distribution || {};
      el.center.classList.remove("with-person");
      el.center.append(
        h(
          "div.text-reveal",
          h("p.text-reveal-label", { text: "Accepted answers" }),
          h("ul.text-answers", ...correct.map((text) => h("li", { text }))),
          h("p.text-reveal-counts", h("span.ok", { text: `✓ ${d.correct ?? 0}` }), h("span.bad", { text: `✗ ${d.wrong ?? 0}` })),
        ),
      );
      el.answered.textContent = String((d.correct ?? 0) + (d.wrong ?? 0));
      el.hint.textContent = "";
    }
    show("question");
  }

  // --- leaderboard and podium ---
  function leaderboard(payload) {
    countdown.stop();
    el.paused.hidden = true;
    const top = payload.top || [];
    const index = payload.index ?? state.index;
    const total = payload.total ?? state.total;
    el.lbSub.textContent = total ? `After question ${index + 1} of ${total}` : "";
    clear(el.lbList);
    if (!top.length) el.lbList.append(h("li.lb-empty", { text: "No scores yet." }));
    top.forEach((row, i) => {
      el.lbList.append(
        h(
          "li.lb-row",
          { vars: { i }, data: { rank: row.rank } },
          h("span.lb-rank", { text: String(row.rank) }),
          h("span.lb-name", { text: row.name }),
          h("span.lb-score", { text: formatPoints(row.score) }),
        ),
      );
    });
    show("leaderboard");
  }

  let cannon = null;
  function celebrate() {
    if (!cannon) cannon = confetti.create(el.confetti, { resize: true, useWorker: false, disableForReducedMotion: true });
    const end = Date.now() + 3500;
    const colors = ["#e21b3c", "#1368ce", "#d89e00", "#26890c", "#ffffff"];
    cannon({ particleCount: 160, spread: 100, origin: { y: 0.6 }, colors });
    const burst = () => {
      cannon({ particleCount: 6, angle: 60, spread: 60, origin: { x: 0, y: 0.7 }, colors });
      cannon({ particleCount: 6, angle: 120, spread: 60, origin: { x: 1, y: 0.7 }, colors });
      if (Date.now() < end) requestAnimationFrame(burst);
    };
    burst();
  }

  let celebrated = false;
  function podium(payload) {
    countdown.stop();
    el.paused.hidden = true;
    const top = payload.top || [];
    clear(el.podiumPlaces);
    clear(el.runnersUp);
    // Drawn 2nd, 1st, 3rd, the way podiums stand.
    for (const rank of [2, 1, 3]) {
      const row = top.find((r) => r.rank === rank);
      el.podiumPlaces.append(
        h(
          `li.place.place-${rank}`,
          { data: { rank }, "aria-label": row ? `${ordinal(rank)}: ${row.name}, ${row.score} points` : `${ordinal(rank)}: nobody` },
          h("span.place-name", { text: row ? row.name : "" }),
          h("span.place-score", { text: row ? `${formatPoints(row.score)} pts` : "" }),
          h("span.place-block", h("span.place-rank", { text: String(rank) })),
        ),
      );
    }
    for (const row of top.filter((r) => r.rank > 3)) {
      el.runnersUp.append(h("li", h("span", { text: ordinal(row.rank) }), h("span", { text: row.name }), h("span", { text: formatPoints(row.score) })));
    }
    show("podium");
    if (!celebrated) {
      celebrated = true;
      requestAnimationFrame(celebrate);
    }
  }

  // Draw the whole run from a snapshot (join, reconnect, host command acks).
  function snapshot(snap) {
    state.snapshot = snap;
    if (typeof snap.players === "number") state.players = snap.players;
    state.index = snap.index;
    state.total = snap.total;
    if (snap.lobby) lobby(snap.lobby);
    if (snap.state === "lobby") {
      show("lobby");
      return;
    }
    if (snap.state === "ended") {
      podium({ top: snap.leaderboard || [] });
      return;
    }
    if (snap.question) {
      question({
        question: snap.question,
        index: snap.index,
        total: snap.total,
        closes_at: snap.closes_at,
        remaining_ms: snap.remaining_ms,
        paused: snap.paused,
      });
    }
    if (snap.state === "reveal" && snap.reveal) reveal(snap.reveal);
    if (snap.state === "leaderboard") leaderboard({ top: snap.leaderboard || [], index: snap.index, total: snap.total });
  }

  return {
    root,
    snapshot,
    lobby,
    question,
    answersCount,
    reveal,
    leaderboard,
    podium,
    paused: (p) => clockChange(p, true),
    resumed: (p) => clockChange(p, false),
    extended: (p) => clockChange(p, p.closes_at === null),
    offline: offlineBanner(el.offline),
    get state() {
      return state;
    },
  };
}

// Wire a stage to the socket: every broadcast goes to the stage (and to `also`, if given).
export function connectStage(stage, { role, also = {}, onJoined = null, onJoinError = null }) {
  const root = stage.root;
  const conn = new QuizConnection({
    join: () => ({ pin: root.dataset.pin, run_id: Number(root.dataset.runId), role }),
    onJoined: (ack) => {
      // A refresh only updates what the caller keeps (the host's version); redrawing the
      // stage would replay its animations.
      if (!ack.refreshed) stage.snapshot(ack.snapshot);
      if (onJoined) onJoined(ack.snapshot, ack);
    },
    onJoinError: (ack) => {
      if (onJoinError) onJoinError(ack);
    },
    onStatus: (connected) => {
      stage.offline(connected);
      if (also.status) also.status(connected);
    },
  });
  const events = {
    lobby: stage.lobby,
    question: stage.question,
    answers_count: stage.answersCount,
    reveal: stage.reveal,
    leaderboard: stage.leaderboard,
    podium: stage.podium,
    paused: stage.paused,
    resumed: stage.resumed,
    extended: stage.extended,
  };
  for (const [name, handler] of Object.entries(events)) {
    conn.on(name, (payload) => {
      handler(payload);
      if (also[name]) also[name](payload);
    });
  }
  return conn;
}

// The projector page itself.
const screenRoot = document.querySelector("[data-quiz-stage][data-role=screen]");
if (screenRoot) {
  const stage = createStage(screenRoot);
  connectStage(stage, {
    role: "screen",
    onJoinError: (ack) => {
      screenRoot.dataset.error = ack.message || "This screen cannot show the quiz.";
      stage.offline(false);
    },
  });
  // Double-click anywhere: full screen (there are no buttons on the projector).
  screenRoot.addEventListener("dblclick", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen?.().catch(() => {});
  });
}

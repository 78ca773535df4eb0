// The host console: the projector's stage as a preview, plus the controls and the players.
// Every command carries the run's `version`, so a double-clicked "next" moves the quiz once.
import { clear, h } from "./quiz-common.js";
import { connectStage, createStage } from "./quiz-screen.js";

const root = document.querySelector("[data-quiz-stage][data-role=host]");
if (root) {
  const $ = (sel) => document.querySelector(sel);
  const primary = $("[data-host-primary]");
  const stateLabel = $("[data-host-state]");
  const message = $("[data-host-message]");
  const players = $("[data-host-players]");
  const playersEmpty = $("[data-host-players-empty]");
  const playersMore = $("[data-host-players-more]");
  const playerCount = $("[data-host-count]");
  const answered = $("[data-host-answered]");
  const answeredNum = $("[data-host-answered-num]");
  const answeredOf = $("[data-host-answered-of]");
  const meter = $("[data-host-meter]");
  const resultsLink = $("[data-host-results]");
  const buttons = Object.fromEntries([...document.querySelectorAll("[data-cmd]")].map((b) => [b.dataset.cmd, b]));

  let snap = null;
  let busy = false;

  function say(text, kind = "info") {
    message.textContent = text || "";
    message.dataset.kind = kind;
  }

  // What the big button does in each state.
  function primaryAction(s) {
    if (!s) return null;
    const last = s.index + 1 >= s.total;
    switch (s.state) {
      case "lobby":
        return { cmd: "start", label: "Start quiz ▶" };
      case "question":
        return { cmd: "close", label: "Close now & reveal" };
      case "reveal":
        return { cmd: "next", label: "Show leaderboard" };
      case "leaderboard":
        return last ? { cmd: "next", label: "Show the podium" } : { cmd: "next", label: "Next question ▶" };
      default:
        return null;
    }
  }

  function describe(s) {
    switch (s.state) {
      case "lobby":
        return `Lobby · ${s.players} player${s.players === 1 ? "" : "s"} in`;
      case "question":
        return `Question ${s.index + 1} of ${s.total} · ${s.paused ? "paused" : "open"}`;
      case "reveal":
        return `Question ${s.index + 1} of ${s.total} · answer revealed`;
      case "leaderboard":
        return `Leaderboard after question ${s.index + 1} of ${s.total}`;
      case "ended":
        return "The quiz has ended";
      default:
        return s.state;
    }
  }

  function renderControls() {
    if (!snap) return;
    const action = primaryAction(snap);
    stateLabel.textContent = describe(snap);
    primary.hidden = !action;
    if (action) {
      primary.textContent = action.label;
      primary.dataset.cmd = action.cmd;
    }
    const open = snap.state === "question";
    buttons.pause.hidden = !open || snap.paused;
    buttons.resume.hidden = !open || !snap.paused;
    buttons.extend.hidden = !open;
    buttons.skip.hidden = !open;
    resultsLink.hidden = snap.state !== "ended";
    for (const kick of players.querySelectorAll(".kick")) kick.hidden = snap.state === "ended";
    buttons.end.hidden = snap.state === "ended";
    answered.hidden = !open;
    for (const b of [primary, ...Object.values(buttons)]) b.disabled = busy;
    if (snap.state === "ended") {
      say("The quiz is over. The results are on the Results page.", "ok");
    }
  }

  function renderPlayers(lobby) {
    if (!lobby) return;
    const count = lobby.count ?? 0;
    playerCount.textContent = String(count);
    if (snap && snap.players !== count) {
      snap = { ...snap, players: count };
      stateLabel.textContent = describe(snap);
    }
    const recent = lobby.recent || [];
    const kicked = new Set(lobby.kicked || []);
    clear(players);
    for (const p of [...recent].reverse()) {
      if (kicked.has(p.id)) continue;
      players.append(
        h(
          "li.list-item.host-player",
          h("span.host-player-name", { text: p.name }),
          h("button.button.kick", {
            type: "button",
            text: "Kick",
            hidden: Boolean(snap && snap.state === "ended"),
            "aria-label": `Kick ${p.name}`,
            on: { click: () => kick(p) },
          }),
        ),
      );
    }
    playersEmpty.hidden = count > 0;
    playersMore.hidden = count <= recent.length;
  }

  function renderAnswered(payload) {
    const of = payload.players ?? snap?.players ?? 0;
    answeredNum.textContent = String(payload.answered ?? 0);
    answeredOf.textContent = String(of);
    meter.style.setProperty("--p", of ? ((payload.answered ?? 0) / of).toFixed(3) : "0");
  }

  function adopt(s) {
    snap = s;
    if (s.lobby) renderPlayers(s.lobby);
    if (s.state === "question") renderAnswered({ answered: Number(answeredNum.textContent) || 0, players: s.players });
    renderControls();
  }

  const conn = connectStage(createStage(root), {
    role: "host",
    onJoined: (s) => adopt(s),
    onJoinError: (ack) => say(ack.message || "You cannot host this quiz.", "error"),
    also: {
      lobby: (p) => renderPlayers(p),
      answers_count: (p) => renderAnswered(p),
      // The run moved (maybe by the timer): fetch its new version before the next command.
      question: () => {
        renderAnswered({ answered: 0 });
        conn.refresh();
      },
      reveal: () => conn.refresh(),
      leaderboard: () => conn.refresh(),
      podium: () => conn.refresh(),
      paused: () => conn.refresh(),
      resumed: () => conn.refresh(),
      extended: () => conn.refresh(),
      status: (connected) => {
        if (!connected) say("Connection lost — reconnecting…", "error");
        else if (message.dataset.kind === "error") say("");
      },
    },
  });

  async function command(cmd, extra = {}) {
    if (busy || !snap) return;
    busy = true;
    renderControls();
    say("");
    try {
      const ack = await conn.call(cmd, { version: snap.version, ...extra }, 10000);
      if (ack && ack.ok) {
        adopt(ack.snapshot);
      } else if (ack && ack.error === "bad_state") {
        say(`${ack.message} Check the screen, then press again.`, "warn");
        await conn.refresh();
      } else {
        say((ack && ack.message) || "That did not work.", "error");
      }
    } catch {
      say("No answer from the server. Check the connection and press again.", "error");
    } finally {
      busy = false;
      renderControls();
    }
  }

  async function kick(player) {
    if (!window.confirm(`Remove “${player.name}” from this quiz? They cannot join it again.`)) return;
    if (busy) return;
    busy = true;
    try {
      const ack = await conn.call("kick", { player_id: player.id }, 10000);
      if (ack && ack.ok) {
        say(`${player.name} was removed.`, "ok");
        adopt(ack.snapshot);
      } else {
        say((ack && ack.message) || "Could not remove that player.", "error");
      }
    } catch {
      say("No answer from the server. Try again.", "error");
    } finally {
      busy = false;
      renderControls();
    }
  }

  primary.addEventListener("click", () => command(primary.dataset.cmd));
  buttons.pause.addEventListener("click", () => command("pause"));
  buttons.resume.addEventListener("click", () => command("resume"));
  buttons.extend.addEventListener("click", () => command("extend", { seconds: 10 }));
  buttons.skip.addEventListener("click", () => {
    if (window.confirm("Skip this question? It will not be scored.")) command("skip");
  });
  buttons.end.addEventListener("click", () => {
    if (window.confirm("End the quiz now and show the podium?")) command("end");
  });

  // Presenter clickers send → / Page Down: they press the big button.
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
    if (event.key === "ArrowRight" || event.key === "PageDown") {
      if (!primary.hidden && !primary.disabled) {
        event.preventDefault();
        command(primary.dataset.cmd);
      }
    }
  });
}

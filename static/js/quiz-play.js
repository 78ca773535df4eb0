// The phone: join, answer, see how you did. A phone that sleeps, loses Wi-Fi or reloads the
// page loses nothing: the resume token and any answer not yet acknowledged are kept in
// localStorage, every reconnect joins again and draws the server's snapshot, and an answer is
// resent with the same nonce until the server acknowledges it (the server keeps the first).
import {
  Countdown,
  QuizConnection,
  SHAPES,
  SHAPE_NAMES,
  clear,
  formatPoints,
  h,
  newNonce,
  offlineBanner,
  ordinal,
  storageGet,
  storageSet,
} from "./quiz-common.js";

const root = document.querySelector("[data-quiz-play]");
if (root) {
  const $ = (sel) => root.querySelector(sel);
  const $$ = (sel) => [...root.querySelectorAll(sel)];
  const runId = Number(root.dataset.runId);
  const pin = root.dataset.pin;
  const keys = {
    resume: `known.quiz.${runId}.resume`,
    joined: `known.quiz.${runId}.joined`,
    nickname: `known.quiz.${runId}.nickname`,
    pending: `known.quiz.${runId}.pending`,
  };
  const form = $("[data-join-form]");
  const nicknameInput = form ? form.querySelector("input[name=nickname]") : null;
  const joinError = $("[data-join-error]");
  const joinButton = $("[data-join-button]");

  // Joined before on this phone (or a guest holding a resume token): join again by itself.
  let wantJoin = Boolean(storageGet(keys.joined) || storageGet(keys.resume));
  let me = null;
  let snap = null;
  let current = null; // the open question's event payload
  let selected = new Set();
  let sendingNonce = null;

  // --- views -------------------------------------------------------------------------------

  function show(name) {
    for (const section of $$("[data-view-name]")) section.hidden = section.dataset.viewName !== name;
    root.dataset.view = name;
    document.body.dataset.view = name;
  }

  function setMe(player, score) {
    if (player) me = { ...me, ...player };
    if (!me) return;
    for (const node of $$("[data-me-name]")) node.textContent = me.name;
    if (typeof score === "number") $("[data-me-score]").textContent = formatPoints(score);
    $("[data-me]").hidden = false;
  }

  function fail(title, message) {
    $("[data-error-title]").textContent = title;
    $("[data-error-message]").textContent = message || "";
    show("error");
  }

  const countdown = new Countdown((left, _fraction, paused) => {
    const seconds = Math.ceil(left / 1000);
    for (const node of $$("[data-q-timer]")) {
      node.textContent = paused ? "‖" : `${seconds}`;
      node.classList.toggle("is-urgent", !paused && left > 0 && left <= 5000);
    }
    $("[data-q-paused]").hidden = !paused;
    root.classList.toggle("is-paused", paused);
  });

  function setClock(payload, totalMs) {
    countdown.set({
      closesAt: payload.closes_at ?? null,
      remainingMs: payload.remaining_ms ?? null,
      paused: Boolean(payload.paused) || payload.closes_at === null,
      totalMs,
    });
  }

  // --- the question --------------------------------------------------------------------------

  function optionButton(q, option) {
    const i = option.i;
    const tf = q.type === "truefalse";
    const cls = tf ? `answer.answer-tf-${i}` : `answer.answer-${i % 4}`;
    const shape = tf ? (i === 0 ? "✓" : "✗") : SHAPES[i % 4];
    const multiple = q.type === "multiple";
    return h(
      `button.${cls}`,
      {
        type: "button",
        data: { i },
        "aria-pressed": multiple ? "false" : null,
        "aria-label": `${tf ? "" : `${SHAPE_NAMES[i % 4]}: `}${option.label}`,
        on: {
          click: (event) => {
            if (multiple) {
              const button = event.currentTarget;
              if (selected.has(i)) selected.delete(i);
              else selected.add(i);
              button.setAttribute("aria-pressed", selected.has(i) ? "true" : "false");
              const submit = $("[data-submit-multiple]");
              submit.disabled = selected.size === 0;
              submit.textContent = selected.size ? `Submit ${selected.size} answer${selected.size === 1 ? "" : "s"}` : "Pick one or more";
            } else {
              answer({ choice: [i], text: null });
            }
          },
        },
      },
      h("span.answer-shape", { "aria-hidden": "true", text: shape }),
      option.avatar_url ? h("img.answer-avatar", { src: option.avatar_url, alt: "" }) : null,
      h("span.answer-label", { text: option.label }),
    );
  }

  function showQuestion(payload) {
    const q = payload.question;
    current = payload;
    selected = new Set();
    $("[data-q-progress]").textContent = `${(payload.index ?? 0) + 1} of ${payload.total ?? "?"}`;
    $("[data-q-points]").textContent = q.points ? `${formatPoints(q.points)} pts` : "";
    $("[data-q-prompt]").textContent = q.prompt;
    $("[data-answer-error]").hidden = true;
    const area = clear($("[data-answer-area]"));
    area.dataset.type = q.type;
    area.dataset.qid = String(q.id);
    area.dataset.count = String(q.options.length);
    if (q.type === "text") {
      const input = h("input.text-answer", {
        type: "text",
        name: "answer",
        maxlength: 200,
        autocomplete: "off",
        autocapitalize: "off",
        spellcheck: "false",
        enterkeyhint: "send",
        placeholder: "Type your answer",
        "aria-label": "Your answer",
      });
      const submit = h("button.big-button", { type: "submit", text: "Submit" });
      area.append(
        h(
          "form.text-form",
          {
            novalidate: true,
            on: {
              submit: (event) => {
                event.preventDefault();
                const text = input.value.trim();
                if (!text) {
                  input.focus();
                  return;
                }
                answer({ choice: null, text });
              },
            },
          },
          input,
          submit,
        ),
      );
    } else {
      const list = h("div.answers");
      for (const option of q.options) list.append(optionButton(q, option));
      area.append(list);
      if (q.type === "multiple") {
        area.append(
          h("button.big-button.submit-multiple", {
            type: "button",
            disabled: true,
            text: "Pick one or more",
            data: { submitMultiple: "" },
            on: { click: () => selected.size && answer({ choice: [...selected].sort(), text: null }) },
          }),
        );
      }
    }
    setClock(payload, q.time_limit * 1000);
    show("question");
    const input = area.querySelector(".text-answer");
    if (input) input.focus();
  }

  function describeChoice(q, pending) {
    if (!q) return null;
    if (pending.text) return h("span.chip", { text: `“${pending.text}”` });
    const parts = (pending.choice || []).map((i) => {
      const option = q.options.find((o) => o.i === i);
      const tf = q.type === "truefalse";
      return h(
        `span.chip.chip-${tf ? `tf-${i}` : i % 4}`,
        h("span.answer-shape", { "aria-hidden": "true", text: tf ? (i === 0 ? "✓" : "✗") : SHAPES[i % 4] }),
        option ? option.label : "",
      );
    });
    return parts.length ? h("span.chips", ...parts) : null;
  }

  function showLocked(pending, { sending = false, note = null } = {}) {
    const q = current && current.question && current.question.id === pending.question_id ? current.question : null;
    $("[data-locked-title]").textContent = sending ? "Sending…" : "Locked in ✓";
    $("[data-locked-icon]").textContent = sending ? "…" : "✓";
    root.classList.toggle("is-sending", sending);
    const choice = clear($("[data-locked-choice]"));
    const described = describeChoice(q, pending);
    if (described) choice.append(described);
    $("[data-locked-note]").textContent = note || (sending ? "Hold on, sending your answer…" : "Waiting for the others…");
    show("locked");
  }

  // --- answering -----------------------------------------------------------------------------

  function answer({ choice, text }) {
    if (!current) return;
    const pending = { question_id: current.question.id, choice, text, nonce: newNonce() };
    storageSet(keys.pending, pending);
    showLocked(pending, { sending: true });
    send(pending);
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function stillPending(pending) {
    const kept = storageGet(keys.pending);
    return kept && kept.nonce === pending.nonce;
  }

  function onLockedView(pending) {
    return root.dataset.view === "locked" && current && current.question.id === pending.question_id;
  }

  // Resend with the same nonce until the server acknowledges; the server keeps the first.
  async function send(pending) {
    if (sendingNonce === pending.nonce) return;
    sendingNonce = pending.nonce;
    try {
      while (stillPending(pending)) {
        // Offline: the join after the reconnect resends it.
        if (!conn.connected || !conn.joined) return;
        let ack;
        try {
          ack = await conn.call("answer", pending, 4000);
        } catch {
          continue; // no ack in time: send the very same answer again
        }
        if (!stillPending(pending)) return;
        if (ack && ack.ok) {
          storageSet(keys.pending, null);
          if (onLockedView(pending)) showLocked(pending);
          return;
        }
        const code = ack ? ack.error : "server_error";
        if (code === "already_answered") {
          storageSet(keys.pending, null);
          if (onLockedView(pending)) showLocked(pending, { note: "You had already answered this one: your first answer counts." });
          return;
        }
        if (code === "question_closed") {
          storageSet(keys.pending, null);
          if (onLockedView(pending)) {
            $("[data-locked-title]").textContent = "Time's up";
            $("[data-locked-icon]").textContent = "!";
            $("[data-locked-note]").textContent = "Your answer arrived after the question closed.";
            root.classList.remove("is-sending");
          }
          return;
        }
        if (code === "not_open") {
          // Paused: keep it; the `resumed` event sends it again.
          if (onLockedView(pending)) showLocked(pending, { sending: true, note: "The quiz is paused: your answer goes in when it resumes." });
          return;
        }
        if (code === "invalid_answer") {
          storageSet(keys.pending, null);
          if (current && current.question.id === pending.question_id) {
            showQuestion(current);
            const error = $("[data-answer-error]");
            error.textContent = ack.message || "That answer was not accepted. Try again.";
            error.hidden = false;
          }
          return;
        }
        if (code === "kicked") {
          kicked();
          return;
        }
        if (code === "not_allowed" || code === "not_found") {
          conn.joined = false;
          conn.join(); // the join's snapshot resends the answer
          return;
        }
        await sleep(1000); // the server had a hiccup: try again shortly
      }
    } finally {
      if (sendingNonce === pending.nonce) sendingNonce = null;
    }
  }

  function flushPending(s) {
    const pending = storageGet(keys.pending);
    if (!pending) return;
    const mine = s.me && s.me.answer;
    if (mine && mine.question_id === pending.question_id) {
      storageSet(keys.pending, null); // it arrived before the connection dropped
      return;
    }
    send(pending);
  }

  // --- results -------------------------------------------------------------------------------

  function correctText(s) {
    const q = s.question;
    const r = s.reveal;
    if (!q || !r) return "";
    if (q.type === "text") return (r.correct || []).join(" / ");
    return (r.correct || [])
      .map((i) => (q.options.find((o) => o.i === i) || {}).label)
      .filter(Boolean)
      .join(", ");
  }

  function showResult(s) {
    const m = s.me;
    const mine = m && m.answer && s.question && m.answer.question_id === s.question.id ? m.answer : null;
    let kind;
    if (!mine) kind = "none";
    else if (mine.correct) kind = "right";
    else kind = "wrong";
    root.dataset.result = kind;
    document.body.dataset.result = kind;
    const partial = mine && mine.correct && s.question && s.question.type === "multiple" && mine.points < s.question.points / 2;
    $("[data-result-icon]").textContent = kind === "right" ? "✓" : kind === "wrong" ? "✗" : "…";
    $("[data-result-title]").textContent =
      kind === "right" ? (partial ? "Partly right!" : "Correct!") : kind === "wrong" ? "Wrong" : "Time's up";
    $("[data-result-points]").textContent =
      kind === "none" ? "No answer this time" : mine.points ? `+ ${formatPoints(mine.points)} points` : "No points this time";
    const streak = $("[data-result-streak]");
    streak.hidden = !(m && m.streak >= 2 && kind === "right");
    if (m) streak.textContent = `Answer streak: ${m.streak} in a row`;
    const answerLine = $("[data-result-answer]");
    const right = correctText(s);
    answerLine.hidden = kind === "right" || !right;
    answerLine.textContent = right ? `Answer: ${right}` : "";
    $("[data-result-rank]").textContent =
      m && m.rank ? `You're in ${ordinal(m.rank)} place · ${formatPoints(m.score)} pts` : "";
    $("[data-result-note]").textContent = s.state === "leaderboard" ? "The leaderboard is on the big screen" : "Look at the big screen";
    show("result");
  }

  function showEnded(s) {
    const m = s.me;
    const icon = $("[data-ended-icon]");
    icon.dataset.rank = m && m.rank ? String(Math.min(m.rank, 4)) : "";
    if (m && m.rank) {
      icon.textContent = String(m.rank);
      $("[data-ended-title]").textContent = `You finished ${ordinal(m.rank)}!`;
      $("[data-ended-score]").textContent = `${formatPoints(m.score)} points`;
      $("[data-ended-sub]").textContent = `${m.correct_count} of ${s.total} correct · ${s.players} players`;
    } else {
      icon.textContent = "✓";
      $("[data-ended-title]").textContent = "This quiz has ended";
      $("[data-ended-score]").textContent = "";
      $("[data-ended-sub]").textContent = "";
    }
    show("ended");
  }

  function kicked() {
    storageSet(keys.pending, null);
    storageSet(keys.joined, null);
    wantJoin = false;
    countdown.stop();
    show("kicked");
    conn.disconnect();
  }

  // --- the snapshot: the whole screen from the server's state ----------------------------

  function render(s) {
    snap = s;
    if (s.me) setMe(null, s.me.score);
    $("[data-lobby-count]").textContent = String(s.players ?? 1);
    if (s.question && s.state === "question") {
      current = {
        question: s.question,
        index: s.index,
        total: s.total,
        closes_at: s.closes_at,
        remaining_ms: s.remaining_ms,
        paused: s.paused,
      };
    }
    switch (s.state) {
      case "lobby":
        countdown.stop();
        show("lobby");
        break;
      case "question": {
        const q = s.question;
        const mine = s.me && s.me.answer;
        const pending = storageGet(keys.pending);
        if (mine && mine.question_id === q.id) {
          setClock(current, q.time_limit * 1000);
          showLocked({ question_id: q.id, choice: mine.choice, text: mine.text });
        } else if (pending && pending.question_id === q.id) {
          setClock(current, q.time_limit * 1000);
          showLocked(pending, { sending: true });
        } else if (root.dataset.view !== "question" || $("[data-answer-area]").dataset.qid !== String(q.id)) {
          showQuestion(current);
        } else {
          setClock(current, q.time_limit * 1000);
        }
        break;
      }
      case "reveal":
      case "leaderboard":
        countdown.stop();
        showResult(s);
        break;
      case "ended":
        countdown.stop();
        showEnded(s);
        break;
      default:
        break;
    }
  }

  // --- the connection ----------------------------------------------------------------------

  function joinPayload() {
    if (!wantJoin) return null;
    const typed = nicknameInput ? nicknameInput.value.trim() : "";
    return {
      pin,
      run_id: runId,
      role: "player",
      resume: storageGet(keys.resume),
      nickname: typed || storageGet(keys.nickname) || null,
    };
  }

  function joinFailed(ack) {
    const code = ack.error;
    if (code === "kicked") {
      kicked();
      return;
    }
    if (code === "not_found") {
      fail("Quiz not found", ack.message);
      return;
    }
    if (code === "bad_state") {
      // A new player after the end: nothing to join any more.
      fail("This quiz has ended", "Thanks for coming! Ask the host about the next one.");
      return;
    }
    // Back to the form with the reason, keeping what was typed.
    wantJoin = false;
    storageSet(keys.joined, null);
    if (code === "nickname_taken" || code === "nickname_invalid") storageSet(keys.nickname, null);
    show("join");
    if (joinButton) joinButton.disabled = false;
    if (joinError) {
      joinError.textContent = ack.message || "Could not join. Try again.";
      joinError.hidden = false;
    }
    if (nicknameInput) nicknameInput.focus();
  }

  const conn = new QuizConnection({
    join: joinPayload,
    onJoined: (ack) => {
      if (ack.player) {
        setMe(ack.player);
        if (ack.player.resume) storageSet(keys.resume, ack.player.resume);
        storageSet(keys.joined, true);
        const typed = nicknameInput ? nicknameInput.value.trim() : "";
        if (typed) storageSet(keys.nickname, typed);
      }
      if (joinButton) joinButton.disabled = false;
      render(ack.snapshot);
      if (!ack.refreshed) flushPending(ack.snapshot);
    },
    onJoinError: (ack) => {
      if (ack.error === "kicked") kicked();
      else if (!conn.joined) joinFailed(ack);
    },
    onStatus: offlineBanner(document.querySelector("[data-offline]")),
  });

  // The tap on "Join": checks the nickname, then joins now or as soon as the socket is up.
  async function requestJoin() {
    if (joinError) joinError.hidden = true;
    if (form.dataset.needsNickname !== undefined && nicknameInput && nicknameInput.value.trim().length < 2) {
      joinError.textContent = "Choose a nickname of 2 to 20 characters.";
      joinError.hidden = false;
      nicknameInput.focus();
      return;
    }
    wantJoin = true;
    if (joinButton) joinButton.disabled = true;
    if (!conn.connected) {
      joinError.textContent = "Connecting… you will join as soon as the connection is up.";
      joinError.hidden = false;
      return; // the connect handler joins
    }
    const ack = await conn.join();
    if (!ack && joinButton) joinButton.disabled = false;
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      requestJoin();
    });
  }

  conn.on("lobby", (p) => {
    $("[data-lobby-count]").textContent = String(p.count ?? 1);
  });
  conn.on("question", (p) => {
    if (!conn.joined) return;
    const pending = storageGet(keys.pending);
    current = p;
    if (pending && pending.question_id === p.question.id) {
      setClock(p, p.question.time_limit * 1000);
      showLocked(pending, { sending: true });
      send(pending);
      return;
    }
    showQuestion(p);
  });
  conn.on("paused", (p) => current && setClock(p));
  conn.on("extended", (p) => current && setClock(p));
  conn.on("resumed", (p) => {
    if (current) setClock(p);
    const pending = storageGet(keys.pending);
    if (pending) send(pending);
  });
  conn.on("reveal", () => {
    if (!conn.joined) return;
    countdown.stop();
    conn.refresh(); // my own result: right or wrong, points, streak, rank
  });
  conn.on("leaderboard", () => {
    if (!conn.joined) return;
    if (snap && snap.state === "reveal") {
      snap = { ...snap, state: "leaderboard" };
      $("[data-result-note]").textContent = "The leaderboard is on the big screen";
    } else {
      conn.refresh();
    }
  });
  conn.on("podium", () => {
    if (conn.joined) conn.refresh();
  });
  conn.on("kicked", () => kicked());

  // Only the join form until the player taps "Join" (or joined before on this phone).
  if (wantJoin) {
    show("lobby");
    $("[data-me-name]").textContent = "…";
  } else {
    show("join");
  }

  // Tapped before this script had loaded (a slow phone, a room joining at once): the form went
  // to the server as a plain GET with ?join=1 and reloaded this page. Join now, and take the
  // nickname out of the address bar.
  const params = new URLSearchParams(location.search);
  if (form && params.get("join") === "1") {
    history.replaceState(null, "", location.pathname);
    if (!wantJoin) {
      if (nicknameInput && params.get("nickname")) nicknameInput.value = params.get("nickname");
      requestJoin();
    }
  }
}

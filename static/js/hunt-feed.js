// The organiser's live feed of completions: new ones and status changes arrive over the
// team namespace ("/event", room event:<id>:organiser); voiding stays a plain form post.
import { connect } from "/static/js/realtime.js";

const list = document.querySelector("[data-feed]");
const status = document.querySelector("[data-live-status]");
const empty = document.querySelector("[data-feed-empty]");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

function time(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
}

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

function voidForm(item) {
  const action = list.dataset.voidUrl.replace(/\/0\/void$/, `/${item.id}/void`);
  const form = el("form", { method: "post", action, className: "hunt-void-form" });
  form.append(
    el("input", { type: "hidden", name: "csrf_token", value: csrf }),
    el("input", {
      type: "text", name: "reason", required: true, maxLength: 200,
      placeholder: "Why? e.g. scanned a photo of a badge", ariaLabel: "Reason",
    }),
    el("button", { type: "submit", className: "button hunt-small hunt-danger", textContent: "Void" }),
  );
  const details = el("details", { className: "hunt-void" }, [el("summary", { textContent: "Void…" }), form]);
  return details;
}

function render(item) {
  const main = el("div", { className: "hunt-feed-main" });
  const who = el("span");
  who.append(el("strong", { textContent: item.attendee }), ` · ${item.mission}`);
  if (item.found) who.append(" ", el("span", { className: "muted", textContent: `(found ${item.found})` }));
  const pill = el("span", {
    className: `pill hunt-pill-${item.status}`,
    textContent: item.status === "done" ? `done +${item.points + item.bonus}` : item.status,
  });
  main.append(el("span", { className: "hunt-feed-time", textContent: time(item.at) }), who, pill);
  const li = el("li", { className: `hunt-feed-item hunt-status-${item.status} is-new` }, [main]);
  li.dataset.completion = item.id;
  if (item.status === "voided") {
    li.append(el("p", { className: "hunt-feed-reason muted", textContent: `Voided: ${item.void_reason}` }));
  } else {
    li.append(voidForm(item));
  }
  return li;
}

if (list) {
  const socket = connect("/event");
  const hunt = Number(list.dataset.hunt);
  socket.on("connect", () => {
    socket.emit("join", { event: list.dataset.event, audience: "organiser" }, (ack) => {
      status.textContent = ack && ack.ok ? "● live" : "not connected";
      status.classList.toggle("is-live", Boolean(ack && ack.ok));
    });
  });
  socket.on("disconnect", () => {
    status.textContent = "reconnecting…";
    status.classList.remove("is-live");
  });
  socket.on("hunt_completion", (item) => {
    if (item.hunt_id !== hunt) return;
    const row = render(item);
    const old = list.querySelector(`[data-completion="${item.id}"]`);
    if (old) {
      // Keep a half-typed void reason: only the status line changes under it.
      const open = old.querySelector("details[open]");
      if (open && item.status !== "voided") {
        old.querySelector(".hunt-feed-main").replaceWith(row.querySelector(".hunt-feed-main"));
        return;
      }
      old.replaceWith(row);
    } else {
      list.prepend(row);
    }
    if (empty) empty.hidden = true;
  });
}

// An attendee's own live prompts ("/me" namespace, room attendee:<id>): someone found me for a
// mission and asks me to confirm; someone I found answered. The page works without it: the
// same requests are listed as forms on the home page.
import { connect } from "/static/js/realtime.js";

const root = document.querySelector("[data-me-live]");

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

function toast(text, kind = "success") {
  const box = el("p", { className: `flash flash-${kind} hunt-toast`, textContent: text, role: "status" });
  document.body.append(box);
  setTimeout(() => box.classList.add("is-gone"), 5000);
  setTimeout(() => box.remove(), 5600);
}

async function answer(request, value, dialog) {
  const url = root.dataset.answerUrl.replace(/\/0$/, `/${request.completion_id}`);
  const body = new URLSearchParams({ answer: value, csrf_token: root.dataset.csrf });
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
      body,
    });
    const data = await response.json();
    if (!data.ok) throw new Error(data.message || "failed");
    dialog.remove();
    document.querySelector(`[data-request="${request.completion_id}"]`)?.remove();
    toast(value === "confirm" ? `Confirmed: ${request.finder} gets the points.` : "Declined.", value === "confirm" ? "success" : "info");
  } catch {
    toast("That did not work. Use the buttons on your home page.", "error");
  }
}

function prompt(request) {
  if (document.querySelector(`[data-prompt="${request.completion_id}"]`)) return;
  const yes = el("button", { className: "button primary", type: "button", textContent: "Yes, we met" });
  const no = el("button", { className: "button", type: "button", textContent: "No" });
  const text = el("p");
  text.append(el("strong", { textContent: request.finder }), " found you for ", el("strong", { textContent: `“${request.mission}”` }), ". Was it really you?");
  const dialog = el("div", { className: "hunt-prompt", role: "alertdialog", ariaLabel: "Confirm you met" }, [
    el("p", { className: "eyebrow", textContent: "Hunt" }),
    text,
    el("div", { className: "hunt-prompt-actions" }, [yes, no]),
  ]);
  dialog.dataset.prompt = request.completion_id;
  yes.addEventListener("click", () => answer(request, "confirm", dialog));
  no.addEventListener("click", () => answer(request, "decline", dialog));
  document.body.append(dialog);
  yes.focus();
}

if (root && !root.dataset.bound) {
  root.dataset.bound = "1";
  const socket = connect("/me");
  const listed = new Set([...document.querySelectorAll("[data-request]")].map((li) => Number(li.dataset.request)));
  socket.on("connect", () => {
    // The snapshot: requests that arrived while this phone slept (not already on the page).
    socket.emit("join", {}, (ack) => {
      for (const request of (ack && ack.requests) || []) {
        if (!listed.has(request.completion_id)) prompt(request);
      }
    });
  });
  socket.on("confirm_request", prompt);
  socket.on("confirm_answered", (data) => {
    if (data.status === "done") toast(`${data.by} confirmed: mission “${data.mission}” complete (+${data.points})!`);
    else toast(`${data.by} did not confirm “${data.mission}”.`, "warning");
  });
}

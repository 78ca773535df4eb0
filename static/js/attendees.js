// The organiser's attendee pages: selection for badge printing, confirmations, filters that
// apply on change, and live checking of handles. Every page works without this script.

// Forms that do something hard to undo ask first.
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// Filters apply as soon as a choice changes.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// "Print badges for selected" opens the badge sheet with ?ids=1,2,3. Without the script the
// form still works and sends ?ids=1&ids=2&ids=3.
const selection = document.getElementById("selection");
if (selection) {
  const boxes = [...selection.querySelectorAll('input[name="ids"]')];
  const all = document.querySelector("[data-select-all]");
  const button = selection.querySelector("[data-print-selected]");
  const count = selection.querySelector("[data-selected-count]");

  const update = () => {
    const checked = boxes.filter((box) => box.checked).length;
    button.disabled = checked === 0;
    count.textContent = checked ? String(checked) : "";
    all.checked = checked > 0 && checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  };
  all.addEventListener("change", () => {
    for (const box of boxes) box.checked = all.checked;
    update();
  });
  for (const box of boxes) box.addEventListener("change", update);
  selection.addEventListener("submit", (event) => {
    event.preventDefault();
    const ids = boxes.filter((box) => box.checked).map((box) => box.value);
    if (!ids.length) return;
    const url = new URL(selection.action, window.location.href);
    url.search = `ids=${ids.join(",")}`; // digits and commas only: nothing to encode
    window.location.assign(url.toString());
  });
  update();
}

// Handles are checked as they are typed, with the same parser the server uses.
const CHECK_DELAY_MS = 350;
for (const input of document.querySelectorAll("input[data-handle-platform]")) {
  const status = document.getElementById(`${input.id}-status`);
  if (!status) continue;
  let timer = 0;
  let sequence = 0;
  const check = async () => {
    const mine = ++sequence;
    const value = input.value.trim();
    if (!value) {
      status.textContent = "";
      status.className = "handle-status";
      return;
    }
    const params = new URLSearchParams({ platform: input.dataset.handlePlatform, value });
    try {
      const response = await fetch(`/api/handles/check?${params}`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok || mine !== sequence) return;
      const result = await response.json();
      if (result.empty) {
        status.textContent = "";
        status.className = "handle-status";
      } else if (result.ok) {
        status.textContent = `✓ ${result.display}`;
        status.className = "handle-status ok";
      } else {
        status.textContent = result.message;
        status.className = "handle-status bad";
      }
    } catch {
      // Offline or the server is busy: the form still checks everything on save.
    }
  };
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, CHECK_DELAY_MS);
  });
}

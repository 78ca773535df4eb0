// Attendee import: file checks on the upload page, and the chunked import with a progress bar.
// Without this script every page still works: the import form then runs the whole import in
// one request and lands on the result page.

const number = (n) => Number(n).toLocaleString("en");

// --- upload: show the chosen file, refuse a too-large one before sending it ----------------
const uploadForm = document.querySelector(".upload-form");
if (uploadForm) {
  const input = uploadForm.querySelector("input[type=file]");
  const chosen = document.querySelector("#file-chosen");
  const error = document.querySelector("#file-error");
  const zone = uploadForm.querySelector(".dropzone");
  const maxBytes = Number(uploadForm.dataset.maxBytes);

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
  };
  const tooLarge = () => input.files.length > 0 && input.files[0].size > maxBytes;
  const describe = () => {
    const file = input.files[0];
    if (!file) return;
    const kb = file.size / 1024;
    const size = kb < 1024 ? `${Math.max(1, Math.round(kb))} KB` : `${(kb / 1024).toFixed(1)} MB`;
    chosen.textContent = `${file.name} · ${size}`;
    zone.classList.add("has-file");
    showError(tooLarge() ? uploadForm.dataset.tooLarge : "");
  };

  input.addEventListener("change", describe);
  // The invisible file input lies over the zone and takes the drop itself; this only styles it.
  const field = zone.parentElement;
  for (const type of ["dragenter", "dragover"]) {
    field.addEventListener(type, () => zone.classList.add("is-dragging"));
  }
  for (const type of ["dragleave", "drop"]) {
    field.addEventListener(type, () => zone.classList.remove("is-dragging"));
  }
  uploadForm.addEventListener("submit", (event) => {
    if (!input.files.length) {
      event.preventDefault();
      showError("Choose a CSV file to upload.");
    } else if (tooLarge()) {
      event.preventDefault();
      showError(uploadForm.dataset.tooLarge);
    } else {
      uploadForm.querySelector("button[type=submit]").disabled = true;
    }
  });
}

// --- mapping: dim the columns that will not be imported ------------------------------------
for (const select of document.querySelectorAll(".map-row select")) {
  select.addEventListener("change", () => {
    select.closest(".map-row").classList.toggle("is-ignored", select.value === "ignore");
  });
}

// --- import: call the run endpoint chunk by chunk, showing progress ------------------------
const runForm = document.querySelector("#run-form");
const panel = document.querySelector("#import-run");
if (runForm && panel) {
  const bar = panel.querySelector("#run-progress");
  const status = panel.querySelector("#run-status");
  const error = panel.querySelector("#run-error");
  const retry = panel.querySelector("#run-retry");
  const token = document.querySelector('meta[name="csrf-token"]').content;
  let running = false;

  const show = (p) => {
    bar.max = p.total;
    bar.value = p.done;
    status.textContent = p.finished
      ? `Done: ${number(p.created)} added, ${number(p.updated)} updated, ${number(p.rejected_count)} skipped.`
      : `${number(p.done)} of ${number(p.total)} rows…`;
  };

  const fail = (message) => {
    running = false;
    error.textContent = message;
    error.hidden = false;
    retry.hidden = false;
  };

  const step = async () => {
    let response;
    try {
      response = await fetch(panel.dataset.runUrl, {
        method: "POST",
        headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": token },
        body: "{}",
        credentials: "same-origin",
      });
    } catch {
      return fail("The connection dropped. Nothing is lost: press “Try again” to carry on where the import stopped.");
    }
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    if (!response.ok || !data || data.ok === false) {
      const reason = data && data.message ? data.message : "Your session may have expired; reload the page.";
      return fail(`The import paused: ${reason}`);
    }
    show(data);
    if (data.finished) {
      running = false;
      window.location.assign(data.result_url);
      return;
    }
    return step();
  };

  // The page becomes the "Import" step while the chunks run.
  const markImporting = () => {
    const steps = document.querySelectorAll(".import-steps li");
    if (steps.length !== 4) return;
    steps[2].classList.replace("is-current", "is-done");
    steps[2].removeAttribute("aria-current");
    steps[2].querySelector(".step-dot").textContent = "✓";
    steps[3].classList.add("is-current");
    steps[3].setAttribute("aria-current", "step");
    const crumbs = document.querySelector(".crumbs");
    if (crumbs) crumbs.hidden = true;
    const title = document.querySelector("h1");
    if (title) title.textContent = "Importing attendees";
  };

  // Leaving stops the import between two chunks; the page then offers to continue it.
  window.addEventListener("beforeunload", (event) => {
    if (running) event.preventDefault();
  });

  const start = () => {
    if (running) return;
    markImporting();
    running = true;
    error.hidden = true;
    retry.hidden = true;
    runForm.hidden = true;
    panel.hidden = false;
    show({ total: Number(panel.dataset.total), done: Number(panel.dataset.done), finished: false });
    step();
  };

  runForm.addEventListener("submit", (event) => {
    event.preventDefault();
    start();
  });
  retry.addEventListener("click", start);
}

// Live validation of handle fields: ask the server's parser as the attendee types, so the
// page says "✓ @maria_dev" or what is wrong before the form is sent.
const form = document.querySelector("form[data-handle-check]");
if (form) {
  const endpoint = form.dataset.handleCheck;
  for (const input of form.querySelectorAll("input[data-handle-platform]")) {
    const status = document.getElementById(`${input.id}-status`);
    let timer = null;
    let seq = 0;
    const check = async () => {
      const value = input.value.trim();
      const mine = ++seq;
      if (!value) {
        status.textContent = "";
        status.className = "handle-status";
        input.setAttribute("aria-invalid", "false");
        return;
      }
      const params = new URLSearchParams({ platform: input.dataset.handlePlatform, value });
      try {
        const response = await fetch(`${endpoint}?${params}`, { headers: { Accept: "application/json" } });
        if (!response.ok) return; // rate-limited or offline: the server checks on submit anyway
        const result = await response.json();
        if (mine !== seq) return; // an older answer arriving late
        status.textContent = result.ok ? `✓ ${result.display}` : result.message;
        status.className = `handle-status ${result.ok ? "ok" : "bad"}`;
        input.setAttribute("aria-invalid", result.ok ? "false" : "true");
      } catch {
        /* offline: leave the field as it is */
      }
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(check, 350);
    });
    input.addEventListener("blur", check);
  }
}

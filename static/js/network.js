// Network pages: a burst of confetti when a meeting breaks the ice, and a live count of the
// entries pasted into the follow-list box.
import confetti from "../vendor/confetti.module.mjs";

const canvas = document.querySelector("canvas[data-confetti]");
if (canvas && !window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
  // No worker: the Content-Security-Policy allows workers from 'self' only, not blob: URLs.
  const cannon = confetti.create(canvas, { resize: true, useWorker: false, disableForReducedMotion: true });
  const colors = ["#3b2fc9", "#8b5cf6", "#f2456e", "#ff8a3d", "#12805c"];
  cannon({ particleCount: 140, spread: 80, startVelocity: 45, origin: { y: 0.35 }, colors });
  setTimeout(() => cannon({ particleCount: 80, spread: 120, origin: { y: 0.3 }, colors }), 350);
}

const form = document.querySelector("form[data-follow-form]");
if (form) {
  const box = form.querySelector("textarea");
  const file = form.querySelector("input[type=file]");
  const submit = form.querySelector("button[type=submit]");
  const status = document.createElement("p");
  status.className = "net-count-live";
  status.setAttribute("aria-live", "polite");
  box.insertAdjacentElement("afterend", status);

  const entries = () => box.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean).length;
  const update = () => {
    if (file.files.length) {
      status.textContent = `Uploading ${file.files[0].name} instead of the box.`;
      return;
    }
    const n = entries();
    status.textContent = n ? `${n} ${n === 1 ? "entry" : "entries"} to look for` : "";
  };
  box.addEventListener("input", update);
  file.addEventListener("change", update);
  form.addEventListener("submit", () => {
    submit.disabled = true;
    submit.textContent = "Looking…";
  });
  // A page restored from the back-forward cache keeps the disabled button: enable it again.
  window.addEventListener("pageshow", () => {
    submit.disabled = false;
    submit.textContent = "Find people I know";
  });
  update();
}

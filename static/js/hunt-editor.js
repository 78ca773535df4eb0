// The mission form: show only the fields of the chosen kind (and of the chosen trait rule).
// Without JavaScript every fieldset stays visible and the server ignores the others.
import "./hunt.js";

const form = document.querySelector("form[data-mission-form]");
if (form) {
  const kinds = [...form.querySelectorAll("input[data-kind-choice]")];
  const rule = form.querySelector("select[name=rule]");

  const update = () => {
    const kind = (kinds.find((k) => k.checked) || kinds[0]).value;
    for (const box of form.querySelectorAll("[data-kind]")) {
      box.hidden = !box.dataset.kind.split(" ").includes(kind);
    }
    for (const box of form.querySelectorAll("[data-kind-only]")) {
      box.hidden = !box.dataset.kindOnly.split(" ").includes(kind);
    }
    for (const box of form.querySelectorAll("[data-rule]")) {
      box.hidden = !rule || box.dataset.rule !== rule.value;
    }
    for (const choice of kinds) {
      choice.closest("label").classList.toggle("is-chosen", choice.checked);
    }
  };
  for (const choice of kinds) choice.addEventListener("change", update);
  if (rule) rule.addEventListener("change", update);
  update();
}

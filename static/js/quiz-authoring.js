// Quiz authoring: show the fields of the chosen question type; confirm deletions.
// Without JavaScript every field is shown and the server ignores the others.

const form = document.querySelector("[data-question-form]");
const typeSelect = form?.querySelector("select[name=type]");

function showFieldsFor(kind) {
  for (const part of form.querySelectorAll("[data-for]")) {
    const wanted = part.dataset.for.split(" ").includes(kind);
    part.hidden = !wanted;
    for (const input of part.querySelectorAll("input, textarea, select")) input.disabled = !wanted;
  }
}

if (form && typeSelect) {
  showFieldsFor(typeSelect.value);
  typeSelect.addEventListener("change", () => showFieldsFor(typeSelect.value));
}

for (const confirmForm of document.querySelectorAll("form[data-confirm]")) {
  confirmForm.addEventListener("submit", (event) => {
    if (!window.confirm(confirmForm.dataset.confirm)) event.preventDefault();
  });
}

// Hunt pages: ask before a form that costs something (a hint's points, deleting a mission).
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
}

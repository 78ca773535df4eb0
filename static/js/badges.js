// Print badges page: keep the page count in step with the layout, refresh the count on filters.
const form = document.querySelector("#print-form");
if (form) {
  const pageCount = document.querySelector("#page-count");
  const plural = document.querySelector("#page-plural");
  for (const radio of form.querySelectorAll("input[name=layout]")) {
    radio.addEventListener("change", () => {
      if (!pageCount || !radio.checked) return;
      const pages = Math.ceil(Number(pageCount.dataset.total) / Number(radio.dataset.perPage));
      pageCount.textContent = String(pages);
      if (plural) plural.textContent = pages === 1 ? "" : "s";
    });
  }
  // A changed filter changes who is printed: reload the count before anyone downloads.
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => form.requestSubmit());
  }
}

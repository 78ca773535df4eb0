// Event form: suggest a URL slug from the name until the organiser types one.
const name = document.querySelector("#name");
const slug = document.querySelector("#slug");
if (name && slug) {
  let touched = slug.value !== "";
  slug.addEventListener("input", () => { touched = true; });
  name.addEventListener("input", () => {
    if (touched) return;
    slug.value = name.value
      .normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
  });
}

// A little progressive enhancement; every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // the grid's rows-per-page choice applies at once
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form && select.form.requestSubmit());
  }
  // empty filters stay out of the URL (and so out of bookmarks and export links)
  const form = document.getElementById("grid-form");
  if (form) {
    form.addEventListener("submit", () => {
      for (const input of form.querySelectorAll("tr.filters input")) {
        if (!input.value.trim()) input.disabled = true;
      }
    });
  }
  // the analyses' and runs' filters: empty choices stay out of the URL too
  for (const filters of document.querySelectorAll("form.filter-form")) {
    filters.addEventListener("submit", () => {
      for (const field of filters.querySelectorAll("input, select")) {
        if (!field.value.trim()) field.disabled = true;
      }
    });
  }
});

// the column chooser: every column chosen is the default view, which needs no `cols` in the URL
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("grid-form");
  if (!form) return;
  form.addEventListener("submit", () => {
    const boxes = [...form.querySelectorAll("#column-chooser input[type=checkbox][name=cols]")];
    if (boxes.every((box) => box.checked)) {
      for (const input of form.querySelectorAll("#column-chooser input[name=cols]")) input.disabled = true;
    }
  });
});

// Filters of the o365-cis page: status tiles, section, level and a search over id, title and reason.
// pytest-html rebuilds its results table on every sort and detail toggle, so the filter is applied again
// whenever the table is replaced. Everything runs offline: no request leaves the file.
(() => {
  const state = { statuses: new Set(), section: "", level: "", query: "" };

  const matches = (cell) => {
    const facts = cell.dataset;
    return (
      (state.statuses.size === 0 || state.statuses.has(facts.status)) &&
      (!state.section || facts.section === state.section) &&
      (!state.level || facts.level === state.level) &&
      (!state.query || (facts.search || "").includes(state.query))
    );
  };

  const apply = () => {
    const table = document.getElementById("results-table");
    if (!table) return;
    let shown = 0;
    let total = 0;
    table.querySelectorAll("tbody.results-table-row").forEach((body) => {
      const cell = body.querySelector("td.col-cisId");
      if (!cell) return;
      total += 1;
      const visible = matches(cell);
      body.classList.toggle("cis-filtered-out", !visible);
      if (visible) shown += 1;
    });
    const counter = document.getElementById("cis-shown");
    if (counter) {
      counter.textContent =
        shown === total ? `${total} recommendations` : `${shown} of ${total} recommendations shown`;
    }
    const empty = document.getElementById("cis-empty");
    if (empty) empty.hidden = shown !== 0 || total === 0;
  };

  const bind = () => {
    document.querySelectorAll(".cis-count-tile").forEach((tile) => {
      tile.addEventListener("click", () => {
        const status = tile.dataset.status;
        if (state.statuses.has(status)) state.statuses.delete(status);
        else state.statuses.add(status);
        tile.setAttribute("aria-pressed", String(state.statuses.has(status)));
        apply();
      });
    });
    const section = document.getElementById("cis-filter-section");
    section?.addEventListener("change", () => { state.section = section.value; apply(); });
    const level = document.getElementById("cis-filter-level");
    level?.addEventListener("change", () => { state.level = level.value; apply(); });
    const search = document.getElementById("cis-search");
    search?.addEventListener("input", () => { state.query = search.value.trim().toLowerCase(); apply(); });
    document.getElementById("cis-clear")?.addEventListener("click", () => {
      state.statuses.clear();
      state.section = state.level = state.query = "";
      document.querySelectorAll(".cis-count-tile").forEach((t) => t.setAttribute("aria-pressed", "false"));
      if (section) section.value = "";
      if (level) level.value = "";
      if (search) search.value = "";
      apply();
    });
    // pytest-html replaces the whole table (a child of body) when it sorts or toggles a detail row.
    new MutationObserver(apply).observe(document.body, { childList: true });
    apply();
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();

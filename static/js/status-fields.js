// Show the school/grade/outside-county fields only for the statuses that need them.
(function () {
  const select = document.getElementById("id_status") || document.getElementById("id_new_status");
  if (!select) return;
  const onRoll = ["in_school", "special_school", "home_delivered", "suspected_dropout"];
  const groups = {
    roll: ["school", "grade", "class_name", "is_inclusive"],
    outside: ["outside_school_name", "outside_verified"],
    reason: ["status_reason"],
  };
  function wrapper(name) {
    const field = document.getElementById("id_" + name);
    return field ? field.closest(".mb-3") || field.parentElement : null;
  }
  function update() {
    const value = select.value;
    const show = {
      roll: onRoll.includes(value),
      outside: value === "outside_county",
      reason: value !== "",
    };
    for (const [group, names] of Object.entries(groups)) {
      for (const name of names) {
        const element = wrapper(name);
        if (element) element.hidden = !show[group];
      }
    }
  }
  select.addEventListener("change", update);
  update();
})();

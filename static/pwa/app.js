/* 我的走访: the app page (/visits/). Prepare (download the worklist into IndexedDB), enter visits
 * with or without signal (queued on the phone), sync them (in order, a batch of entries per POST,
 * each entry with its own idempotency key), and settle conflicts (apply anyway / discard). No build step, no library. */
/* global VisitStore, VisitHelpers */
"use strict";

(function () {
  const root = document.getElementById("visits-app");
  if (!root) return;
  const CONFIG = JSON.parse(document.getElementById("visit-config").textContent);
  const T = JSON.parse(document.getElementById("visit-strings").textContent);
  const $ = (id) => document.getElementById(id);
  let choices = null;
  let current = null; // the child whose form is open
  let editing = null; // the entry being corrected, if any
  let photoBlob = null;
  let syncing = null;
  const { el, format, localDate, when, newId, fillSelect, resizePhoto, label } = window.VisitHelpers;
  const validate = (data) => VisitHelpers.validate(data, T, CONFIG, current.state.status);
  const errorText = (answer) => VisitHelpers.errorText(answer, T);

  // --- small helpers ------------------------------------------------------------------------

  function message(text, kind) {
    const box = $("app-message");
    box.className = `alert alert-${kind || "info"}`;
    box.textContent = text;
  }

  const STATE_LABEL = {
    pending: T.state_pending,
    synced: T.state_synced,
    conflict: T.state_conflict,
    rejected: T.state_rejected,
  };
  const STATE_BADGE = { pending: "warning", synced: "success", conflict: "danger", rejected: "secondary" };

  // --- network and session -------------------------------------------------------------------

  function showNet() {
    const badge = $("net-state");
    badge.textContent = navigator.onLine ? T.online : T.offline;
    badge.className = "badge " + (navigator.onLine ? "text-bg-success" : "text-bg-secondary");
  }

  async function sessionEnded() {
    // 401/403 from the API: the login ended or the token was revoked. The worklist goes; what
    // the official typed and has not synced stays for them (store.js).
    await VisitStore.wipe(false);
    $("session-warning").classList.remove("d-none");
    await render();
  }

  async function api(url, options) {
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json", ...((options && options.headers) || {}) },
      ...(options || {}),
    });
    if (response.status === 401 || response.status === 403) {
      if (url === CONFIG.session_url || url === CONFIG.worklist_url) {
        await sessionEnded();
        throw new Error("session");
      }
    }
    return response;
  }

  // --- prepare -------------------------------------------------------------------------------

  async function prepare() {
    const button = $("prepare");
    button.disabled = true;
    try {
      const response = await api(CONFIG.worklist_url);
      if (!response.ok) throw new Error(String(response.status));
      const worklist = await response.json();
      await VisitStore.savePrepared(worklist);
      message(format(T.prepared, { count: worklist.children.length }), "success");
      await render();
    } catch (error) {
      if (error.message !== "session") message(T.prepare_failed, "danger");
    } finally {
      button.disabled = false;
    }
  }

  // --- rendering -----------------------------------------------------------------------------

  async function render() {
    const meta = await VisitStore.meta();
    choices = meta ? meta.choices : null;
    if (meta && meta.username === CONFIG.username) {
      $("stored-info").textContent = format(T.stored, {
        count: meta.count,
        size: Math.max(1, Math.round(meta.bytes / 1024)),
        when: when(meta.prepared_at),
      });
    } else {
      $("stored-info").textContent = T.nothing_stored;
    }
    await renderWorklist(meta);
    await renderQueue();
  }

  async function renderWorklist(meta) {
    const list = $("worklist");
    list.replaceChildren();
    if (!meta || meta.username !== CONFIG.username) return;
    const children = await VisitStore.children();
    const entries = await myEntries();
    for (const child of children) {
      const queued = entries.filter((e) => e.child === child.id && e.state !== "synced").length;
      const badges = child.reason_labels.map((label) => el("span", { class: "badge text-bg-info me-1" }, label));
      const item = el(
        "li",
        { class: "list-group-item worklist-item", "data-child": child.id },
        el(
          "div",
          { class: "d-flex flex-wrap align-items-center gap-2" },
          el("strong", { class: "child-name" }, child.name),
          el("span", { class: "small text-body-secondary" }, `${child.sex === "F" ? T.female : T.male} · ${child.birth_date}`),
          ...badges,
          queued ? el("span", { class: "badge text-bg-warning" }, format(T.queued_for_child, { count: queued })) : null,
          el("button", { type: "button", class: "btn btn-sm btn-primary ms-auto record-visit", "data-child": child.id }, T.record_visit)
        ),
        el(
          "div",
          { class: "small mt-1" },
          `${T.status}: ${child.state.status_label}`,
          child.school_name ? ` · ${child.school_name}` : "",
          child.state.case_status_label ? ` · ${T.case}: ${child.state.case_status_label}` : "",
          child.exemption_end ? ` · ${T.exemption_end}: ${child.exemption_end}` : ""
        ),
        el(
          "div",
          { class: "small text-body-secondary" },
          `${T.household}: ${child.household_head} · ${child.address} · ${child.village}`,
          ` · ${T.guardian}: ${child.guardian_name}${child.guardian_relation ? "（" + child.guardian_relation + "）" : ""} ${child.guardian_phone}`,
          ` · ${T.last_visit}: ${child.last_visit || T.never}`
        )
      );
      list.append(item);
    }
    if (!children.length) list.append(el("li", { class: "list-group-item text-body-secondary" }, T.worklist_empty));
  }

  async function myEntries() {
    return (await VisitStore.entries()).filter((entry) => entry.owner === CONFIG.username);
  }

  function versionLines(state) {
    return [
      `${T.status}: ${state.status_label || state.status || "—"}`,
      state.status_since ? ` (${state.status_since})` : "",
      ` · ${T.case}: ${state.case_status_label || T.no_case}`,
    ].join("");
  }

  async function renderQueue() {
    const entries = await myEntries();
    const counts = { pending: 0, synced: 0, conflict: 0, rejected: 0 };
    for (const entry of entries) counts[entry.state] = (counts[entry.state] || 0) + 1;
    for (const state of Object.keys(counts)) $(`count-${state}`).textContent = counts[state];
    const list = $("queue");
    list.replaceChildren();
    $("queue-empty").classList.toggle("d-none", entries.length > 0);
    for (const entry of entries.slice().reverse()) {
      const item = el(
        "li",
        { class: "list-group-item queue-entry", "data-entry": entry.id, "data-state": entry.state },
        el(
          "div",
          { class: "d-flex flex-wrap gap-2 align-items-center" },
          el("span", { class: `badge text-bg-${STATE_BADGE[entry.state]} entry-state` }, STATE_LABEL[entry.state]),
          el("strong", {}, entry.child_name),
          el("span", { class: "small" }, `${entry.data.visit_date} · ${entry.outcome_label}`),
          entry.data.new_status ? el("span", { class: "badge text-bg-light" }, `→ ${entry.new_status_label}`) : null,
          entry.photo ? el("i", { class: "bi bi-camera", title: T.photo, "aria-label": T.photo }) : null,
          entry.data.persuasion ? el("span", { class: "badge text-bg-light" }, T.persuasion) : null
        ),
        el("div", { class: "small text-body-secondary" }, entry.data.findings)
      );
      if (entry.state === "conflict" && entry.conflict) {
        item.append(
          el(
            "div",
            { class: "alert alert-danger mt-2 mb-0 conflict", id: `conflict-${entry.id}` },
            el("p", { class: "mb-1" }, entry.conflict.detail),
            el("div", { class: "small" }, el("strong", {}, T.seen_version + ": "), versionLines(entry.conflict.seen)),
            el("div", { class: "small mb-2" }, el("strong", {}, T.current_version + ": "), versionLines(entry.conflict.current)),
            el("button", { type: "button", class: "btn btn-sm btn-danger me-2 apply-anyway", "data-entry": entry.id }, T.apply_anyway),
            el("button", { type: "button", class: "btn btn-sm btn-outline-secondary discard", "data-entry": entry.id }, T.discard)
          )
        );
      }
      if (entry.state === "rejected") {
        item.append(
          el(
            "div",
            { class: "alert alert-warning mt-2 mb-0" },
            el("p", { class: "mb-2 entry-error" }, entry.error || T.rejected_generic),
            el("button", { type: "button", class: "btn btn-sm btn-primary me-2 edit-entry", "data-entry": entry.id }, T.correct),
            el("button", { type: "button", class: "btn btn-sm btn-outline-secondary discard", "data-entry": entry.id }, T.discard)
          )
        );
      }
      list.append(item);
    }
  }

  // --- the visit form ------------------------------------------------------------------------

  function statusFieldsShown() {
    $("v-status-fields").classList.toggle("d-none", !$("v-new_status").value);
  }

  async function openForm(childId, entry) {
    const child = await VisitStore.child(childId);
    if (!child || !choices) return;
    current = child;
    editing = entry || null;
    photoBlob = entry ? entry.photo || null : null;
    const form = $("visit-form");
    form.reset();
    clearErrors();
    $("v-child-name").textContent = child.name;
    $("v-child-facts").textContent = `${child.state.status_label} · ${child.household_head} · ${child.address}`;
    fillSelect($("v-outcome"), choices.outcomes, T.choose);
    fillSelect($("v-new_status"), choices.statuses, T.no_change);
    fillSelect(
      $("v-school"),
      choices.schools.map((s) => ({ value: String(s.id), label: `${s.township} ${s.name}` })),
      "—"
    );
    fillSelect($("v-grade"), choices.grades, "—");
    fillSelect($("v-result"), choices.persuasion_results, T.choose);
    const members = await VisitStore.members(child.household);
    const box = $("v-children");
    box.replaceChildren();
    for (const member of members.length ? members : [{ id: child.id, name: child.name, birth_date: child.birth_date }]) {
      const id = `v-child-${member.id}`;
      box.append(
        el(
          "div",
          { class: "form-check" },
          el("input", { class: "form-check-input", type: "checkbox", id, name: "children", value: member.id, checked: member.id === child.id }),
          el("label", { class: "form-check-label", for: id }, `${member.name}（${member.birth_date}）`)
        )
      );
    }
    $("v-visit_date").value = localDate(new Date());
    $("v-visit_date").max = localDate(new Date());
    if (child.school) $("v-school").value = String(child.school);
    if (child.grade) $("v-grade").value = String(child.grade);
    $("v-class_name").value = child.class_name || "";
    $("v-persuasion-fields").classList.toggle("d-none", !child.may_persuade);
    const officers = $("v-officers");
    officers.replaceChildren();
    const shown = new Set();
    for (const officer of choices.officers || []) {
      const covers =
        officer.county === child.county_id || officer.township === child.township_id || officer.village === child.village_id;
      if (!covers || shown.has(officer.id)) continue;
      shown.add(officer.id);
      const id = `v-officer-${officer.id}`;
      officers.append(
        el(
          "div",
          { class: "form-check form-check-inline" },
          el("input", { class: "form-check-input", type: "checkbox", id, name: "officers", value: officer.id }),
          el("label", { class: "form-check-label", for: id }, officer.name)
        )
      );
    }
    $("v-persuasion-body").classList.add("d-none");
    $("v-photo-preview").classList.add("d-none");
    if (entry) {
      const data = entry.data;
      for (const name of ["visit_date", "visitors", "teacher_visitors", "findings", "outcome", "follow_up", "new_status", "school", "grade", "class_name", "outside_school_name", "status_reason", "what_was_said", "family_answer", "result"]) {
        if (data[name] !== undefined && data[name] !== null) $(`v-${name}`).value = data[name];
      }
      for (const input of box.querySelectorAll("input")) input.checked = data.children.includes(Number(input.value));
      for (const input of officers.querySelectorAll("input")) input.checked = (data.officers || []).includes(Number(input.value));
      $("v-persuasion").checked = !!data.persuasion;
      $("v-persuasion-body").classList.toggle("d-none", !data.persuasion);
      if (entry.photo_preview) {
        $("v-photo-preview").src = entry.photo_preview;
        $("v-photo-preview").classList.remove("d-none");
      }
    }
    statusFieldsShown();
    $("visit-panel").classList.remove("d-none");
    $("visit-panel").scrollIntoView({ block: "start" });
    $("v-visitors").focus();
  }

  function closeForm() {
    $("visit-panel").classList.add("d-none");
    current = null;
    editing = null;
    photoBlob = null;
  }

  function clearErrors() {
    for (const node of document.querySelectorAll("#visit-form .is-invalid")) node.classList.remove("is-invalid");
    for (const node of document.querySelectorAll("#visit-form .invalid-feedback.js-error")) node.remove();
    $("v-errors").classList.add("d-none");
    $("v-errors").replaceChildren();
  }

  function showErrors(errors) {
    clearErrors();
    const summary = $("v-errors");
    summary.append(el("p", { class: "mb-1" }, T.fix_errors));
    const list = el("ul", { class: "mb-0" });
    for (const [field, text] of Object.entries(errors)) {
      list.append(el("li", {}, text));
      const input = field === "children" ? null : $(`v-${field}`);
      if (input) {
        input.classList.add("is-invalid");
        input.insertAdjacentElement("afterend", el("div", { class: "invalid-feedback js-error" }, text));
      }
    }
    summary.append(list);
    summary.classList.remove("d-none");
    summary.focus();
  }

  function readForm() {
    const value = (name) => $(`v-${name}`).value.trim();
    const data = {
      visit_date: $("v-visit_date").value,
      children: Array.from(document.querySelectorAll("#v-children input:checked")).map((i) => Number(i.value)),
      visitors: value("visitors"),
      teacher_visitors: value("teacher_visitors"),
      findings: value("findings"),
      outcome: $("v-outcome").value,
      follow_up: value("follow_up"),
      new_status: $("v-new_status").value,
      school: $("v-new_status").value ? $("v-school").value || null : null,
      grade: $("v-new_status").value ? $("v-grade").value || null : null,
      class_name: $("v-new_status").value ? value("class_name") : "",
      outside_school_name: $("v-new_status").value ? value("outside_school_name") : "",
      status_reason: $("v-new_status").value ? value("status_reason") : "",
      persuasion: current.may_persuade && $("v-persuasion").checked,
    };
    if (data.persuasion) {
      data.what_was_said = value("what_was_said");
      data.family_answer = value("family_answer");
      data.result = $("v-result").value;
      data.officers = Array.from(document.querySelectorAll("#v-officers input:checked")).map((i) => Number(i.value));
    }
    return data;
  }

  // The server form's rules (enrollment.forms.HouseholdVisitForm, services.record_visit and
  // change_status, dropout's log_persuasion), checked before anything is stored.
  let photoPreview = null;

  async function onPhoto(event) {
    const file = event.target.files[0];
    if (!file) return;
    try {
      const resized = await resizePhoto(file);
      photoBlob = resized.blob;
      photoPreview = resized.preview;
      $("v-photo-preview").src = resized.preview;
      $("v-photo-preview").classList.remove("d-none");
    } catch (error) {
      photoBlob = null;
      showErrors({ photo: T.photo_unreadable });
    }
  }

  async function save(event) {
    event.preventDefault();
    if (!current) return;
    const data = readForm();
    const errors = validate(data);
    if (Object.keys(errors).length) {
      showErrors(errors);
      return;
    }
    const entry = editing || {
      id: newId(),
      owner: CONFIG.username,
      child: current.id,
      child_name: current.name,
      seen_version: current.state.version,
      seen_state: current.state,
      created_at: new Date().toISOString(),
      rev: 0,
      force: false,
    };
    entry.data = data;
    entry.photo = photoBlob || (editing ? editing.photo : null);
    entry.photo_preview = photoBlob ? photoPreview : editing ? editing.photo_preview : null;
    entry.outcome_label = label(choices.outcomes, data.outcome);
    entry.new_status_label = data.new_status ? label(choices.statuses, data.new_status) : "";
    entry.state = "pending";
    entry.error = "";
    if (editing) entry.rev += 1; // a corrected entry is a new request: a new key
    await VisitStore.putEntry(entry);
    closeForm();
    message(navigator.onLine ? T.saved_online : T.saved_offline, "success");
    await render();
    if (navigator.onLine) sync();
  }

  // --- sync ----------------------------------------------------------------------------------

  // A batch: at most BATCH_SIZE entries and about BATCH_BYTES of photos per request (the
  // server takes 50 entries; nginx 45 MB).
  const BATCH_SIZE = 20;
  const BATCH_BYTES = 8 * 1024 * 1024;

  function batches(entries) {
    const out = [];
    let current = [];
    let bytes = 0;
    for (const entry of entries) {
      const size = entry.photo ? entry.photo.size || 0 : 0;
      if (current.length && (current.length >= BATCH_SIZE || bytes + size > BATCH_BYTES)) {
        out.push(current);
        current = [];
        bytes = 0;
      }
      current.push(entry);
      bytes += size;
    }
    if (current.length) out.push(current);
    return out;
  }

  async function rejectAll(entries, text) {
    for (const entry of entries) {
      entry.state = "rejected";
      entry.error = text;
      await VisitStore.putEntry(entry);
    }
  }

  // One entry's outcome as the batch answered it (what the single sync would have answered).
  async function settle(entry, result, synced) {
    if (result.outcome === "synced") {
      synced.push({ child: entry.child, previous: entry.seen_version, state: result.state });
      entry.state = "synced";
      entry.synced_at = new Date().toISOString();
      entry.server = result;
      entry.conflict = null;
      entry.photo = null; // on the server now: the phone keeps the thumbnail only
    } else if (result.outcome === "conflict") {
      entry.state = "conflict";
      entry.conflict = result;
    } else {
      entry.state = "rejected";
      entry.error = errorText(result.errors || { detail: result.detail });
    }
    await VisitStore.putEntry(entry);
  }

  async function syncBatch(entries, csrf) {
    const form = new FormData();
    const items = entries.map((entry, index) => {
      const part = entry.photo ? `photo-${index}` : null;
      if (part) form.append(part, entry.photo, `visit-${entry.id}.jpg`);
      return VisitHelpers.batchEntry(entry, part);
    });
    form.append("entries", JSON.stringify(items));
    let response;
    try {
      // No Idempotency-Key on the request: each entry carries its own (client_entry), so a
      // retry of the whole batch replays the entries already applied, never records them twice.
      response = await fetch(CONFIG.sync_batch_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
        body: form,
      });
    } catch (error) {
      return "offline";
    }
    if (response.status === 401 || response.status === 403) {
      const answer = await response.json().catch(() => ({}));
      if (response.status === 403 && answer.detail && !/CSRF|凭证|credentials|登录/.test(answer.detail)) {
        await rejectAll(entries, answer.detail);
        return "next";
      }
      return "session";
    }
    if (response.status >= 500 || response.status === 429) return "offline";
    const answer = await response.json().catch(() => null);
    if (response.status !== 200 || !answer || !Array.isArray(answer.results)) {
      await rejectAll(entries, errorText(answer));
      return "next";
    }
    const synced = [];
    for (const [index, entry] of entries.entries()) {
      const result = answer.results[index];
      if (result) await settle(entry, result, synced);
    }
    // In order: a later entry based on the version an earlier one changed follows it.
    for (const done of synced) await afterSynced(done.child, done.previous, done.state);
    return "next";
  }

  // The child is now as the server says; the phone's later entries that were based on the
  // version this entry changed were based on this entry: they follow it (a new request each).
  async function afterSynced(childId, previous, state) {
    const child = await VisitStore.child(childId);
    if (child && state) {
      child.state = state;
      child.status = state.status;
      await VisitStore.putChild(child);
    }
    if (!state || state.version === previous) return;
    for (const other of await myEntries()) {
      if (other.child === childId && other.state === "pending" && other.seen_version === previous) {
        other.seen_version = state.version;
        other.rev += 1;
        await VisitStore.putEntry(other);
      }
    }
  }

  function sync() {
    if (!syncing) {
      syncing = runSync().finally(() => {
        syncing = null;
      });
    }
    return syncing;
  }

  async function runSync() {
    const pending = (await myEntries()).filter((entry) => entry.state === "pending");
    if (!pending.length) {
      const conflicts = (await myEntries()).filter((e) => e.state === "conflict").length;
      if (conflicts) message(format(T.sync_conflicts, { count: conflicts }), "danger");
      else message(T.sync_done, "success");
      await render();
      return;
    }
    let csrf;
    try {
      const response = await api(CONFIG.session_url);
      if (!response.ok) throw new Error("session");
      csrf = (await response.json()).csrf_token;
    } catch (error) {
      if (error.message !== "session") message(T.sync_offline, "warning");
      return;
    }
    $("sync").disabled = true;
    let stopped = "";
    try {
      for (const listed of batches(pending)) {
        const entries = [];
        for (const item of listed) {
          const entry = await VisitStore.entry(item.id); // as rewritten by an earlier batch
          if (entry && entry.state === "pending") entries.push(entry);
        }
        if (!entries.length) continue;
        const outcome = await syncBatch(entries, csrf);
        if (outcome === "offline" || outcome === "session") {
          stopped = outcome;
          break;
        }
      }
    } finally {
      $("sync").disabled = false;
    }
    if (stopped === "session") await sessionEnded();
    const entries = await myEntries();
    const conflicts = entries.filter((e) => e.state === "conflict").length;
    if (stopped === "offline") message(T.sync_offline, "warning");
    else if (conflicts) message(format(T.sync_conflicts, { count: conflicts }), "danger");
    else message(T.sync_done, "success");
    await render();
  }

  // --- conflicts and corrections -------------------------------------------------------------

  async function applyAnyway(id) {
    const entry = await VisitStore.entry(id);
    if (!entry) return;
    entry.force = true;
    entry.rev += 1;
    entry.state = "pending";
    await VisitStore.putEntry(entry);
    await sync();
  }

  async function discard(id) {
    await VisitStore.deleteEntry(id);
    message(T.discarded, "info");
    await render();
  }

  async function correct(id) {
    const entry = await VisitStore.entry(id);
    if (entry) await openForm(entry.child, entry);
  }

  // --- wiring --------------------------------------------------------------------------------

  $("prepare").addEventListener("click", prepare);
  $("sync").addEventListener("click", () => sync());
  $("visit-form").addEventListener("submit", save);
  $("v-cancel").addEventListener("click", closeForm);
  $("v-new_status").addEventListener("change", statusFieldsShown);
  $("v-photo").addEventListener("change", onPhoto);
  $("v-persuasion").addEventListener("change", (event) => {
    $("v-persuasion-body").classList.toggle("d-none", !event.target.checked);
  });
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-child], button[data-entry]");
    if (!button) return;
    if (button.classList.contains("record-visit")) openForm(Number(button.dataset.child));
    else if (button.classList.contains("apply-anyway")) applyAnyway(button.dataset.entry);
    else if (button.classList.contains("discard")) discard(button.dataset.entry);
    else if (button.classList.contains("edit-entry")) correct(button.dataset.entry);
  });
  window.addEventListener("online", () => {
    showNet();
    sync();
  });
  window.addEventListener("offline", showNet);

  const manifest = el("link", { rel: "manifest", href: CONFIG.manifest_url });
  document.head.append(manifest);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(CONFIG.service_worker_url, { scope: CONFIG.scope }).catch(() => {});
  }

  showNet();
  render().then(async () => {
    root.dataset.ready = "true";
    if (navigator.onLine) {
      // The session still good? (401/403 wipes the worklist.) Then send what is waiting.
      try {
        await api(CONFIG.session_url);
        await sync();
      } catch (error) {
        /* offline or logged out: shown already */
      }
    }
  });
})();

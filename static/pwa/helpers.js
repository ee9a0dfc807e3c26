/* 我的走访: the app's helpers that hold no state of the page — building elements, dates,
 * the visit form's rules (the server's, checked before an entry is queued), the photo's
 * resizing, and the body and error text of one sync request. Loaded before app.js. */
"use strict";

window.VisitHelpers = (function () {
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, name) => (name in values ? values[name] : ""));
  }
  function localDate(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }
  function when(iso) {
    return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "";
  }
  function newId() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "e" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }
  function fillSelect(select, options, blank) {
    select.replaceChildren();
    if (blank !== undefined) select.append(el("option", { value: "" }, blank));
    for (const option of options) select.append(el("option", { value: option.value }, option.label));
  }
  function validate(data, T, CONFIG, currentStatus) {
    const errors = {};
    const today = localDate(new Date());
    if (!data.visit_date) errors.visit_date = T.required_date;
    else if (data.visit_date > today) errors.visit_date = T.future_date;
    else if (data.visit_date < "1990-01-01") errors.visit_date = T.old_date;
    if (!data.children.length) errors.children = T.required_children;
    if (!data.visitors) errors.visitors = T.required_visitors;
    const teachers = data.teacher_visitors;
    if (teachers !== "" && teachers !== null && teachers !== undefined) {
      const count = Number(teachers);
      if (!Number.isInteger(count) || count < 0 || count > CONFIG.teacher_visitors_max) {
        errors.teacher_visitors = format(T.teacher_visitors_range, { max: CONFIG.teacher_visitors_max });
      }
    }
    if (!data.findings) errors.findings = T.required_findings;
    if (!data.outcome) errors.outcome = T.required_outcome;
    if (data.new_status) {
      if (CONFIG.on_roll_statuses.includes(data.new_status) && !data.school) errors.school = T.required_school;
      if (data.new_status === CONFIG.in_school_status && !data.grade) errors.grade = T.required_grade;
      if (data.new_status === CONFIG.outside_county_status && !data.outside_school_name) {
        errors.outside_school_name = T.required_outside;
      }
      if (data.new_status === currentStatus && !CONFIG.on_roll_statuses.includes(data.new_status)) {
        errors.new_status = T.same_status;
      }
    }
    if (data.persuasion) {
      if (!data.what_was_said) errors.what_was_said = T.required_field;
      if (!data.family_answer) errors.family_answer = T.required_field;
      if (!data.result) errors.result = T.required_field;
      if (data.officers.length === 1) errors.officers = T.two_officers;
    }
    return errors;
  }

  // Photos are made smaller on the phone (longest side 1280 px, JPEG) before they are stored.
  async function resizePhoto(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1280 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
    const thumb = document.createElement("canvas");
    const thumbScale = Math.min(1, 160 / Math.max(canvas.width, canvas.height));
    thumb.width = Math.round(canvas.width * thumbScale);
    thumb.height = Math.round(canvas.height * thumbScale);
    thumb.getContext("2d").drawImage(canvas, 0, 0, thumb.width, thumb.height);
    return { blob, preview: thumb.toDataURL("image/jpeg", 0.7) };
  }

  function label(options, value) {
    const found = (options || []).find((option) => option.value === String(value));
    return found ? found.label : value;
  }

  function syncBody(entry) {
    const form = new FormData();
    const data = entry.data;
    form.append("child", entry.child);
    form.append("seen_version", entry.seen_version);
    form.append("force", entry.force ? "true" : "false");
    form.append("client_entry", entry.id);
    form.append("teacher_visitors", data.teacher_visitors || 0);
    for (const name of ["visit_date", "visitors", "findings", "outcome", "follow_up", "new_status", "class_name", "outside_school_name", "status_reason"]) {
      form.append(name, data[name] || "");
    }
    for (const id of data.children) form.append("children", id);
    if (data.school) form.append("school", data.school);
    if (data.grade) form.append("grade", data.grade);
    form.append("persuasion", data.persuasion ? "true" : "false");
    if (data.persuasion) {
      form.append("what_was_said", data.what_was_said);
      form.append("family_answer", data.family_answer);
      form.append("result", data.result);
      for (const id of data.officers || []) form.append("officers", id);
    }
    if (entry.photo) form.append("attachment", entry.photo, `visit-${entry.id}.jpg`);
    return form;
  }

  // One entry of a batch (POST visit-sync/batch/): the single sync's fields as JSON, with
  // its idempotency key as client_entry; `part` names the multipart part of its photo.
  function batchEntry(entry, part) {
    const data = entry.data;
    const item = {
      client_entry: `visit-${entry.id}-${entry.rev}`,
      child: entry.child,
      seen_version: entry.seen_version,
      force: !!entry.force,
      teacher_visitors: Number(data.teacher_visitors || 0),
      children: data.children,
      school: data.school || null,
      grade: data.grade || null,
      persuasion: !!data.persuasion,
    };
    for (const name of ["visit_date", "visitors", "findings", "outcome", "follow_up", "new_status", "class_name", "outside_school_name", "status_reason"]) {
      item[name] = data[name] || "";
    }
    if (data.persuasion) {
      item.what_was_said = data.what_was_said;
      item.family_answer = data.family_answer;
      item.result = data.result;
      item.officers = data.officers || [];
    }
    if (part) item.attachment = part;
    return item;
  }

  function errorText(answer, T) {
    if (!answer || typeof answer !== "object") return T.rejected_generic;
    const parts = [];
    for (const [field, value] of Object.entries(answer)) {
      const texts = Array.isArray(value) ? value : [value];
      parts.push(texts.map((t) => (typeof t === "string" ? t : JSON.stringify(t))).join(" "));
      if (field === "detail") break;
    }
    return parts.join("；") || T.rejected_generic;
  }

  return { el, format, localDate, when, newId, fillSelect, validate, resizePhoto, label, syncBody, batchEntry, errorText };
})();

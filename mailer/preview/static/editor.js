// mailer editor: the Edit panel of the preview page. Every change is sent to the server
// as a draft (POST /api/draft), which re-renders the preview and re-runs the checks without
// saving; findings come back with the field they are about. Save (POST /api/save) writes
// the snippet file. Both requests carry this run's token, which only this page knows.
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const meta = (name) => {
    const el = document.querySelector(`meta[name="${name}"]`);
    return el ? el.getAttribute("content") : "";
  };
  const token = meta("mailer-token");
  const DRAFT_DELAY_MS = 200;

  let form = null;       // the form's values (see mailer/preview/editor.py form_from_data)
  let doc = null;        // path, name, sha, is_new from /api/editor
  let dirty = false;
  let draftTimer = null;
  let draftSeq = 0;
  let canSave = true;
  let saving = false;
  let conflictSha = null;
  let current = "";      // the language being edited: "" for the English, else its tag
  const langs = {};      // tag -> {doc, texts, dirty, canSave, conflictSha, untranslated}

  const editor = $("editor");
  if (!editor) return;

  // ---- opening and closing the panel ----------------------------------------------------

  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "btn primary ed-toggle";
  toggle.id = "ed-open";
  toggle.textContent = "Edit";
  toggle.setAttribute("aria-controls", "editor");
  const top = document.querySelector(".top");
  if (top) top.append(toggle);

  function setOpen(open) {
    editor.hidden = !open;
    document.body.classList.toggle("is-editing", open);
    toggle.hidden = open;
    toggle.setAttribute("aria-expanded", String(open));
  }
  toggle.addEventListener("click", () => { setOpen(true); $("ed-title").focus(); });
  $("ed-close").addEventListener("click", () => { setOpen(false); toggle.focus(); });
  setOpen(meta("mailer-editor") === "open");

  // Shown over the preview while a field has an error: the preview keeps the last version
  // without one, rather than vanishing at every keystroke of a half-typed address.
  const stale = document.createElement("p");
  stale.id = "ed-stale";
  stale.className = "ed-stale";
  stale.setAttribute("role", "status");
  stale.hidden = true;
  stale.textContent = "The preview shows the advisory before your latest change: fix the field marked in red in the Edit panel to see it here.";
  const viewerToolbar = document.querySelector("#viewer .toolbar");
  if (viewerToolbar) viewerToolbar.after(stale);

  // Title and subject are one line: Enter does not add a line break.
  for (const el of editor.querySelectorAll(".ed-one-line")) {
    el.addEventListener("keydown", (event) => { if (event.key === "Enter") event.preventDefault(); });
  }

  const hint = document.querySelector("#problem .hint");
  if (hint) hint.textContent = "Fix it in the Edit panel (the field is marked in red), or in your text editor. This page updates by itself.";

  // ---- values by path ("links.0.links.1.url") -------------------------------------------

  function getPath(path) {
    return path.split(".").reduce((obj, key) => (obj == null ? obj : obj[key]), form);
  }

  function setPath(path, value) {
    const keys = path.split(".");
    let obj = form;
    for (const key of keys.slice(0, -1)) obj = obj[key];
    obj[keys[keys.length - 1]] = value;
  }

  // ---- loading ------------------------------------------------------------------------

  async function load() {
    const res = await fetch("/api/editor", { cache: "no-store" });
    doc = await res.json();
    showPath();
    if (doc.is_new) {
      $("title").textContent = "New advisory";
      const heading = document.querySelector("#problem h2");
      if (heading) heading.textContent = "Nothing to show yet";
    }
    $("ed-problem").hidden = !doc.problem;
    if (doc.problem) {
      $("ed-problem").textContent = `The form cannot read this file: ${doc.problem} Fix that line in a text editor and save; then reload this page.`;
      $("ed-form").hidden = true;
      $("ed-save").disabled = true;
      return;
    }
    form = doc.form;
    fillLanguages(doc.languages || []);
    $("ed-form").hidden = Boolean(current);
    $("ed-name-row").hidden = !doc.is_new;
    $("ed-name").value = doc.is_new ? "" : doc.name;
    $("ed-name-preview").textContent = nameValue();
    fillFields();
    renderLists();
    dirty = false;
    conflictSha = null;
    $("ed-conflict").hidden = true;
    updateSaveButton();
    sendDraft();
  }

  function showPath() {
    $("ed-file-label").textContent = doc.is_new ? "New advisory, not saved yet. It will be saved in" : "Saved in";
    $("ed-path").textContent = doc.is_new ? `snippets/${nameValue()}.yaml` : doc.path;
  }

  function fillFields() {
    for (const el of editor.querySelectorAll("#ed-form > fieldset [data-field]")) {
      const field = el.dataset.field;
      if (field === "name" || field.startsWith("links.") || field.startsWith("sources.")) continue;
      el.value = getPath(field) ?? "";
    }
    updateCounts();
  }

  // ---- links and sources -------------------------------------------------------------------

  function labelled(labelText, control, id) {
    const wrap = document.createElement("div");
    wrap.className = "ed-field";
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText;
    control.id = id;
    wrap.append(label, control);
    return wrap;
  }

  function input(field, type) {
    const el = document.createElement(type === "textarea" ? "textarea" : "input");
    if (type === "textarea") el.rows = 2;
    else if (type === "url") {
      el.type = "url";
      el.inputMode = "url";
      el.placeholder = "https://";
      el.spellcheck = false;
    }
    el.dataset.field = field;
    el.value = getPath(field) ?? "";
    return el;
  }

  // Tool buttons are named after their link ("Remove link: Childnet") for screen readers;
  // the name follows the title as it is typed (relabel).
  function smallButton(text, verb, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn small";
    b.textContent = text;
    b.dataset.verb = verb;
    b.addEventListener("click", action);
    return b;
  }

  function relabel(li) {
    const here = li.dataset.path;
    const fallback = `${here.startsWith("sources") ? "source" : "link"} ${Number(here.split(".").pop()) + 1}`;
    const name = getPath(`${here}.title`) || fallback;
    for (const b of li.querySelectorAll(":scope > .ed-link-tools > button")) {
      b.setAttribute("aria-label", `${b.dataset.verb}: ${name}`);
    }
  }

  function renderLists() {
    renderLinkList($("ed-links"), "links", true, 0);
    renderLinkList($("ed-sources"), "sources", false, 0);
  }

  function renderLinkList(ol, path, nested, depth) {
    ol.replaceChildren();
    const items = getPath(path);
    items.forEach((link, i) => {
      const here = `${path}.${i}`;
      const li = document.createElement("li");
      li.className = "ed-link";
      li.dataset.path = here;
      const what = nested ? "link" : "source";
      const id = `ed-${here.replaceAll(".", "-")}`;
      li.append(labelled("Title", input(`${here}.title`), `${id}-title`));
      li.append(labelled("Web address", input(`${here}.url`, "url"), `${id}-url`));
      if (nested) li.append(labelled("Description (optional)", input(`${here}.description`, "textarea"), `${id}-description`));
      const tools = document.createElement("div");
      tools.className = "ed-link-tools";
      if (i > 0) tools.append(smallButton("\u2191 Up", `Move ${what} up`, () => move(path, i, -1)));
      if (i < items.length - 1) tools.append(smallButton("\u2193 Down", `Move ${what} down`, () => move(path, i, 1)));
      if (nested && i > 0) tools.append(smallButton("Put under the link above", "Put under the link above", () => nest(path, i)));
      if (nested && depth > 0) tools.append(smallButton("Move out", "Move out of the group", () => unnest(path, i)));
      tools.append(smallButton("Remove", `Remove ${what}`, () => remove(path, i)));
      li.append(tools);
      relabel(li);
      if (nested && link.links && link.links.length) {
        const sub = document.createElement("ol");
        sub.className = "ed-links ed-sublinks";
        li.append(sub);
        renderLinkList(sub, `${here}.links`, true, depth + 1);
      }
      ol.append(li);
    });
  }

  function structural(focusPath) {
    renderLists();
    changed();
    if (focusPath) {
      const el = editor.querySelector(`[data-field="${focusPath}"]`);
      if (el) el.focus();
    }
  }

  function move(path, i, step) {
    const list = getPath(path);
    const [item] = list.splice(i, 1);
    list.splice(i + step, 0, item);
    structural(`${path}.${i + step}.title`);
  }

  function nest(path, i) {
    const list = getPath(path);
    const [item] = list.splice(i, 1);
    const parent = list[i - 1];
    parent.links = parent.links || [];
    const children = item.links || [];
    item.links = [];
    parent.links.push(item, ...children);
    structural(`${path}.${i - 1}.links.${parent.links.length - 1 - children.length}.title`);
  }

  function unnest(path, i) {
    const list = getPath(path);
    const [item] = list.splice(i, 1);
    const parentPath = path.replace(/\.links$/, "");
    const grandPath = parentPath.replace(/\.\d+$/, "");
    const parentIndex = Number(parentPath.split(".").pop());
    const grand = getPath(grandPath);
    grand.splice(parentIndex + 1, 0, item);
    structural(`${grandPath}.${parentIndex + 1}.title`);
  }

  function remove(path, i) {
    getPath(path).splice(i, 1);
    structural(null);
  }

  $("ed-add-link").addEventListener("click", () => {
    form.links.push({ title: "", url: "", description: "", links: [] });
    structural(`links.${form.links.length - 1}.title`);
  });
  $("ed-add-source").addEventListener("click", () => {
    form.sources.push({ title: "", url: "" });
    structural(`sources.${form.sources.length - 1}.title`);
  });

  // ---- typing ------------------------------------------------------------------------

  editor.addEventListener("input", (event) => {
    const el = event.target;
    if (el.closest && el.closest("#ed-tform, #ed-add-lang, #ed-lang-row")) return;
    if (!form || !el.dataset || !el.dataset.field) return;
    if (el.dataset.field === "name") {
      $("ed-name-preview").textContent = nameValue();
      showPath();
      dirty = true;
      updateSaveButton();
      return;
    }
    setPath(el.dataset.field, el.value);
    touched.add(el.dataset.field);
    if (/^(links|sources)\..*\.title$/.test(el.dataset.field)) relabel(el.closest(".ed-link"));
    if (doc.is_new && el.dataset.field === "title" && !$("ed-name").dataset.touched) {
      $("ed-name").value = slug(el.value);
      $("ed-name-preview").textContent = nameValue();
      showPath();
    }
    changed();
  });
  $("ed-name").addEventListener("input", () => { $("ed-name").dataset.touched = "1"; });

  function slug(text) {
    return (text.toLowerCase().match(/[a-z0-9]+/g) || []).join("-").slice(0, 60).replace(/-+$/, "");
  }

  function nameValue() {
    return slug($("ed-name").value) || "new-advisory";
  }

  function changed() {
    dirty = true;
    updateCounts();
    updateSaveButton();
    setStatus("Not saved yet");
    clearTimeout(draftTimer);
    draftTimer = setTimeout(sendDraft, DRAFT_DELAY_MS);
  }

  function updateCounts() {
    if (!form) return;
    const limits = (doc && doc.limits) || {};
    const count = (id, text, soft) => {
      const n = [...(text || "").trim()].length;
      $(id).textContent = `${n} of about ${soft} characters.`;
      $(id).classList.toggle("is-over", n > soft);
    };
    count("ed-subject-count", form.subject, limits.subject_warn || 70);
    count("ed-preheader-count", form.preheader, limits.preheader_warn || 150);
  }

  // ---- drafts and findings ------------------------------------------------------------

  // Every POST (draft, save, reopen, a new language) is sent after the one before it has
  // been answered, so the server carries them out in the order the page made them. Sent
  // together, two requests are carried out by two of the server's threads in either order
  // (under load, often the older one last): an older draft carried out last put the words
  // from before the latest change back into the preview, while the page, which drops an
  // older answer, believed it showed the newest. A request whose ``wanted()`` says false
  // when its turn comes (a newer draft of the same text is waiting) is not sent: null.
  let lane = Promise.resolve();
  function post(url, body, wanted) {
    const turn = lane.then(() => (wanted && !wanted() ? null : send(url, body)));
    lane = turn.catch(() => {});
    return turn;
  }

  async function send(url, body) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, ...body }),
      cache: "no-store",
    });
    let data = {};
    try { data = await res.json(); } catch (err) { data = { error: `The preview answered ${res.status}.` }; }
    return { status: res.status, data };
  }

  async function sendDraft() {
    draftTimer = null;
    if (!form) return;
    const seq = ++draftSeq;
    try {
      const answer = await post("/api/draft", { form }, () => seq === draftSeq);
      if (!answer || seq !== draftSeq) return; // a newer draft is on its way
      const { status, data } = answer;
      if (current) { canSave = status === 200 ? data.can_save : canSave; return; }
      if (status !== 200) { setStatus(data.error || "The preview could not update."); return; }
      showFindings(data.findings);
      stale.hidden = !data.stale;
      canSave = data.can_save;
      updateSaveButton();
    } catch (err) {
      if (seq === draftSeq) setStatus("Lost contact with the preview: your changes are still here, not saved.");
    }
  }

  const LABELS = {
    title: "Title", subject: "Subject", preheader: "Inbox preview line", date: "Date",
    reviewed: "Review date", reviewed_by: "Checked by", language: "Language", audience: "Audience", body: "Text",
    links_heading: "Heading above the links", "call_to_action.text": "Button words",
    "call_to_action.url": "Button address", "call_to_action.description": "Button sentence",
  };

  function fieldLabel(field) {
    if (current) {
      const t = langs[current];
      const found = t && t.doc.fields && t.doc.fields.find((f) => f.key === field);
      return found ? found.label : (field || "The email");
    }
    if (LABELS[field]) return LABELS[field];
    const m = field.match(/^(links|sources)\.(.*)\.(title|url|description)$/);
    if (m) {
      const title = getPath(field.replace(/\.(title|url|description)$/, ".title")) || "untitled";
      const part = { title: "title", url: "address", description: "description" }[m[3]];
      return `${m[1] === "links" ? "Link" : "Source"} \u201c${title}\u201d, ${part}`;
    }
    return field ? field : "The email";
  }

  function activeForm() { return current ? $("ed-tform") : $("ed-form"); }

  function fieldElement(field) {
    if (!field) return null;
    const within = activeForm();
    return within.querySelector(`[data-field="${CSS.escape(field)}"]`)
      || (current ? null : within.querySelector(`[data-field^="${CSS.escape(field)}."]`));
  }

  // A new advisory starts empty: an empty field nobody has typed in yet is listed as a
  // thing to fill in, not shouted about in red. (Not on leaving a field: the list would
  // change height under the mouse between press and release, and swallow the click.)
  const touched = new Set();

  function quiet(f) {
    if (current) return false;
    return doc && doc.is_new && f.source === "form" && !touched.has(f.field) && !getPath(f.field);
  }

  function showFindings(findings) {
    for (const el of editor.querySelectorAll(".ed-msg")) el.remove();
    for (const el of editor.querySelectorAll("[aria-invalid]")) {
      el.removeAttribute("aria-invalid");
      el.classList.remove("is-error", "is-warning");
      const ids = (el.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && !x.startsWith("ed-msg-"));
      if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
      else el.removeAttribute("aria-describedby");
    }
    const summary = $("ed-summary");
    summary.replaceChildren();
    const errors = findings.filter((f) => f.severity === "error" && f.source === "form");
    const others = findings.filter((f) => !(f.severity === "error" && f.source === "form"));
    const head = document.createElement("p");
    const toFill = errors.length > 0 && errors.every(quiet);
    head.className = errors.length && !toFill ? "ed-sum-line is-error" : "ed-sum-line";
    if (toFill) head.classList.add("is-todo");
    head.textContent = toFill ? "To save, fill in:"
      : errors.length ? `${errors.length} thing${errors.length === 1 ? "" : "s"} to fix before you can save${others.length ? `, and ${others.length} suggestion${others.length === 1 ? "" : "s"}` : ""}:`
      : findings.length ? `No mistakes. ${findings.length} suggestion${findings.length === 1 ? "" : "s"} from the checks:` : "No mistakes. The checks found nothing to fix.";
    summary.append(head);
    const list = document.createElement("ul");
    list.className = "ed-sum-list";
    findings.forEach((f, n) => {
      const el = fieldElement(f.field);
      const id = `ed-msg-${n}`;
      if (el && !quiet(f)) {
        const msg = document.createElement("p");
        msg.className = `ed-msg is-${f.severity}`;
        msg.id = id;
        msg.textContent = `${f.severity === "error" ? "Error" : "Warning"}: ${f.message}`;
        const wrap = el.closest(".ed-field") || el.parentElement;
        wrap.append(msg);
        if (!el.hasAttribute("aria-invalid") || f.severity === "error") {
          el.setAttribute("aria-invalid", String(f.severity === "error"));
          el.classList.add(`is-${f.severity}`);
        }
        el.setAttribute("aria-describedby", `${el.getAttribute("aria-describedby") || ""} ${id}`.trim());
      }
      const li = document.createElement("li");
      li.className = quiet(f) ? "is-todo" : `is-${f.severity}`;
      const where = document.createElement(el ? "a" : "span");
      where.className = el ? "ed-goto" : "ed-where";
      where.textContent = f.field ? fieldLabel(f.field) : "The email as a whole";
      if (el) {
        where.href = `#${el.id}`;
        where.dataset.goto = f.field;
        where.addEventListener("click", (event) => {
          event.preventDefault();
          const target = fieldElement(f.field);
          if (target) { target.scrollIntoView({ block: "center" }); target.focus(); }
        });
      }
      const text = document.createElement("span");
      text.textContent = quiet(f) ? "" : `: ${f.message}${f.check_id ? ` (check ${f.check_id})` : ""}`;
      li.append(where, text);
      list.append(li);
    });
    if (findings.length) summary.append(list);
  }

  // ---- saving --------------------------------------------------------------------------

  const statuses = { "": "" }; // the status line of each language

  function setStatus(text, tag) {
    const which = tag === undefined ? current : tag;
    statuses[which] = text;
    if (which === current) $("ed-status").textContent = text;
  }

  function updateSaveButton() {
    if (current) {
      const t = langs[current];
      const ready = t && t.doc && t.doc.fields;
      const pending = t && (t.dirty || t.doc.is_new);
      $("ed-save").disabled = saving || !ready || !t.canSave || !pending;
      $("ed-save").textContent = pending ? `Save ${t.doc.name}` : "Saved";
      markLanguages();
      return;
    }
    $("ed-save").disabled = saving || !form || !canSave || !(dirty || (doc && doc.is_new));
    $("ed-save").textContent = dirty || (doc && doc.is_new) ? "Save" : "Saved";
    markLanguages();
  }

  async function save(overwrite) {
    if (!form || saving) return;
    clearTimeout(draftTimer);
    saving = true;
    updateSaveButton();
    setStatus("Saving\u2026");
    const path = doc.is_new ? `snippets/${nameValue()}.yaml` : doc.path;
    try {
      const { status, data } = await post("/api/save", { form, path, sha: doc.sha, overwrite: overwrite === true });
      saving = false;
      if (status === 200) {
        dirty = false;
        doc.sha = data.sha;
        doc.path = data.path;
        doc.name = data.name;
        if (doc.is_new) {
          const heading = document.querySelector("#problem h2");
          if (heading) heading.textContent = "There is a mistake to fix";
        }
        doc.is_new = false;
        conflictSha = null;
        $("ed-conflict").hidden = true;
        $("ed-name-row").hidden = true;
        showPath();
        setStatus(`Saved at ${new Date().toLocaleTimeString()}.`, "");
        refreshLanguages();
        updateSaveButton();
        sendDraft();
        return;
      }
      updateSaveButton();
      if (status === 409 && window.confirm(`${data.error} Replace it with your version?`)) {
        save(true);
        return;
      }
      setStatus(status === 409 ? "Not saved: the file on the computer was kept." : `Not saved. ${data.error || ""}`);
    } catch (err) {
      saving = false;
      updateSaveButton();
      setStatus("Not saved: lost contact with the preview. Is the window where you started it still open?");
    }
  }
  $("ed-save").addEventListener("click", () => (current ? saveTranslation(false) : save(false)));
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s" && !editor.hidden) {
      event.preventDefault();
      if (current) saveTranslation(false); else save(false);
    }
  });

  window.addEventListener("beforeunload", (event) => {
    if (!dirty && !Object.values(langs).some((t) => t.dirty)) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // ---- the file on disk -------------------------------------------------------------------

  async function watchDisk() {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      if (!doc || doc.is_new || saving) continue;
      if (current) { await watchTranslation(current); continue; }
      try {
        const res = await fetch("/api/disk", { cache: "no-store" });
        const disk = await res.json();
        if (disk.changed && disk.sha !== doc.sha && disk.sha !== conflictSha) {
          if (!dirty) { // nothing to lose: follow the file
            const { status } = await post("/api/reopen", {});
            if (status === 200 && !dirty) {
              await load();
              setStatus("Updated from the file saved on the computer.");
              continue;
            }
          }
          conflictSha = disk.sha;
          $("ed-conflict").hidden = false;
        }
      } catch (err) { /* the preview's own status line reports a lost connection */ }
    }
  }

  $("ed-reload").addEventListener("click", async () => {
    if (current) { reloadTranslation(current); return; }
    if (dirty && !window.confirm("Load the version saved on the computer? Your unsaved changes here will be lost.")) return;
    const { status, data } = await post("/api/reopen", {});
    if (status === 200) { await load(); setStatus("Loaded the version saved on the computer."); }
    else setStatus(data.error || "Could not load the saved version.");
  });


  // ---- translations: one language at a time, the English beside each field ----------------

  const select = $("ed-lang");
  const ADD = "+add";

  function languageName(tag) {
    const t = langs[tag];
    return t ? t.doc.name : tag;
  }

  // The switch lists English, every translation, and "Add a language"; a language with
  // unsaved changes says so.
  let languageList = [];
  function fillLanguages(list) {
    languageList = list.length ? list : languageList;
    $("ed-lang-row").hidden = Boolean(doc && doc.is_new);
    const keep = current;
    select.replaceChildren();
    for (const l of languageList) {
      const label = l.tag === "en" ? "English (the original)" : `${l.name} (${l.tag})`;
      select.append(new Option(label, l.tag === "en" ? "" : l.tag));
    }
    for (const tag of Object.keys(langs)) {
      if (![...select.options].some((o) => o.value === tag)) select.append(new Option(`${languageName(tag)} (${tag})`, tag));
    }
    select.append(new Option("Add a language\u2026", ADD));
    select.value = keep;
    markLanguages();
  }

  function markLanguages() {
    for (const option of select.options) {
      if (option.value === ADD) continue;
      const unsaved = option.value ? langs[option.value] && (langs[option.value].dirty || langs[option.value].doc.is_new) : dirty;
      const base = option.textContent.replace(/ \u2014 not saved$/, "");
      option.textContent = unsaved ? `${base} \u2014 not saved` : base;
    }
  }

  let languagesSeq = 0;
  async function refreshLanguages() {
    const seq = ++languagesSeq;
    try {
      const res = await fetch("/api/editor", { cache: "no-store" });
      const fresh = await res.json();
      if (seq !== languagesSeq) return; // a newer list is on its way
      fillLanguages(fresh.languages || []);
    } catch (err) { /* the list stays as it was */ }
  }

  select.addEventListener("change", () => {
    const value = select.value;
    if (value === ADD) {
      select.value = current;
      $("ed-add-lang").hidden = false;
      $("ed-new-lang-msg").hidden = true;
      $("ed-new-lang").focus();
      return;
    }
    switchTo(value);
  });

  async function addLanguage() {
    const typed = $("ed-new-lang").value;
    const msg = $("ed-new-lang-msg");
    const { status, data } = await post("/api/language", { language: typed });
    if (status !== 200) {
      msg.textContent = data.error || "That language cannot be added.";
      msg.hidden = false;
      return;
    }
    msg.hidden = true;
    $("ed-add-lang").hidden = true;
    $("ed-new-lang").value = "";
    if (!langs[data.language]) langs[data.language] = newState(data);
    fillLanguages(data.languages || []);
    switchTo(data.language);
  }
  $("ed-new-lang-go").addEventListener("click", addLanguage);
  $("ed-new-lang").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); addLanguage(); }
  });
  $("ed-new-lang-cancel").addEventListener("click", () => {
    $("ed-add-lang").hidden = true;
    select.focus();
  });

  function newState(tdoc) {
    const texts = {};
    for (const f of tdoc.fields || []) texts[f.key] = f.text;
    const review = tdoc.review || { reviewed: false, reviewed_by: "", english_changed: false };
    return { doc: tdoc, texts, review: { reviewed: review.reviewed, reviewed_by: review.reviewed_by, matches_english: false }, dirty: false, canSave: true, conflictSha: null, untranslated: [], timer: null, seq: 0 };
  }

  async function openTranslation(tag) {
    const res = await fetch(`/api/editor?lang=${encodeURIComponent(tag)}`, { cache: "no-store" });
    const data = await res.json();
    if (res.status !== 200) throw new Error(data.error || "cannot open");
    return data;
  }

  // Each choice of language is numbered: a translation that opens after another language
  // was chosen is kept for later, not switched to over the newer choice.
  let switchSeq = 0;

  async function switchTo(tag) {
    const seq = ++switchSeq;
    if (tag === current) return;
    if (!current && draftTimer !== null) {
      // English typed but not sent yet: send it first, so the translation is shown beside
      // the English as it is now, and the preview keeps it.
      clearTimeout(draftTimer);
      draftTimer = null;
      await sendDraft();
      if (seq !== switchSeq) return;
    }
    clearTimeout(draftTimer);
    if (tag && !langs[tag]) {
      let opened;
      try { opened = newState(await openTranslation(tag)); }
      catch (err) {
        if (seq === switchSeq) { select.value = current; setStatus(`Could not open that translation: ${err.message}`); }
        return;
      }
      if (!langs[tag]) langs[tag] = opened;
      if (seq !== switchSeq) return; // another language was chosen meanwhile
    }
    current = tag;
    select.value = tag;
    $("ed-conflict").hidden = !(tag ? langs[tag].conflictSha : conflictSha);
    $("ed-status").textContent = statuses[tag] || "";
    editor.classList.toggle("is-translating", Boolean(tag));
    document.body.classList.toggle("is-translating", Boolean(tag));
    if (!tag) {
      $("ed-tform").hidden = true;
      $("ed-form").hidden = !form;
      $("ed-lang-note").textContent = "";
      showPath();
      if (window.mailerShowLanguage) window.mailerShowLanguage("");
      if (window.mailerShowChecks) window.mailerShowChecks(null);
      updateSaveButton();
      sendDraft();
      return;
    }
    const t = langs[tag];
    $("ed-form").hidden = true;
    const checking = document.createElement("p");
    checking.className = "ed-sum-line is-todo";
    checking.textContent = `Checking the ${t.doc.name}…`;
    $("ed-summary").replaceChildren(checking);
    if (window.mailerShowChecks) window.mailerShowChecks(`${t.doc.name} translation`, null);
    if (window.mailerShowLanguage) window.mailerShowLanguage(tag);
    buildTranslationForm(t);
    $("ed-tform").hidden = false;
    fitAll();
    $("ed-file-label").textContent = t.doc.is_new ? "New translation, not saved yet. It will be saved in" : "Saved in";
    $("ed-path").textContent = t.doc.path;
    updateSaveButton();
    sendTranslationDraft(tag);
  }

  function buildTranslationForm(t) {
    const tform = $("ed-tform");
    tform.replaceChildren();
    const d = t.doc;
    if (d.problem) {
      const p = document.createElement("p");
      p.className = "ed-banner";
      p.setAttribute("role", "alert");
      p.textContent = `The form cannot read this translation: ${d.problem} Fix that line in a text editor and save; then reload this page.`;
      tform.append(p);
      return;
    }
    const intro = document.createElement("p");
    intro.className = "ed-help ed-tintro";
    intro.textContent = `Write the ${d.name} beside each English text. A field left empty sends the English words there. Web addresses stay the English ones.`;
    tform.append(intro);
    let group = null;
    let fieldset = null;
    d.fields.forEach((f, n) => {
      if (f.group !== group) {
        group = f.group;
        fieldset = document.createElement("fieldset");
        fieldset.className = "ed-group";
        const legend = document.createElement("legend");
        legend.textContent = group;
        fieldset.append(legend);
        tform.append(fieldset);
      }
      const id = `ed-t-${n}`;
      const wrap = document.createElement("div");
      wrap.className = "ed-field ed-tfield";
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = f.label;
      const pair = document.createElement("div");
      pair.className = "ed-pair";
      const english = document.createElement("div");
      english.className = "ed-english";
      english.lang = "en";
      english.dir = "ltr";
      english.id = `${id}-en`;
      const tagline = document.createElement("span");
      tagline.className = "ed-english-label";
      tagline.textContent = "English";
      const words = document.createElement("p");
      words.textContent = f.english;
      english.append(tagline, words);
      const target = document.createElement("div");
      target.className = "ed-target";
      const control = document.createElement("textarea");
      control.rows = f.key === "body" ? 16 : 1;
      if (!f.multiline) {
        control.classList.add("ed-one-line");
        control.addEventListener("keydown", (event) => { if (event.key === "Enter") event.preventDefault(); });
      }
      control.id = id;
      control.dataset.field = f.key;
      control.lang = d.language;
      control.dir = d.dir;
      control.placeholder = f.english;
      control.value = t.texts[f.key] || "";
      control.setAttribute("aria-describedby", `${id}-en ${id}-flag`);
      const flag = document.createElement("p");
      flag.className = "ed-untranslated";
      flag.id = `${id}-flag`;
      flag.textContent = `Not translated yet: ${d.name} readers see the English here.`;
      target.append(control, flag);
      pair.append(english, target);
      wrap.append(label, pair);
      fieldset.append(wrap);
    });
    tform.append(reviewBox(t));
    flagUntranslated(t);
    if (!tform.hidden) fitAll();
  }

  // The translation's own record (its "translation:" section), as plain controls: a native
  // speaker has read it (and who), and, when the English changed since it was made, "it says
  // what the English says now". Each is saved with the next Save, never silently.
  function reviewBox(t) {
    const d = t.doc;
    const box = document.createElement("fieldset");
    box.className = "ed-group ed-review";
    box.id = "ed-review";
    const legend = document.createElement("legend");
    legend.textContent = "Checked by a person";
    box.append(legend);
    const check = (id, text, checked, help) => {
      const row = document.createElement("div");
      row.className = "ed-field ed-check";
      const input = document.createElement("input");
      input.type = "checkbox";
      input.id = id;
      input.checked = checked;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = text;
      row.append(input, label);
      if (help) {
        const p = document.createElement("p");
        p.className = "ed-help";
        p.id = `${id}-help`;
        p.textContent = help;
        input.setAttribute("aria-describedby", p.id);
        row.append(p);
      }
      box.append(row);
      return input;
    };
    if (d.review && d.review.english_changed) {
      const matches = check("ed-matches-english", `I have gone through the ${d.name} and it says what the English says now`, t.review.matches_english,
        `The English was changed after this translation was made. Compare each field with the English beside it, correct what differs, then tick this and save.`);
      matches.addEventListener("change", () => { t.review.matches_english = matches.checked; reviewChanged(t); });
    }
    const reviewed = check("ed-reviewed-native", "A native speaker has read this translation and it is right", t.review.reviewed, "");
    const nameRow = document.createElement("div");
    nameRow.className = "ed-field";
    const nameLabel = document.createElement("label");
    nameLabel.htmlFor = "ed-reviewed-name";
    nameLabel.textContent = "Their name";
    const name = document.createElement("input");
    name.id = "ed-reviewed-name";
    name.value = t.review.reviewed_by || "";
    name.autocomplete = "off";
    nameRow.append(nameLabel, name);
    nameRow.hidden = !t.review.reviewed;
    box.append(nameRow);
    reviewed.addEventListener("change", () => {
      t.review.reviewed = reviewed.checked;
      nameRow.hidden = !reviewed.checked;
      reviewChanged(t);
    });
    name.addEventListener("input", () => { t.review.reviewed_by = name.value; reviewChanged(t); });
    return box;
  }

  function reviewChanged(t) {
    t.dirty = true;
    updateSaveButton();
    setStatus("Not saved yet");
    clearTimeout(t.timer);
    const tag = current;
    t.timer = setTimeout(() => sendTranslationDraft(tag), DRAFT_DELAY_MS);
  }

  // A field is as tall as its text (or the English, shown as its placeholder when empty).
  function fit(el) {
    if (el.dataset.field === "body") return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight + 2}px`;
  }
  function fitAll() {
    for (const el of $("ed-tform").querySelectorAll("textarea")) {
      const text = el.value;
      if (!text) el.value = el.placeholder; // measure the English the placeholder shows
      fit(el);
      el.value = text;
    }
  }
  window.addEventListener("resize", () => { if (current) fitAll(); });

  function flagUntranslated(t) {
    let empty = 0;
    for (const el of $("ed-tform").querySelectorAll("[data-field]")) {
      const isEmpty = !(t.texts[el.dataset.field] || "").trim();
      empty += isEmpty ? 1 : 0;
      const wrap = el.closest(".ed-tfield");
      wrap.classList.toggle("is-untranslated", isEmpty);
      wrap.querySelector(".ed-untranslated").hidden = !isEmpty;
    }
    const total = (t.doc.fields || []).length;
    $("ed-lang-note").textContent = total
      ? `${t.doc.name}: ${total - empty} of ${total} parts translated${empty ? `; ${empty} still in English (marked \u201cNot translated yet\u201d)` : ""}.`
      : "";
  }

  $("ed-tform").addEventListener("input", (event) => {
    const el = event.target;
    const t = langs[current];
    if (!t || !el.dataset || !el.dataset.field) return;
    t.texts[el.dataset.field] = el.value;
    t.dirty = true;
    if (el.value) fit(el);
    flagUntranslated(t);
    updateSaveButton();
    setStatus("Not saved yet");
    clearTimeout(t.timer);
    const tag = current;
    t.timer = setTimeout(() => sendTranslationDraft(tag), DRAFT_DELAY_MS);
  });

  async function sendTranslationDraft(tag) {
    const t = langs[tag];
    if (!t || !t.doc.fields) return;
    const seq = ++t.seq;
    try {
      const answer = await post("/api/draft", { language: tag, texts: t.texts, fields: t.doc.fields_digest, review: t.review },
        () => seq === t.seq && langs[tag] === t);
      if (!answer || seq !== t.seq || langs[tag] !== t || current !== tag) return;
      const { status, data } = answer;
      if (status === 409 && data.fields_changed) { await refit(tag, data.error); return; }
      if (status !== 200) { setStatus(data.error || "The preview could not update."); return; }
      t.canSave = data.can_save;
      showFindings(data.findings);
      if (window.mailerShowChecks) window.mailerShowChecks(`${data.language || t.doc.name} translation`, data.findings);
      stale.hidden = !data.stale;
      updateSaveButton();
      if (window.mailerShowLanguage) window.mailerShowLanguage(tag);
      if (t.doc.is_new) fillLanguages(languageList);
    } catch (err) {
      if (seq === t.seq) setStatus("Lost contact with the preview: your changes are still here, not saved.");
    }
  }

  async function saveTranslation(overwrite) {
    const tag = current;
    const t = langs[tag];
    if (!t || saving) return;
    clearTimeout(t.timer);
    saving = true;
    updateSaveButton();
    setStatus("Saving\u2026", tag);
    try {
      const { status, data } = await post("/api/save", { language: tag, texts: t.texts, path: t.doc.path, sha: t.doc.sha, overwrite: overwrite === true, fields: t.doc.fields_digest, review: t.review });
      saving = false;
      if (status === 409 && data.fields_changed) { updateSaveButton(); await refit(tag, data.error); return; }
      if (status === 200) {
        t.dirty = false;
        t.conflictSha = null;
        t.doc.sha = data.sha;
        t.doc.is_new = false;
        if (data.review) {
          t.doc.review = data.review;
          t.review = { reviewed: data.review.reviewed, reviewed_by: data.review.reviewed_by, matches_english: false };
          if (current === tag) $("ed-review").replaceWith(reviewBox(t));
        }
        $("ed-conflict").hidden = true;
        $("ed-file-label").textContent = "Saved in";
        setStatus(`${t.doc.name} saved at ${new Date().toLocaleTimeString()}.`, tag);
        updateSaveButton();
        refreshLanguages();
        return;
      }
      updateSaveButton();
      if (status === 409 && window.confirm(`${data.error} Replace it with your version?`)) {
        saveTranslation(true);
        return;
      }
      setStatus(status === 409 ? "Not saved: the file on the computer was kept." : `Not saved. ${data.error || ""}`, tag);
    } catch (err) {
      saving = false;
      updateSaveButton();
      setStatus("Not saved: lost contact with the preview. Is the window where you started it still open?", tag);
    }
  }

  async function watchTranslation(tag) {
    const t = langs[tag];
    if (!t || t.doc.is_new) return;
    try {
      const res = await fetch(`/api/disk?lang=${encodeURIComponent(tag)}`, { cache: "no-store" });
      const disk = await res.json();
      if (disk.changed && disk.sha !== t.doc.sha && disk.sha !== t.conflictSha) {
        if (!t.dirty) { await reloadTranslation(tag, true); return; }
        t.conflictSha = disk.sha;
        if (current === tag) $("ed-conflict").hidden = false;
      }
    } catch (err) { /* the preview's own status line reports a lost connection */ }
  }

  // The English changed under the translation: read the fields again, keeping what was
  // typed. When the fields are the same ones (words of the English changed), every text
  // stays at its field; when they were renumbered (a paragraph added), a text stays only
  // where the English beside it is still the same, so none lands one paragraph off.
  async function refit(tag, message) {
    const old = langs[tag];
    const fresh = newState(await openTranslation(tag));
    const keys = (fields) => (fields || []).map((f) => f.key).join("\u0000");
    const sameFields = keys(old.doc.fields) === keys(fresh.doc.fields);
    const englishOf = Object.fromEntries((old.doc.fields || []).map((f) => [f.key, f.english]));
    for (const f of fresh.doc.fields || []) {
      if (old.texts[f.key] === undefined) continue;
      if (sameFields || englishOf[f.key] === f.english) fresh.texts[f.key] = old.texts[f.key];
    }
    fresh.dirty = old.dirty;
    fresh.review = { ...old.review, matches_english: false }; // the English changed again
    fresh.doc.is_new = old.doc.is_new;
    langs[tag] = fresh;
    if (current === tag) {
      buildTranslationForm(fresh);
      fitAll();
      updateSaveButton();
      sendTranslationDraft(tag);
    }
    setStatus(message, tag);
  }

  async function reloadTranslation(tag, quietly) {
    const t = langs[tag];
    if (!quietly && t.dirty && !window.confirm(`Load the ${t.doc.name} saved on the computer? Your unsaved changes to it here will be lost.`)) return;
    const { status, data } = await post("/api/reopen", { language: tag });
    if (status !== 200) { setStatus(data.error || "Could not load the saved version.", tag); return; }
    langs[tag] = newState(data);
    if (current === tag) {
      $("ed-conflict").hidden = true;
      buildTranslationForm(langs[tag]);
      updateSaveButton();
      sendTranslationDraft(tag);
    }
    setStatus(quietly ? "Updated from the file saved on the computer." : "Loaded the version saved on the computer.", tag);
  }

  // ---- formatting buttons ----------------------------------------------------------------

  function edit(textarea, transform) {
    const { selectionStart: start, selectionEnd: end, value } = textarea;
    const result = transform(value, start, end);
    textarea.focus();
    textarea.setRangeText(result.text, result.from, result.to, "select");
    if (result.select) textarea.setSelectionRange(result.select[0], result.select[1]);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function lineBounds(value, start, end) {
    const from = value.lastIndexOf("\n", start - 1) + 1;
    let to = value.indexOf("\n", end > start && value[end - 1] === "\n" ? end - 1 : end);
    if (to < 0) to = value.length;
    return [from, to];
  }

  const FORMATS = {
    bold(value, start, end) {
      const words = value.slice(start, end) || "bold words";
      return { text: `**${words}**`, from: start, to: end, select: [start + 2, start + 2 + words.length] };
    },
    link(value, start, end) {
      const words = value.slice(start, end) || "the words to click";
      const text = `[${words}](https://)`;
      const at = start + words.length + 3;
      return { text, from: start, to: end, select: [at, at + 8] };
    },
    heading(value, start, end) {
      const [from, to] = lineBounds(value, start, end);
      const line = value.slice(from, to).replace(/^(#+|[-*])\s+/, "") || "A heading";
      const before = from > 0 && value[from - 2] !== "\n" ? "\n" : "";
      const text = `${before}## ${line}`;
      return { text, from, to, select: [from + before.length + 3, from + text.length] };
    },
    bullet(value, start, end) {
      const [from, to] = lineBounds(value, start, end);
      const lines = value.slice(from, to).split("\n");
      const text = lines.map((l) => (/^\s*-\s/.test(l) ? l : `- ${l}`)).join("\n");
      return { text, from, to, select: [from + text.length, from + text.length] };
    },
  };

  for (const button of editor.querySelectorAll("[data-format]")) {
    button.addEventListener("click", () => edit($("ed-body"), FORMATS[button.dataset.format]));
  }

  load().catch(() => setStatus("The editor could not load the advisory. Reload the page."));
  watchDisk();
})();

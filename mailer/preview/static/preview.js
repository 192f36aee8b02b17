// mailer preview: keeps the page in step with the server, switches views, copies.
// The server answers /api/state?since=N as soon as its version differs from N (long poll),
// so a saved file shows here within a fraction of a second without reloading the page.
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const ui = { tab: "email", width: "desktop", scheme: "light", recipient: -1, lang: "" };
  const cache = { key: null, blockHtml: null, plainText: null };
  let state = null;
  let recipientsSig = "";
  let languagesSig = "";
  let wantedLang = null; // asked for by the Edit panel before the server listed it

  // The Edit panel shows the language it edits ("" = as sent): now, or as soon as the
  // server lists it (a translation not saved yet appears with its first draft).
  window.mailerShowLanguage = (tag) => {
    const select = $("language");
    if (![...select.options].some((o) => o.value === tag)) { wantedLang = tag; return; }
    wantedLang = null;
    if (ui.lang === tag) return;
    ui.lang = tag;
    select.value = tag;
    refreshViews();
  };
  let titleShown = false;

  // While the Edit panel edits a translation, the Checks card shows that language's checks
  // (sent by the panel with each draft), and says which language they are for.
  let panelChecks = null; // {name: "Polish translation", findings: [...] or null (checking)}
  window.mailerShowChecks = (name, findings) => {
    panelChecks = name ? { name, findings } : null;
    if (state) renderChecks(state.checks, state.status);
  };

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function formatSize(chars) {
    const bytes = new TextEncoder().encode(chars).length;
    return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KB`;
  }

  async function fetchText(url) {
    const res = await fetch(url, { cache: "no-store" });
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    return res.text();
  }

  // ---- live state -------------------------------------------------------------------

  async function poll() {
    let since = -1;
    for (;;) {
      try {
        const res = await fetch(`/api/state?since=${since}`, { cache: "no-store" });
        if (!res.ok) throw new Error(String(res.status));
        const next = await res.json();
        since = next.version;
        apply(next);
      } catch (err) {
        since = -1;
        setLive("offline", "Lost contact with the preview. Is the window where you started it still open?");
        await sleep(1000);
      }
    }
  }

  function setLive(kind, text) {
    const live = $("live");
    live.classList.toggle("is-problem", kind === "problem");
    live.classList.toggle("is-offline", kind === "offline");
    $("live-text").textContent = text;
  }

  function apply(next) {
    const previous = state;
    state = next;
    $("snippet-id").textContent = next.snippet;
    if (next.status === "problem") {
      showProblem(next.problem);
      if (!titleShown) {
        // Nothing has been shown yet: say what is wrong, not "Loading the preview...".
        const file = (next.problem.where || "").split(",")[0] || "a file";
        $("title").textContent = `Cannot show the preview: ${file} has a mistake to fix`;
        document.title = "Preview: a mistake to fix";
      }
      setLive("problem", `Waiting for a fix \u00b7 checked ${next.updated}`);
    } else {
      hideProblem();
      titleShown = true;
      showHeading(next);
      $("scheme-note").hidden = !(ui.scheme === "dark" && !next.has_dark_styles);
      setLive("ok", `Up to date \u00b7 updated ${next.updated}`);
    }
    const listChanged = updateRecipients(next) | updateLanguages(next);
    renderChecks(next.checks, next.status);
    const changed = !previous || previous.render_key !== next.render_key
      || previous.status !== next.status || listChanged;
    if (next.status === "ok" && changed) refreshViews();
  }

  // The heading shows the language the switch shows (a translation's own title).
  function showHeading(next) {
    const shown = (next.languages || []).find((l) => l.tag === ui.lang && l.tag !== "en" && l.title);
    const words = shown || next;
    $("title").textContent = words.title;
    $("subject").textContent = words.subject;
    $("preheader").textContent = words.preheader;
    for (const id of ["title", "subject", "preheader"]) {
      $(id).lang = shown ? shown.tag : "";
      $(id).dir = shown ? shown.dir : "";
    }
    document.title = `Preview: ${words.title}`;
  }

  function showProblem(problem) {
    document.body.classList.add("has-problem");
    $("problem").hidden = false;
    $("problem-where").textContent = problem.where || "Where: not known";
    $("problem-message").textContent = capitalise(problem.message);
    const excerpt = $("problem-excerpt");
    excerpt.replaceChildren();
    const width = String(problem.excerpt.length ? problem.excerpt[problem.excerpt.length - 1].line : 0).length;
    for (const row of problem.excerpt) {
      const span = document.createElement("span");
      span.className = row.line === problem.line ? "line is-here" : "line";
      span.textContent = `${String(row.line).padStart(width)}  ${row.text}\n`;
      excerpt.append(span);
    }
    excerpt.hidden = problem.excerpt.length === 0;
    setCopyEnabled(false);
  }

  function hideProblem() {
    document.body.classList.remove("has-problem");
    $("problem").hidden = true;
    void $("email-frame").offsetWidth; // lay the frames out again before they navigate
    setCopyEnabled(true);
  }

  function capitalise(text) {
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }

  function setCopyEnabled(enabled) {
    for (const id of ["copy-block", "copy-html", "copy-text"]) $(id).disabled = !enabled;
  }

  // ---- recipients ---------------------------------------------------------------------

  // Returns true when the choice of recipients changed (the views must be redrawn).
  function updateRecipients(next) {
    if (!next.list) return false;
    $("picker").hidden = false;
    const shown = next.list.shown;
    const total = next.list.total;
    $("picker-note").textContent = total > shown
      ? `The first ${shown} of ${total} recipients in ${next.list.name}.`
      : `${total} recipient${total === 1 ? "" : "s"} in ${next.list.name}.`;
    const sig = JSON.stringify(next.recipients);
    if (sig === recipientsSig) return false;
    const firstTime = recipientsSig === "";
    recipientsSig = sig;
    const select = $("recipient");
    select.replaceChildren(new Option("Any parent/carer (\u201cDear Parent/Carer\u201d)", "-1"));
    for (const r of next.recipients) select.append(new Option(r.label, String(r.index)));
    if (firstTime) ui.recipient = next.recipients.length ? 0 : -1;
    else if (ui.recipient >= next.recipients.length) ui.recipient = -1;
    select.value = String(ui.recipient);
    return !firstTime;
  }

  // ---- languages ----------------------------------------------------------------------

  // The language switch: "As sent" (each recipient's own language where a translation
  // exists), English, then each translation. Returns true when the choice changed.
  // A state with a mistake to fix lists no languages: the switch and the language shown stay
  // as they were (a half-saved mailer.yaml must not send the preview back to English while
  // the Edit panel edits a translation). A language that an update no longer lists is shown
  // again, as asked, as soon as it is listed again.
  function updateLanguages(next) {
    if (next.status !== "ok" || !next.languages) return false;
    const langs = next.languages;
    $("language-picker").hidden = langs.length < 2;
    const sig = JSON.stringify(langs);
    if (sig === languagesSig) return false;
    languagesSig = sig;
    const select = $("language");
    select.replaceChildren(new Option("As sent (each parent's own language)", ""));
    for (const l of langs) select.append(new Option(l.name, l.tag));
    if (wantedLang !== null && langs.some((l) => l.tag === wantedLang)) {
      ui.lang = wantedLang;
      wantedLang = null;
    }
    if (ui.lang && !langs.some((l) => l.tag === ui.lang)) {
      if (wantedLang === null) wantedLang = ui.lang;
      ui.lang = "";
    }
    select.value = ui.lang;
    const unreviewed = langs.filter((l) => !l.native_speaker_reviewed).map((l) => l.name);
    $("language-note").textContent = unreviewed.length
      ? `Not yet reviewed by a native speaker: ${unreviewed.join(", ")}.` : "";
    return true;
  }

  // ---- views --------------------------------------------------------------------------

  // Each refresh is numbered: an answer for an older one (another language, recipient or
  // render) that arrives after a newer one is dropped, never shown over it.
  let viewSeq = 0;

  function refreshViews() {
    if (!state || state.status !== "ok") return;
    showHeading(state);
    const seq = ++viewSeq;
    const key = state.render_key;
    const r = ui.recipient;
    const lang = encodeURIComponent(ui.lang);
    $("email-frame").src = `/view/email?r=${r}&scheme=${ui.scheme}&lang=${lang}&k=${key}`;
    $("block-frame").src = `/view/block?r=${r}&scheme=${ui.scheme}&lang=${lang}&k=${key}`;
    fetchText(`/view/text?r=${r}&lang=${lang}&k=${key}`)
      .then((t) => { if (seq === viewSeq) $("text-part").textContent = t; }).catch(() => {});
    fetchText(`/view/source?r=${r}&lang=${lang}&k=${key}`)
      .then((source) => { if (seq === viewSeq) showSource(source); }).catch(() => {});
    const copyKey = `${key}|${lang}|${r}`;
    if (cache.key !== copyKey) {
      cache.key = copyKey;
      cache.blockHtml = null;
      cache.plainText = null;
      Promise.all([fetchText(`/copy/block.html?r=${r}&lang=${lang}`),
                   fetchText(`/copy/text?r=${r}&lang=${lang}`)])
        .then(([html, text]) => {
          if (cache.key === copyKey) { cache.blockHtml = html; cache.plainText = text; }
        }).catch(() => {});
    }
  }

  function showSource(source) {
    const end = source.indexOf("\n\n");
    const head = end >= 0 ? source.slice(0, end) : source;
    const rows = [];
    for (const line of head.split("\n")) {
      if (/^[ \t]/.test(line) && rows.length) rows[rows.length - 1][1] += ` ${line.trim()}`;
      else {
        const colon = line.indexOf(":");
        if (colon > 0) rows.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
      }
    }
    const body = $("headers");
    body.replaceChildren();
    for (const [name, value] of rows) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = name;
      const td = document.createElement("td");
      td.textContent = value;
      tr.append(th, td);
      body.append(tr);
    }
    $("source").textContent = source;
  }

  // ---- checks -------------------------------------------------------------------------

  function renderChecks(checks, status) {
    const box = $("checks");
    box.replaceChildren();
    const translated = (state && state.languages || []).length > 1;
    $("checks-title").textContent = panelChecks ? `Checks of the ${panelChecks.name}`
      : translated ? "Checks of the English" : "Checks";
    if (panelChecks) {
      checks = panelChecks.findings === null ? { status: "pending" } : {
        status: "ok",
        findings: panelChecks.findings.map((f) => ({ id: f.check_id || "", severity: f.severity, message: f.message, element: "" })),
      };
    }
    const para = (text, cls) => {
      const p = document.createElement("p");
      p.className = cls;
      p.textContent = text;
      return p;
    };
    if (status === "problem") {
      box.append(para("The checks run again when the mistake is fixed.", "muted"));
      return;
    }
    if (checks.status === "unavailable") {
      box.append(para("Checks not available", "summary"));
      box.append(para("This copy of mailer has no checklist yet ('mailer check').", "muted"));
      return;
    }
    if (checks.status === "pending") {
      box.append(para("Checking\u2026", "muted"));
      return;
    }
    if (checks.status === "failed") {
      box.append(para(checks.message, "summary is-bad"));
      return;
    }
    const errors = checks.findings.filter((f) => f.severity === "error").length;
    const warnings = checks.findings.length - errors;
    if (!checks.findings.length) {
      box.append(para("\u2713 No problems found", "summary is-ok"));
      box.append(para("It follows every rule of the email checklist that can be tested here.", "muted"));
      return;
    }
    const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    box.append(para(`${plural(errors, "error")}, ${plural(warnings, "warning")}`,
      `summary ${errors ? "is-bad" : "is-warn"}`));
    const list = document.createElement("ul");
    list.className = "findings";
    for (const f of checks.findings) {
      const li = document.createElement("li");
      li.className = `finding ${f.severity === "error" ? "error" : "warning"}`;
      const sev = document.createElement("span");
      sev.className = "sev";
      sev.textContent = `${f.severity === "error" ? "Error" : "Warning"} ${f.id}`;
      const msg = document.createElement("p");
      msg.className = "msg";
      msg.textContent = capitalise(f.message);
      li.append(sev, msg);
      if (f.element) {
        const code = document.createElement("code");
        code.textContent = f.element;
        li.append(code);
      }
      list.append(li);
    }
    box.append(list);
  }

  // ---- copying ------------------------------------------------------------------------

  function confirmCopy(text, isError = false) {
    const status = $("copy-status");
    status.classList.toggle("is-error", isError);
    status.textContent = "";
    // A fresh text node each time, so screen readers announce a repeated copy too.
    requestAnimationFrame(() => { status.textContent = text; });
  }

  async function copyData() {
    if (cache.blockHtml === null || cache.plainText === null) {
      const [html, text] = await Promise.all([fetchText(`/copy/block.html?r=${ui.recipient}&lang=${encodeURIComponent(ui.lang)}`), fetchText(`/copy/text?r=${ui.recipient}&lang=${encodeURIComponent(ui.lang)}`)]);
      return { html, text };
    }
    return { html: cache.blockHtml, text: cache.plainText };
  }

  function copyWithEvent(flavours) {
    // Fallback for browsers without ClipboardItem: fill the clipboard from a copy event.
    const onCopy = (event) => {
      for (const [type, value] of Object.entries(flavours)) event.clipboardData.setData(type, value);
      event.preventDefault();
    };
    document.addEventListener("copy", onCopy, { once: true });
    const ok = document.execCommand("copy");
    document.removeEventListener("copy", onCopy);
    if (!ok) throw new Error("copy refused");
  }

  async function writeClipboard(flavours) {
    if (navigator.clipboard && window.ClipboardItem) {
      const item = {};
      for (const [type, value] of Object.entries(flavours)) item[type] = new Blob([value], { type });
      await navigator.clipboard.write([new ClipboardItem(item)]);
    } else if (navigator.clipboard && Object.keys(flavours).length === 1 && flavours["text/plain"]) {
      await navigator.clipboard.writeText(flavours["text/plain"]);
    } else {
      copyWithEvent(flavours);
    }
  }

  async function copy(kind) {
    try {
      const { html, text } = await copyData();
      if (kind === "block") {
        await writeClipboard({ "text/html": html, "text/plain": text });
        confirmCopy(`Copied the newsletter block (${formatSize(html)}), with its formatting and a plain-text version. Paste it into your newsletter, Word, Outlook or Google Docs.`);
      } else if (kind === "html") {
        await writeClipboard({ "text/plain": html });
        confirmCopy(`Copied the HTML source of the newsletter block (${formatSize(html)}). Paste it into an HTML or code box.`);
      } else {
        await writeClipboard({ "text/plain": text });
        confirmCopy(`Copied the plain text of the block (${formatSize(text)}), without the greeting and footer.`);
      }
    } catch (err) {
      confirmCopy("Could not copy: the browser did not allow it. Click in this page and try again, or select the text and press Ctrl+C.", true);
    }
  }

  // ---- controls -----------------------------------------------------------------------

  function selectTab(tab, focus) {
    ui.tab = tab;
    for (const button of document.querySelectorAll('[role="tab"]')) {
      const on = button.dataset.tab === tab;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
      $(button.getAttribute("aria-controls")).hidden = !on;
      if (on && focus) button.focus();
    }
    const visual = tab === "email" || tab === "block";
    $("width-switch").disabled = !visual;
    $("scheme-switch").disabled = !visual;
    $("recipient").disabled = tab === "block";
  }

  function setupTabs() {
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    for (const button of tabs) {
      button.addEventListener("click", () => selectTab(button.dataset.tab, false));
      button.addEventListener("keydown", (event) => {
        const i = tabs.indexOf(button);
        let j = null;
        if (event.key === "ArrowRight") j = (i + 1) % tabs.length;
        else if (event.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
        else if (event.key === "Home") j = 0;
        else if (event.key === "End") j = tabs.length - 1;
        if (j === null) return;
        event.preventDefault();
        selectTab(tabs[j].dataset.tab, true);
      });
    }
  }

  function setupSwitches() {
    for (const input of document.querySelectorAll('input[name="width"]')) {
      input.addEventListener("change", () => {
        ui.width = input.value;
        for (const stage of document.querySelectorAll(".stage")) stage.dataset.width = ui.width;
      });
    }
    for (const input of document.querySelectorAll('input[name="scheme"]')) {
      input.addEventListener("change", () => {
        ui.scheme = input.value;
        for (const stage of document.querySelectorAll(".stage")) stage.dataset.scheme = ui.scheme;
        if (state && state.status === "ok") {
          $("scheme-note").hidden = !(ui.scheme === "dark" && !state.has_dark_styles);
        }
        refreshViews();
      });
    }
    $("recipient").addEventListener("change", (event) => {
      ui.recipient = Number(event.target.value);
      refreshViews();
    });
    $("language").addEventListener("change", (event) => {
      ui.lang = event.target.value;
      wantedLang = null;
      refreshViews();
    });
    $("copy-block").addEventListener("click", () => copy("block"));
    $("copy-html").addEventListener("click", () => copy("html"));
    $("copy-text").addEventListener("click", () => copy("text"));
  }

  document.addEventListener("DOMContentLoaded", () => {
    setupTabs();
    setupSwitches();
    selectTab("email", false);
    poll();
  });
})();

// The I Matter activities: one browser module for every activity type (anywidget ESM).
//
// The same file runs in the static book (no kernel: the book's local widget manager loads it)
// and in JupyterLab (anywidget's extension loads it), so every activity answers in both.
// The checking happens here, in the browser. Nothing a learner types or chooses is saved or
// sent anywhere, except the questionnaire, whose answers go to the kernel only when one is
// running (Jupyter) and otherwise stay in this browser until the learner downloads them.
//
// The pure functions (exported by name) hold the rules and the words; render() draws them.

const MAX_ENTRY = 30;

// ------------------------------------------------------------------------------ pure rules
export function checkChoice(spec, chosen) {
  if (chosen === null || chosen === undefined || chosen === "") {
    return { kind: "info", text: "Choose an answer first, then press Check." };
  }
  const why = spec.options[chosen] ?? "";
  if (spec.correct.includes(chosen)) {
    return { kind: "right", lead: "Yes, that's right.", text: why };
  }
  return { kind: "wrong", lead: "Not quite.", text: `${why} Have another look and try again.` };
}

export function sortMarks(spec, answers) {
  // answers: one chosen category (or "") per statement, in order.
  const expected = spec.statements.map(([, category]) => category);
  let right = 0;
  let unsorted = 0;
  const marks = expected.map((category, i) => {
    const chosen = answers[i] || "";
    if (!chosen) {
      unsorted += 1;
      return { kind: "info", text: "Not sorted yet." };
    }
    if (chosen === category) {
      right += 1;
      return { kind: "right", text: "✓ Right." };
    }
    return { kind: "wrong", text: `✗ Not quite: this one belongs in ${category}.` };
  });
  const total = expected.length;
  let text = `You sorted ${right} of ${total} correctly.`;
  if (unsorted) text += ` ${unsorted} still to sort.`;
  const summary =
    right === total
      ? { kind: "right", text: `${text} Well done.` }
      : { kind: "wrong", text: `${text} Look at the ones marked 'Not quite' and think about why.` };
  return { marks, summary };
}

export function ratingSummary(spec, indexes) {
  // indexes: the chosen position on the scale per statement, or null.
  const answered = indexes.filter((i) => i !== null && i !== undefined);
  const highest = (spec.scale.length - 1) * spec.statements.length;
  if (!answered.length) {
    return { total: null, text: "Choose an answer for each statement to see your total." };
  }
  const total = answered.reduce((a, b) => a + b, 0);
  let message = spec.bands[spec.bands.length - 1][1];
  for (const [upper, words] of spec.bands) {
    if (total <= upper) {
      message = words;
      break;
    }
  }
  const left = indexes.length - answered.length;
  const still = left ? ` ${left} ${left === 1 ? "statement" : "statements"} still to answer.` : "";
  return { total, heading: `Your total: ${total} out of ${highest}`, text: message + still };
}

export function looksLikeFullName(entry, roleWords) {
  const roles = new Set(roleWords);
  const nameLike = entry
    .split(/\s+/)
    .filter((w) => /^[A-Z][a-z'-]+$/.test(w) && !roles.has(w.toLowerCase()));
  return nameLike.length >= 2;
}

export function mapEntryProblem(spec, raw) {
  const entry = raw.split(/\s+/).filter(Boolean).join(" ");
  if (!entry) return { entry, problem: "Type a role or initials first." };
  if (entry.length > MAX_ENTRY) {
    return {
      entry,
      problem: `Please keep it short (up to ${MAX_ENTRY} letters): a role or initials.`,
    };
  }
  if (looksLikeFullName(entry, spec.role_words)) {
    return {
      entry,
      problem:
        "That looks like a full name. Please use a role (such as neighbour) or initials " +
        "instead, to keep everyone's privacy.",
    };
  }
  return { entry, problem: null };
}

export function balanceNote(counts, circles) {
  const total = counts.reduce((a, b) => a + b, 0);
  const inner = counts[0];
  const outer = total - inner;
  if (total === 0) {
    return "Add a few people to see your map. Think of home, work, school and community.";
  }
  if (inner === 0) {
    return (
      `There is no one in '${circles[0]}' yet. That is more common than people think, ` +
      "especially at busy or hard times. Is there one person who could come a little closer?"
    );
  }
  if (outer === 0) {
    return (
      `Everyone is in '${circles[0]}'. Close bonds are precious. A few people further out ` +
      "(a neighbour, a colleague, a group) can share the load when those closest are busy."
    );
  }
  if (total <= 3) {
    return (
      "Your map is small right now, and that is fine. Even one steady person makes a " +
      "difference. Who else might you add, even someone you see only now and then?"
    );
  }
  return (
    "There are people close in and people further out. That spread helps: different " +
    "people offer different kinds of support. Is there anyone who could be asked to do a " +
    "little more?"
  );
}

export function normalisePseudonym(code) {
  return String(code || "").split(/\s+/).join("").toUpperCase();
}

export function answersDocument(spec, code, scores, when) {
  // The same schema-versioned answers file that `imatter impact collect` reads.
  const pseudonym = normalisePseudonym(code);
  if (pseudonym.includes("@") || !new RegExp(spec.pseudonym_pattern).test(pseudonym)) {
    return { problem: `Please ${spec.pseudonym_help}.` };
  }
  const missing = spec.items.filter((item) => !scores[item.id]);
  if (missing.length) {
    return {
      problem: `Please choose an answer for every statement first (${missing.length} still to do).`,
    };
  }
  const pad = (n) => String(n).padStart(2, "0");
  const answeredAt =
    `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}` +
    `T${pad(when.getHours())}:${pad(when.getMinutes())}:${pad(when.getSeconds())}`;
  const answers = {};
  for (const item of spec.items) answers[item.id] = scores[item.id];
  return {
    document: {
      format: spec.format,
      schema_version: spec.schema_version,
      questionnaire_version: spec.questionnaire_version,
      course: spec.course,
      stage: spec.stage,
      cohort: spec.cohort ?? null,
      pseudonym,
      answered_at: answeredAt,
      answers,
    },
  };
}

// ------------------------------------------------------------------------------ DOM helpers
let counter = 0;
function uid(prefix) {
  counter += 1;
  return `imatter-${prefix}-${Date.now().toString(36)}-${counter}`;
}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function button(label, onclick, extra = {}) {
  return h("button", { type: "button", class: "imatter-button", onclick, ...extra }, label);
}

function showNote(box, note) {
  box.replaceChildren();
  box.className = "imatter-feedback";
  if (!note) return;
  box.classList.add("imatter-note", `imatter-${note.kind || "info"}`);
  if (note.lead) box.append(h("strong", {}, note.lead), " ");
  box.append(note.text);
}

function feedbackBox() {
  return h("div", { class: "imatter-feedback", role: "status", "aria-live": "polite" });
}

function radioGroup(legend, options, name, onchange, extra = "") {
  // options: [[value, label]]; a fieldset whose legend names the question.
  return h(
    "fieldset",
    { class: `imatter-choices ${extra}` },
    h("legend", {}, legend),
    options.map(([value, label]) => {
      const id = uid("opt");
      return h(
        "div",
        { class: "imatter-option" },
        h("input", { type: "radio", id, name, value: String(value), onchange }),
        h("label", { for: id }, label),
      );
    }),
  );
}

function checkedValue(root, name) {
  const chosen = root.querySelector(`input[name="${name}"]:checked`);
  return chosen ? chosen.value : null;
}

// ------------------------------------------------------------------------------ activities
function renderChoice(spec, el) {
  const name = uid("choice");
  const feedback = feedbackBox();
  const group = radioGroup(
    spec.question,
    Object.keys(spec.options).map((o) => [o, o]),
    name,
    () => showNote(feedback, null),
  );
  el.append(group, button("Check", () => showNote(feedback, checkChoice(spec, checkedValue(el, name))), { class: "imatter-button imatter-primary" }), feedback);
}

function renderSort(spec, el) {
  if (spec.title) el.append(h("p", { class: "imatter-title" }, spec.title));
  el.append(
    h(
      "p",
      { class: "imatter-help" },
      "Drag each statement into a box, or choose its box from the list under it. Then press Check my answers.",
    ),
  );
  const selects = [];
  const marks = [];
  const cards = [];
  const zones = {};
  const pool = h("div", { class: "imatter-pool", "data-zone": "" });
  const place = (i) => {
    const value = selects[i].value;
    (value ? zones[value] : pool).append(cards[i]);
  };
  const clearMark = (i) => showNote(marks[i], null);
  spec.statements.forEach(([statement], i) => {
    const id = uid("sort");
    const select = h(
      "select",
      {
        id,
        onchange: () => {
          place(i);
          clearMark(i);
        },
      },
      h("option", { value: "" }, "Not sorted yet"),
      spec.categories.map((c) => h("option", { value: c }, c)),
    );
    const mark = h("div", { class: "imatter-feedback", role: "status", "aria-live": "polite" });
    const card = h(
      "div",
      {
        class: "imatter-card",
        draggable: "true",
        "data-index": String(i),
        ondragstart: (event) => {
          event.dataTransfer.setData("text/plain", String(i));
          event.dataTransfer.effectAllowed = "move";
        },
      },
      h("label", { for: id, class: "imatter-statement" }, statement),
      select,
      mark,
    );
    selects.push(select);
    marks.push(mark);
    cards.push(card);
    pool.append(card);
  });
  const board = h("div", { class: "imatter-board" });
  for (const category of spec.categories) {
    const zone = h("div", { class: "imatter-zone", "data-zone": category });
    zones[category] = zone;
    board.append(
      h("div", { class: "imatter-column", role: "group", "aria-label": category }, h("p", { class: "imatter-zone-title" }, category), zone),
    );
  }
  const dropTargets = [pool, ...Object.values(zones)];
  for (const target of dropTargets) {
    target.addEventListener("dragover", (event) => {
      event.preventDefault();
      target.classList.add("imatter-over");
    });
    target.addEventListener("dragleave", () => target.classList.remove("imatter-over"));
    target.addEventListener("drop", (event) => {
      event.preventDefault();
      target.classList.remove("imatter-over");
      const i = Number(event.dataTransfer.getData("text/plain"));
      if (!Number.isInteger(i) || !selects[i]) return;
      selects[i].value = target.dataset.zone;
      place(i);
      clearMark(i);
    });
  }
  const summary = feedbackBox();
  el.append(
    h("div", { class: "imatter-sort" }, h("div", { class: "imatter-column", role: "group", "aria-label": "Statements to sort" }, h("p", { class: "imatter-zone-title" }, "To sort"), pool), board),
    button("Check my answers", () => {
      const result = sortMarks(spec, selects.map((s) => s.value));
      result.marks.forEach((note, i) => showNote(marks[i], note));
      showNote(summary, result.summary);
    }, { class: "imatter-button imatter-primary" }),
    summary,
  );
}

function renderRating(spec, el) {
  el.append(h("p", { class: "imatter-title" }, spec.title));
  const names = spec.statements.map(() => uid("rate"));
  const totalLine = h("p", { class: "imatter-total", "aria-live": "polite" });
  const feedback = feedbackBox();
  const update = () => {
    const indexes = names.map((n) => {
      const v = checkedValue(el, n);
      return v === null ? null : Number(v);
    });
    const result = ratingSummary(spec, indexes);
    totalLine.textContent = result.heading || "";
    showNote(feedback, { kind: "info", text: result.text });
  };
  spec.statements.forEach((statement, i) => {
    el.append(radioGroup(statement, spec.scale.map((w, k) => [k, w]), names[i], update, "imatter-toggles"));
  });
  el.append(
    totalLine,
    feedback,
    h("p", { class: "imatter-small" }, "This is a private check-in, not a test or a diagnosis. Nothing you choose here is saved or shared."),
  );
  update();
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawMap(entries, circles, middle) {
  const size = 360;
  const centre = 180;
  const ring = (centre - 10) / circles.length;
  const fills = ["#dcecf9", "#e8f3fc", "#f3f9fe", "#f9fcff", "#ffffff"];
  const root = svg("svg", { viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": "Relationship map", class: "imatter-map" });
  for (let level = circles.length - 1; level >= 0; level -= 1) {
    const r = ring * (level + 1);
    root.append(svg("circle", { cx: centre, cy: centre, r: r.toFixed(0), fill: fills[Math.min(level, fills.length - 1)], stroke: "#1f5f99" }));
    root.append(svg("text", { x: centre, y: (centre + r - 7).toFixed(0), "text-anchor": "middle", "font-size": 10, fill: "#333" }, circles[level]));
  }
  root.append(svg("text", { x: centre, y: centre + 5, "text-anchor": "middle", "font-size": 14, "font-weight": "bold" }, middle));
  circles.forEach((_, level) => {
    const members = entries.filter(([, where]) => where === level);
    members.forEach(([label], i) => {
      const angle = ((-90 + (i * 360) / members.length + level * 25) * Math.PI) / 180;
      const r = ring * (level + 0.5);
      root.append(svg("text", { x: (centre + r * Math.cos(angle)).toFixed(0), y: (centre + r * Math.sin(angle) + 4).toFixed(0), "text-anchor": "middle", "font-size": 11 }, label));
    });
  });
  return root;
}

function renderMap(spec, el) {
  const circles = spec.circles;
  const entries = [];
  const whoId = uid("who");
  const whereId = uid("where");
  const who = h("input", { type: "text", id: whoId, placeholder: "Role or initials", maxlength: "60", autocomplete: "off" });
  const where = h("select", { id: whereId }, circles.map((c, i) => h("option", { value: String(i) }, c)));
  const message = feedbackBox();
  const drawing = h("div", { class: "imatter-drawing" });
  const counts = h("ul", { class: "imatter-counts", "aria-live": "polite" });
  const note = feedbackBox();
  const undo = button("Remove last", () => {
    entries.pop();
    showNote(message, null);
    redraw();
  });
  const clear = button("Start again", () => {
    entries.length = 0;
    showNote(message, null);
    redraw();
  });
  function redraw() {
    const tally = circles.map((_, i) => entries.filter(([, w]) => w === i).length);
    drawing.replaceChildren(drawMap(entries, circles, spec.middle));
    counts.replaceChildren(...circles.map((c, i) => h("li", {}, `${c}: ${tally[i]}`)));
    showNote(note, { kind: "info", text: balanceNote(tally, circles) });
    undo.disabled = clear.disabled = entries.length === 0;
  }
  const add = () => {
    const { entry, problem } = mapEntryProblem(spec, who.value);
    if (problem) {
      showNote(message, { kind: "wrong", text: problem });
      return;
    }
    entries.push([entry, Number(where.value)]);
    who.value = "";
    showNote(message, null);
    redraw();
  };
  who.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      add();
    }
  });
  el.append(
    h("p", {}, spec.prompt),
    h("div", { class: "imatter-note imatter-info" }, "Use a role or initials only, such as Nan, class teacher or J.S., never a full name. Nothing you type here is saved: the map disappears when you close the page."),
    h(
      "div",
      { class: "imatter-row" },
      h("span", {}, h("label", { for: whoId }, "Who"), " ", who),
      h("span", {}, h("label", { for: whereId }, "How close"), " ", where),
      button("Add", add, { class: "imatter-button imatter-primary" }),
    ),
    message,
    drawing,
    counts,
    note,
    h("div", { class: "imatter-row" }, undo, clear),
  );
  redraw();
}

function renderScenario(spec, el) {
  const scenarios = spec.scenarios;
  let index = 0;
  const position = h("p", { class: "imatter-small", "aria-live": "polite" });
  const title = h("p", { class: "imatter-title" });
  const situation = h("p");
  const choices = h("div", { class: "imatter-stack", role: "group", "aria-label": "What might you do?" });
  const feedback = feedbackBox();
  const previous = button("Previous", () => show(index - 1));
  const next = button("Next", () => show(index + 1));
  function show(i) {
    index = Math.max(0, Math.min(i, scenarios.length - 1));
    const scenario = scenarios[index];
    position.textContent = `Situation ${index + 1} of ${scenarios.length}`;
    title.textContent = scenario.title;
    situation.textContent = scenario.situation;
    const buttons = scenario.choices.map(([text, result]) =>
      button(
        text,
        (event) => {
          for (const other of buttons) other.setAttribute("aria-pressed", "false");
          event.currentTarget.setAttribute("aria-pressed", "true");
          showNote(feedback, { kind: "info", lead: text, text: result });
        },
        { "aria-pressed": "false", class: "imatter-button imatter-wide" },
      ),
    );
    choices.replaceChildren(...buttons);
    showNote(feedback, null);
    previous.disabled = index === 0;
    next.disabled = index === scenarios.length - 1;
  }
  el.append(
    position,
    title,
    situation,
    h("p", {}, "What might you do? Choose one to see what could happen next."),
    choices,
    feedback,
    h("div", { class: "imatter-row" }, previous, next),
  );
  show(0);
}

// ------------------------------------------------------------------------------ questionnaire
const PRIVACY = {
  book:
    "In this book your answers stay in this browser, on this device: nothing is sent anywhere. " +
    "Press Download my answers to keep a small file, with your code and not your name, and " +
    "give it to your Lead Professional if they ask for it. Results are only ever shown for " +
    "groups of five people or more.",
  jupyter:
    "Your answers are saved in a small file next to this notebook, with your code and not " +
    "your name. Your Lead Professional collects the file so that we can see how the course " +
    "helps a group as a whole. Results are only ever shown for groups of five people or more.",
  hub:
    "Your answers are saved in a small file in your own folder on the hub, next to this " +
    "notebook, with your code and not your name. Your Lead Professional collects it from the " +
    "hub. Results are only ever shown for groups of five people or more.",
};

function storageKey(spec) {
  return `imatter-answers:${spec.course}:${spec.stage}`;
}

function renderQuestionnaire(spec, el, model) {
  let place = "book";
  const codeId = uid("code");
  const code = h("input", { type: "text", id: codeId, placeholder: "e.g. KESTREL-42", autocomplete: "off", maxlength: "20" });
  const names = spec.items.map(() => uid("q"));
  const privacy = h("p", { class: "imatter-privacy" }, PRIVACY.book);
  const status = feedbackBox();
  const read = () => {
    const scores = {};
    spec.items.forEach((item, i) => {
      const v = checkedValue(el, names[i]);
      if (v !== null) scores[item.id] = Number(v);
    });
    return scores;
  };
  const remember = () => {
    try {
      localStorage.setItem(storageKey(spec), JSON.stringify({ code: code.value, scores: read() }));
    } catch (_err) {
      // Private browsing or storage turned off: the answers stay on the page only.
    }
  };
  const save = button("Save my answers", () => {
    const result = answersDocument(spec, code.value, read(), new Date());
    if (result.problem) {
      showNote(status, { kind: "wrong", text: result.problem });
      return;
    }
    showNote(status, { kind: "info", text: "Saving..." });
    model.send({ type: "save", code: code.value, scores: read() });
  }, { class: "imatter-button imatter-primary", hidden: true });
  const download = button("Download my answers", () => {
    const result = answersDocument(spec, code.value, read(), new Date());
    if (result.problem) {
      showNote(status, { kind: "wrong", text: result.problem });
      return;
    }
    remember();
    const blob = new Blob([`${JSON.stringify(result.document, null, 1)}\n`], { type: "application/json" });
    const link = h("a", { href: URL.createObjectURL(blob), download: spec.filename });
    document.body.append(link);
    link.click();
    link.remove();
    showNote(status, {
      kind: "right",
      lead: "Thank you: your answers are ready.",
      text: `Your browser saves them as ${spec.filename}. Your code is ${result.document.pseudonym}. Use the same code at the end of the course.`,
    });
  }, { class: "imatter-button imatter-primary" });
  code.addEventListener("input", remember);
  el.append(
    h("p", {}, spec.intro),
    privacy,
    h("div", { class: "imatter-row" }, h("label", { for: codeId }, "Your code"), " ", code),
    ...spec.items.map((item, i) =>
      radioGroup(item.statement, spec.scale.map(([score, words]) => [score, `${score} ${words}`]), names[i], remember, "imatter-toggles"),
    ),
    h("div", { class: "imatter-row" }, save, download),
    status,
  );
  // Answers kept earlier in this browser come back.
  try {
    const kept = JSON.parse(localStorage.getItem(storageKey(spec)) || "null");
    if (kept) {
      code.value = kept.code || "";
      spec.items.forEach((item, i) => {
        const box = el.querySelector(`input[name="${names[i]}"][value="${kept.scores?.[item.id]}"]`);
        if (box) box.checked = true;
      });
    }
  } catch (_err) {
    // Nothing kept, or storage turned off.
  }
  // With a kernel (Jupyter or a hub), Python answers the greeting and saves the file.
  model.on("msg:custom", (msg) => {
    if (msg.type === "here") {
      place = msg.place === "hub" ? "hub" : "jupyter";
      privacy.textContent = PRIVACY[place];
      save.hidden = false;
    } else if (msg.type === "saved") {
      showNote(status, { kind: msg.ok ? "right" : "wrong", lead: msg.lead || "", text: msg.text });
    }
  });
  try {
    model.send({ type: "hello" });
  } catch (_err) {
    // No kernel (the static book): the download is the way to keep the answers.
  }
}

const RENDER = {
  choice: renderChoice,
  sort: renderSort,
  rating: renderRating,
  map: renderMap,
  scenario: renderScenario,
  questionnaire: renderQuestionnaire,
};

function render({ model, el }) {
  const kind = model.get("kind");
  const spec = model.get("spec");
  const root = h("div", { class: `imatter-activity imatter-${kind}`, "data-activity": kind });
  el.append(root);
  RENDER[kind](spec, root, model);
}

export default { render };

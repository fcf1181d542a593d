// budgetlm's web page: plain ES module, no build step. Every piece of ledger text goes into the
// page through textContent (never innerHTML), so a hostile description stays text.

const API = "/api/v1";
const KEY = "budgetlm.api-key";
const history = [];
let categories = [];

function headers(json) {
  const found = {};
  const key = localStorage.getItem(KEY);
  if (key) found.Authorization = `Bearer ${key}`;
  if (json) found["Content-Type"] = "application/json";
  return found;
}

async function api(path, options = {}) {
  const response = await fetch(API + path, { ...options, headers: headers(Boolean(options.body)) });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    const detail = typeof problem.detail === "string" ? problem.detail : response.statusText;
    throw new Error(`${response.status}: ${detail}`);
  }
  return response.status === 204 ? null : response.json();
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function money(value) {
  const amount = Number(value);
  const shown = Math.abs(amount).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${amount < 0 ? "-" : ""}$${shown}`;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = cell instanceof Node ? document.createElement("td") : el("td", cell.text, cell.className);
    if (cell instanceof Node) td.append(cell);
    tr.append(td);
  }
  return tr;
}

async function section(id, load) {
  const target = document.getElementById(id);
  target.querySelectorAll(".error").forEach((node) => node.remove());
  try {
    await load(target);
  } catch (error) {
    target.append(el("p", error.message, "error muted"));
  }
}

// ---- Chat (streams from the OpenAI-compatible endpoint) ----

function say(role, text) {
  const message = el("div", text, `message ${role}`);
  document.getElementById("messages").append(message);
  message.scrollIntoView({ block: "nearest" });
  return message;
}

async function ask(question) {
  say("user", question);
  const answer = say("assistant", "");
  answer.setAttribute("data-state", "streaming");
  const body = { model: "budgetlm", stream: true, messages: [...history, { role: "user", content: question }] };
  try {
    const response = await fetch("/v1/chat/completions", { method: "POST", headers: headers(true), body: JSON.stringify(body) });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.error?.message || response.statusText);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
          const delta = JSON.parse(line.slice(6)).choices?.[0]?.delta;
          if (delta?.content) answer.textContent += delta.content;
        }
      }
    }
    history.push({ role: "user", content: question }, { role: "assistant", content: answer.textContent });
    history.splice(0, Math.max(0, history.length - 12));
  } catch (error) {
    answer.className = "message error";
    answer.textContent = error.message;
  }
  answer.setAttribute("data-state", "done");
}

// ---- Transactions that need a category: accept the suggestion or correct it ----

function categoryPicker(selected) {
  const picker = el("select");
  picker.setAttribute("aria-label", "Category");
  for (const name of categories) {
    const option = el("option", name);
    option.value = name;
    option.selected = name === selected;
    picker.append(option);
  }
  return picker;
}

async function setCategory(transactionId, category) {
  await api("/feedback/corrections", { method: "POST", body: JSON.stringify({ transaction_id: transactionId, category }) });
  await Promise.all([section("review", loadReview), section("transactions", loadTransactions), section("budget", loadBudget)]);
}

async function loadReview(target) {
  const items = await api("/categorize/review?limit=20");
  const body = target.querySelector("tbody");
  body.replaceChildren();
  target.querySelector(".empty").hidden = items.length > 0;
  for (const item of items) {
    const tx = item.transaction;
    const accept = el("button", item.suggestion ? `Accept ${item.suggestion}` : "No suggestion", "accept");
    accept.disabled = !item.suggestion;
    accept.addEventListener("click", () => setCategory(tx.id, item.suggestion));
    const picker = categoryPicker(item.suggestion);
    const save = el("button", "Set", "secondary correct");
    save.addEventListener("click", () => setCategory(tx.id, picker.value));
    const actions = el("span");
    actions.append(accept, " ", picker, " ", save);
    const confidence = item.confidence === null ? "" : `${Math.round(item.confidence * 100)}% sure`;
    const tr = row([{ text: tx.date }, { text: tx.description }, { text: money(tx.amount), className: "amount" },
      { text: confidence, className: "muted" }, actions]);
    tr.dataset.transaction = tx.id;
    body.append(tr);
  }
}

async function loadTransactions(target) {
  const page = await api("/transactions?limit=25");
  const body = target.querySelector("tbody");
  body.replaceChildren();
  for (const tx of page.items) {
    const tr = row([{ text: tx.date }, { text: tx.description }, { text: tx.category ?? "—", className: "category" },
      { text: money(tx.amount), className: "amount" }]);
    tr.dataset.transaction = tx.id;
    body.append(tr);
  }
}

// ---- Budget, bills, insights ----

async function loadBudget(target) {
  const lines = await api("/budgets");
  const body = target.querySelector("tbody");
  body.replaceChildren();
  target.querySelector(".empty").hidden = lines.length > 0;
  for (const line of lines) {
    const left = Number(line.remaining);
    body.append(row([{ text: line.category }, { text: `${money(line.spent)} of ${money(line.budgeted)}`, className: "amount" },
      { text: left < 0 ? `${money(-left)} over` : `${money(left)} left`, className: left < 0 ? "amount over" : "amount" }]));
  }
}

async function loadBills(target) {
  const bills = await api("/analytics/bills?days=30");
  const list = target.querySelector("ul");
  list.replaceChildren();
  for (const payment of bills.upcoming.filter((p) => Number(p.amount) < 0)) {
    list.append(el("li", `${payment.date} · ${payment.payee} · ${money(-Number(payment.amount))}`));
  }
  if (!list.children.length) list.append(el("li", "Nothing due in the next 30 days.", "muted"));
}

async function loadInsights(target) {
  const insights = await api("/analytics/insights?limit=6");
  const list = target.querySelector("ul");
  list.replaceChildren();
  for (const insight of insights) {
    const item = el("li");
    item.append(el("strong", insight.title), el("div", insight.detail, "muted"));
    list.append(item);
  }
  if (!insights.length) list.append(el("li", "Nothing needs attention.", "muted"));
}

// ---- Coach (one piece of advice a month; the answer teaches later coaches) ----

async function loadCoach(target) {
  const advice = await api("/coach", { method: "POST", body: "{}" });
  target.querySelector("#coach-advice").textContent = advice.message;
  target.querySelector("#coach-advice").className = "";
  const actions = target.querySelector("#coach-actions");
  actions.hidden = false;
  const answered = (followed) => {
    actions.replaceChildren(el("span", followed ? "Noted: done. Nice work." : "Noted: not this time.", "muted"));
  };
  if (advice.followed !== null) return answered(advice.followed);
  for (const button of actions.querySelectorAll("button")) {
    button.onclick = async () => {
      const followed = button.dataset.followed === "true";
      await api(`/coach/${advice.id}/response`, { method: "POST", body: JSON.stringify({ followed }) });
      answered(followed);
    };
  }
}

// ---- Charts (SVG drawn here: two simple charts do not earn a charting library) ----

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function loadCategoryChart() {
  const spending = await api("/analytics/spending?days=30");
  const rows = spending.categories.slice(0, 8);
  const chart = document.getElementById("category-chart");
  const height = 22 * rows.length + 4;
  chart.setAttribute("viewBox", `0 0 400 ${height}`);
  chart.replaceChildren();
  const most = Math.max(1, ...rows.map((r) => Number(r.spent)));
  rows.forEach((r, i) => {
    const y = 22 * i + 2;
    const width = (250 * Number(r.spent)) / most;
    chart.append(svg("text", { x: 0, y: y + 14 }, r.category), svg("rect", { x: 120, y, width, height: 16, class: "bar" }),
      svg("text", { x: 124 + width, y: y + 13 }, money(r.spent)));
  });
}

async function loadForecastChart() {
  const forecast = await api("/analytics/forecast?days=60");
  const days = forecast.days;
  const chart = document.getElementById("forecast-chart");
  chart.setAttribute("viewBox", "0 0 400 160");
  chart.replaceChildren();
  if (!days.length) return;
  const values = days.flatMap((d) => [Number(d.lower), Number(d.upper)]).concat([0]);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const x = (i) => 50 + (340 * i) / Math.max(1, days.length - 1);
  const y = (v) => 150 - (140 * (v - low)) / Math.max(1, high - low);
  const band = days.map((d, i) => `${x(i)},${y(Number(d.upper))}`).concat(
    days.map((d, i) => `${x(i)},${y(Number(d.lower))}`).reverse());
  chart.append(svg("polygon", { points: band.join(" "), class: "band" }),
    svg("polyline", { points: days.map((d, i) => `${x(i)},${y(Number(d.expected_balance))}`).join(" "), class: "line" }),
    svg("line", { x1: 50, x2: 390, y1: y(0), y2: y(0), class: "zero" }),
    svg("text", { x: 0, y: 14 }, money(high)), svg("text", { x: 0, y: 150 }, money(low)),
    svg("text", { x: 50, y: 160 }, days[0].date), svg("text", { x: 320, y: 160 }, days[days.length - 1].date));
}

// ---- Start ----

async function refresh() {
  const workspace = await api("/workspace").catch((error) => ({ name: error.message }));
  document.getElementById("workspace").textContent = `workspace: ${workspace.name}`;
  categories = (await api("/categories").catch(() => [])).map((c) => c.name);
  await Promise.all([
    section("review", loadReview), section("transactions", loadTransactions), section("budget", loadBudget),
    section("coach", loadCoach),
    section("bills", loadBills), section("insights", loadInsights), section("charts", loadCategoryChart),
    section("charts", loadForecastChart),
  ]);
  document.body.dataset.loaded = "true";
}

document.getElementById("ask-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("question");
  const question = input.value.trim();
  input.value = "";
  if (question) ask(question);
});

document.getElementById("key-button").addEventListener("click", () => {
  const key = prompt("API key (leave empty to use none):", localStorage.getItem(KEY) ?? "");
  if (key === null) return;
  if (key.trim()) localStorage.setItem(KEY, key.trim());
  else localStorage.removeItem(KEY);
  refresh();
});

refresh();

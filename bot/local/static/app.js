// The local workspace page: act as a person, read and write in conversations, open threads, the App
// Home and modals. The server keeps all state; the page polls /ui/view about once a second.

import { el, renderBlocks } from "./blocks.js";
import { avatar, renderList } from "./messages.js";
import { modals } from "./modal.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;
const S = {
  ws: null, as: null, channel: null, thread: null, version: null, data: null, seq: 0, loading: false,
  files: { composer: null, "thread-composer": null }, homeKey: null, wantDm: false,
};

async function getJSON(url) {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

async function send(path, body, json = true) {
  try {
    const headers = { "X-Tsqa-Local": "1" };
    if (json) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method: "POST", headers, body: json ? JSON.stringify(body) : body });
    const data = await res.json().catch(() => ({}));
    return data.ok === undefined ? { ok: res.ok, error: `HTTP ${res.status}` } : data;
  } catch {
    return { ok: false, error: "The workspace server is not answering." };
  }
}

let toastTimer = null;
function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), 5000);
}

function burst() {
  for (const ms of [150, 450, 900, 1600, 2500]) setTimeout(() => refresh(), ms);
}

function syncUrl() {
  const params = new URLSearchParams({ as: S.as, c: S.channel || "" });
  if (S.thread) params.set("t", S.thread);
  history.replaceState(null, "", `?${params}`);
  localStorage.setItem("tsqa.as", S.as);
  localStorage.setItem(`tsqa.c.${S.as}`, S.channel || "");
}

function person(id) {
  return (S.ws.people || []).find((p) => p.id === id);
}

function ctx() {
  const d = S.data || {};
  return {
    users: d.users || {}, channels: d.channels || {}, me: S.as, people: S.ws.people, namesKey: S.as,
    act: (target, block, element, selected, source, seen) => act(target, block, element, selected, source, seen),
    shortcuts: S.ws.shortcuts || [], shortcut, openThread,
  };
}

// ----- fetching -----

async function refresh(force = false) {
  if (S.loading && !force) return;
  const seq = ++S.seq;
  S.loading = true;
  const params = new URLSearchParams({ as: S.as, channel: S.channel || "" });
  if (S.thread) params.set("thread", S.thread);
  if (!force && S.version !== null) params.set("since", S.version);
  try {
    const data = await getJSON(`/ui/view?${params}`);
    $("offline").hidden = true;
    if (seq !== S.seq || data.unchanged) return;
    S.version = data.version;
    S.data = data;
    render();
  } catch {
    $("offline").hidden = false;
  } finally {
    if (seq === S.seq) S.loading = false;
  }
}

function go(channel, { thread = null } = {}) {
  S.channel = channel;
  S.thread = thread;
  S.version = null;
  syncUrl();
  if (channel === "home") openHome();
  refresh(true);
}

async function openHome() {
  const res = await send("/ui/home", { as: S.as });
  if (!res.ok) toast(res.error || "tsqa did not answer: its App Home could not open.");
  burst();
}

function openThread(ts) {
  S.thread = ts;
  S.version = null;
  syncUrl();
  refresh(true);
  setTimeout(() => $("thread-composer").querySelector("textarea").focus(), 50);
}

// ----- rendering -----

function render() {
  const d = S.data;
  const convs = d.conversations || [];
  if (S.channel !== "home" && !convs.some((c) => c.id === S.channel)) {
    const dm = convs.find((c) => c.kind === "im");
    const fallback = S.wantDm && dm ? dm : convs.find((c) => c.kind !== "im") || dm;
    S.wantDm = false;
    if (fallback) return go(fallback.id);
  }
  renderSidebar(convs);
  renderHeader(convs);
  const home = S.channel === "home";
  $("messages").hidden = home;
  $("composer").hidden = home;
  $("home").hidden = !home;
  if (home) renderHome(d.home);
  else renderList($("messages"), d.messages || [], ctx(), { empty: emptyNote(convs) });
  renderThread(convs);
  modal.render(d.modal);
}

function emptyNote(convs) {
  const conv = convs.find((c) => c.id === S.channel);
  if (conv && conv.kind === "im") {
    return el("div", "empty", "This is your direct message with tsqa. It answers slash commands here (try /digest help); it does not read messages typed in a DM, as in Slack.");
  }
  return el("div", "empty", "No messages yet. Try /digest help, or mention @tsqa.");
}

function sideItem(id, label, icon, extraClass = "") {
  const item = el("button", `conv ${extraClass}` + (id === S.channel ? " active" : ""));
  item.type = "button";
  item.dataset.channel = id;
  item.append(el("span", "conv-icon", icon), el("span", "conv-name", label));
  item.addEventListener("click", () => go(id));
  return item;
}

function renderSidebar(convs) {
  const bar = $("sidebar");
  const section = (title, items) => {
    const box = el("div", "side-section");
    box.append(el("div", "side-title", title), ...items);
    return box;
  };
  const channels = convs.filter((c) => c.kind === "channel" || c.kind === "private");
  const dms = convs.filter((c) => c.kind === "im" || c.kind === "mpim");
  bar.replaceChildren(
    section("Apps", [sideItem("home", `${S.ws.bot.name} · Home`, "⌂")]),
    section("Channels", channels.map((c) => sideItem(c.id, c.name, c.kind === "private" ? "🔒" : "#"))),
    section("Direct messages", dms.map((c) => sideItem(c.id, c.name, "●", "dm"))),
  );
}

function renderHeader(convs) {
  const head = $("conv-header");
  const conv = convs.find((c) => c.id === S.channel);
  const title = el("div", "conv-title");
  if (S.channel === "home" || (conv && conv.kind === "im")) {
    const dm = convs.find((c) => c.kind === "im");
    title.append(avatar(S.ws.bot.id, S.ws.bot.name, true), el("span", "conv-title-text", S.ws.bot.name));
    const tabs = el("div", "tabs");
    const tab = (label, id) => {
      const b = el("button", "tab" + (S.channel === id ? " active" : ""), label);
      b.type = "button";
      b.addEventListener("click", () => S.channel !== id && go(id));
      return b;
    };
    tabs.append(tab("Home", "home"));
    if (dm) tabs.append(tab("Messages", dm.id));
    head.replaceChildren(title, tabs);
    document.title = `${S.ws.bot.name} · local workspace`;
  } else {
    const name = conv ? conv.name : S.channel;
    title.append(el("span", "conv-hash", "#"), el("span", "conv-title-text", name));
    head.replaceChildren(title);
    document.title = `#${name} · local workspace`;
  }
  const composer = $("composer").querySelector("textarea");
  composer.placeholder = conv ? `Message ${conv.kind === "im" ? conv.name : "#" + conv.name}` : "";
}

function renderHome(view) {
  const box = $("home");
  if (!view) {
    S.homeKey = null;
    box.replaceChildren(el("div", "empty", `Opening ${S.ws.bot.name}'s App Home…`));
    return;
  }
  const key = `${S.as}:${view.id}:${view.hash}`;
  if (key === S.homeKey) return;
  S.homeKey = key;
  const c = { ...ctx(), act: (block, element, selected, source, seen) => act({ view_id: view.id }, block, element, selected, source, seen) };
  const page = el("div", "home-view");
  page.append(renderBlocks(view.blocks, c));
  box.replaceChildren(page);
}

function renderThread(convs) {
  const pane = $("thread");
  const messages = (S.data && S.data.thread) || [];
  if (!S.thread || S.channel === "home" || messages.length === 0) {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const conv = convs.find((c) => c.id === S.channel);
  $("thread-where").textContent = conv ? (conv.kind === "im" ? conv.name : `#${conv.name}`) : "";
  renderList($("thread-messages"), messages, ctx(), { inThread: true });
}

// ----- acting -----

async function act(target, block, element, selected, source, seen) {
  const body = { as: S.as, ...target, block, element, selected, seen };
  if (target.view_id) Object.assign(body, modal.valuesFor(target.view_id));
  if (source && source.tagName === "BUTTON") source.disabled = true;
  const res = await send("/ui/action", body);
  if (source && source.tagName === "BUTTON") setTimeout(() => (source.disabled = false), 400);
  if (!res.ok) toast(res.error || "The app did not respond.");
  burst();
}

// A message shortcut chosen in a message's "⋯" menu; the form it opens shows as any modal does.
async function shortcut(target, callbackId) {
  const res = await send("/ui/shortcut", { as: S.as, ...target, callback_id: callbackId });
  if (!res.ok) toast(res.error || "The app did not respond.");
  burst();
}

async function submitComposer(form) {
  const textarea = form.querySelector("textarea");
  const text = textarea.value;
  const file = S.files[form.id];
  if (!text.trim() && !file) return;
  const threadTs = form.id === "thread-composer" ? S.thread : null;
  textarea.value = "";
  let res;
  if (file) {
    const data = new FormData();
    data.append("as", S.as);
    data.append("channel", S.channel);
    if (threadTs) data.append("thread_ts", threadTs);
    data.append("text", text);
    data.append("file", file, file.name);
    setFile(form, null);
    res = await send("/ui/upload", data, false);
  } else {
    res = await send("/ui/message", { as: S.as, channel: S.channel, text, thread_ts: threadTs });
  }
  if (!res.ok) {
    textarea.value = text;
    toast(res.error || "Could not send.");
  }
  S.version = null;
  await refresh(true);
  const list = form.id === "thread-composer" ? $("thread-messages") : $("messages");
  list.scrollTop = list.scrollHeight;
  burst();
}

function setFile(form, file) {
  S.files[form.id] = file;
  const chip = form.querySelector(".file-chip");
  chip.hidden = !file;
  chip.querySelector(".file-chip-name").textContent = file ? file.name : "";
  if (!file) form.querySelector("input[type=file]").value = "";
}

function bindComposer(form) {
  const textarea = form.querySelector("textarea");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitComposer(form);
  });
  textarea.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submitComposer(form);
    }
  });
  const picker = form.querySelector("input[type=file]");
  form.querySelector(".attach").addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => setFile(form, picker.files[0] || null));
  form.querySelector(".file-chip-remove").addEventListener("click", () => setFile(form, null));
}

// ----- start -----

function fillSwitcher() {
  const select = $("acting-as");
  select.replaceChildren(
    ...S.ws.people.map((p) => {
      const option = el("option", null, p.title ? `${p.name} — ${p.title}` : p.name);
      option.value = p.id;
      return option;
    }),
  );
  select.value = S.as;
  select.addEventListener("change", () => {
    const conv = ((S.data && S.data.conversations) || []).find((c) => c.id === S.channel);
    S.wantDm = !!conv && conv.kind === "im";
    S.as = select.value;
    modal.forget();
    S.homeKey = null;
    const saved = localStorage.getItem(`tsqa.c.${S.as}`);
    go(S.wantDm || S.channel === "home" ? S.channel : S.channel || saved);
  });
}

async function start() {
  S.ws = await getJSON("/ui/workspace");
  $("team-name").textContent = S.ws.team.domain;
  const params = new URLSearchParams(location.search);
  const wanted = params.get("as") || localStorage.getItem("tsqa.as");
  S.as = person(wanted) ? wanted : S.ws.people[0].id;
  S.channel = params.get("c") || localStorage.getItem(`tsqa.c.${S.as}`) || null;
  S.thread = params.get("t") || null;
  fillSwitcher();
  bindComposer($("composer"));
  bindComposer($("thread-composer"));
  $("thread-close").addEventListener("click", () => {
    S.thread = null;
    syncUrl();
    $("thread").hidden = true;
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    if (modal.isOpen()) modal.close();
    else if (S.thread) $("thread-close").click();
  });
  if (S.channel === "home") openHome();
  syncUrl();
  await refresh(true);
  setInterval(() => refresh(), POLL_MS);
}

const modal = modals({ state: S, root: $("modal"), send, refresh, burst, ctx, act });
start();

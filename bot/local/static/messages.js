// Messages as Slack shows them: author, time, blocks or text, files, "(edited)", thread summary, and
// "Only visible to you" on ephemeral ones. Lists reuse unchanged nodes so selections survive a poll.

import { el, renderAttachments, renderBlocks } from "./blocks.js";
import { mrkdwn } from "./mrkdwn.js";

const COLOURS = ["#4a6fa5", "#5b8c5a", "#a0674b", "#7a5c99", "#4f8a8b", "#9a6b3f", "#5e6b8c", "#8c5e6b"];

export function initials(name) {
  const words = String(name || "?").trim().split(/\s+/);
  return ((words[0] || "?")[0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
}

export function avatar(id, name, isBot) {
  let hash = 0;
  for (const c of String(id)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const node = el("div", "avatar" + (isBot ? " avatar-bot" : ""), isBot ? "⚙" : initials(name));
  if (!isBot) node.style.background = COLOURS[hash % COLOURS.length];
  node.setAttribute("aria-hidden", "true");
  return node;
}

export function time(ts) {
  return new Date(parseFloat(ts) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function day(ts) {
  const date = new Date(parseFloat(ts) * 1000);
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86400000);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return date.toLocaleDateString([], { weekday: "long", month: "long", day: "numeric" });
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function files(list) {
  const box = el("div", "files");
  for (const file of list) {
    if (!file.ready) {
      box.append(el("div", "file-card", `${file.name} (uploading…)`));
    } else if (/^image\/(png|jpeg|gif|webp)$/.test(file.mimetype)) {
      const figure = el("figure", "file-image");
      const link = el("a");
      link.href = file.url;
      link.target = "_blank";
      link.rel = "noopener";
      const img = el("img");
      img.src = file.url;
      img.alt = file.title || file.name;
      link.append(img);
      figure.append(el("figcaption", null, file.title || file.name), link);
      box.append(figure);
    } else {
      const card = el("a", "file-card");
      card.href = file.url;
      card.download = file.name;
      card.append(el("span", "file-icon", (file.name.split(".").pop() || "file").slice(0, 4).toUpperCase()), el("span", "file-name", file.name), el("span", "file-size", size(file.size)));
      box.append(card);
    }
  }
  return box;
}

// One message. `ctx` carries users/channels for mrkdwn, `act` for its elements, `openThread`.
export function messageNode(m, ctx, { inThread = false, continued = false } = {}) {
  const user = (ctx.users || {})[m.user] || { name: m.user, is_bot: false };
  const node = el("div", "msg" + (m.ephemeral ? " msg-ephemeral" : "") + (continued ? " msg-continued" : ""));
  node.dataset.ts = m.ts;
  node.dataset.user = m.user;
  node.append(avatar(m.user, user.name, user.is_bot));
  const body = el("div", "msg-body");
  const meta = el("div", "meta");
  meta.append(el("span", "author", user.name));
  if (user.is_bot) meta.append(el("span", "app-tag", "APP"));
  const when = el("time", "when", time(m.ts));
  when.dateTime = new Date(parseFloat(m.ts) * 1000).toISOString();
  meta.append(when);
  body.append(meta);
  if (m.ephemeral) body.append(el("div", "only-you", "Only visible to you"));
  const content = el("div", "content");
  const blockCtx = { ...ctx, act: (block, element, selected, source, seen) => ctx.act({ channel: m.channel, ts: m.ts }, block, element, selected, source, seen) };
  if (m.blocks && m.blocks.length) content.append(renderBlocks(m.blocks, blockCtx));
  else if (m.text) content.append(mrkdwn(m.text, ctx));
  if (m.attachments && m.attachments.length) content.append(renderAttachments(m.attachments, ctx));
  if (m.edited) {
    const texts = content.querySelectorAll(".mrkdwn, .plain");
    (texts.length ? texts[texts.length - 1] : content).append(el("span", "edited", " (edited)"));
  }
  body.append(content);
  if (m.files && m.files.length) body.append(files(m.files));
  if (!inThread && m.reply_count > 0) {
    const summary = el("button", "thread-summary");
    summary.type = "button";
    const faces = el("span", "reply-faces");
    for (const id of (m.reply_users || []).slice(0, 3)) {
      const who = (ctx.users || {})[id] || { name: id };
      faces.append(avatar(id, who.name, who.is_bot));
    }
    summary.append(faces, el("span", "reply-count", `${m.reply_count} ${m.reply_count === 1 ? "reply" : "replies"}`));
    if (m.latest_reply) summary.append(el("span", "reply-last", `Last reply ${time(m.latest_reply)}`));
    summary.addEventListener("click", () => ctx.openThread(m.ts));
    body.append(summary);
  }
  if (!inThread && !m.ephemeral && !m.is_reply) {
    const reply = el("button", "reply-action", "Reply in thread");
    reply.type = "button";
    reply.addEventListener("click", () => ctx.openThread(m.ts));
    node.append(reply);
  }
  // Like Slack, message shortcuts are offered on every message everyone sees, never on ephemeral ones.
  if (!m.ephemeral && (ctx.shortcuts || []).length) node.append(moreActions(m, ctx));
  node.append(body);
  return node;
}

// The "⋯" menu of a message: the app's message shortcuts ("Escalate this message").
function moreActions(m, ctx) {
  const box = el("div", "more-actions");
  const toggle = el("button", "more-toggle", "⋯");
  toggle.type = "button";
  toggle.title = "More actions";
  toggle.setAttribute("aria-label", "More actions");
  toggle.setAttribute("aria-haspopup", "menu");
  toggle.setAttribute("aria-expanded", "false");
  const menu = el("div", "more-menu");
  menu.setAttribute("role", "menu");
  menu.hidden = true;
  const close = () => {
    menu.hidden = true;
    box.classList.remove("open");
    toggle.setAttribute("aria-expanded", "false");
    document.removeEventListener("click", outside, true);
  };
  const outside = (e) => {
    if (!box.contains(e.target)) close();
  };
  for (const shortcut of ctx.shortcuts) {
    const item = el("button", "more-item");
    item.type = "button";
    item.setAttribute("role", "menuitem");
    item.dataset.callbackId = shortcut.callback_id;
    item.append(el("span", "more-name", shortcut.name));
    if (shortcut.description) item.append(el("span", "more-description", shortcut.description));
    item.addEventListener("click", () => {
      close();
      ctx.shortcut({ channel: m.channel, ts: m.ts }, shortcut.callback_id);
    });
    menu.append(item);
  }
  toggle.addEventListener("click", () => {
    if (!menu.hidden) return close();
    menu.hidden = false;
    box.classList.add("open");
    toggle.setAttribute("aria-expanded", "true");
    document.addEventListener("click", outside, true);
  });
  menu.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      close();
      toggle.focus();
    }
  });
  box.append(toggle, menu);
  return box;
}

// Render `messages` into `container`, reusing nodes whose message did not change.
export function renderList(container, messages, ctx, opts = {}) {
  const cache = container._cache || new Map();
  const next = new Map();
  const nodes = [];
  let lastDay = null;
  messages.forEach((m, index) => {
    const before = messages[index - 1];
    // Like Slack, a person's messages in quick succession share one name and avatar.
    const continued =
      !!before && before.user === m.user && before.ephemeral === m.ephemeral && !(opts.inThread && index === 1) &&
      parseFloat(m.ts) - parseFloat(before.ts) < 300 && day(m.ts) === day(before.ts) && !before.reply_count;
    const key = JSON.stringify(m) + (ctx.namesKey || "") + continued;
    let entry = cache.get(m.ts);
    if (!entry || entry.key !== key) entry = { key, node: messageNode(m, ctx, { ...opts, continued }) };
    next.set(m.ts, entry);
    if (!opts.inThread) {
      const label = day(m.ts);
      if (label !== lastDay) {
        const divider = (container._days || new Map()).get(label) || el("div", "day-divider", label);
        nodes.push(divider);
        lastDay = label;
      }
    }
    nodes.push(entry.node);
    if (opts.inThread && index === 0 && messages.length > 1) {
      const n = messages.length - 1;
      nodes.push(container._replies || (container._replies = el("div", "replies-divider")));
      container._replies.textContent = `${n} ${n === 1 ? "reply" : "replies"}`;
    }
  });
  container._days = new Map(nodes.filter((n) => n.classList.contains("day-divider")).map((n) => [n.textContent, n]));
  const same = nodes.length === container.children.length && nodes.every((n, i) => container.children[i] === n);
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 60;
  if (!same) container.replaceChildren(...nodes);
  container._cache = next;
  if (nodes.length === 0 && opts.empty) container.replaceChildren(opts.empty);
  if ((!same && atBottom) || opts.toBottom) container.scrollTop = container.scrollHeight;
}

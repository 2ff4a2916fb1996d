// Slack's mrkdwn and plain_text as DOM nodes. Nothing is ever parsed as HTML: every piece of text
// becomes a text node, and links keep only http(s) and mailto addresses.

const EMOJI = {
  warning: "⚠️", x: "❌", no_entry: "⛔", no_entry_sign: "🚫", white_check_mark: "✅",
  heavy_check_mark: "✔️", ballot_box_with_check: "☑️", check: "✔️", information_source: "ℹ️",
  bulb: "💡", memo: "📝", pencil: "📝", books: "📚", book: "📖", bookmark: "🔖", link: "🔗",
  chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉", bar_chart: "📊",
  calendar: "📅", date: "📅", clock: "🕒", hourglass: "⌛", hourglass_flowing_sand: "⏳",
  stopwatch: "⏱️", alarm_clock: "⏰", bell: "🔔", rotating_light: "🚨", fire: "🔥",
  eyes: "👀", mag: "🔍", question: "❓", exclamation: "❗", heavy_exclamation_mark: "❗",
  tada: "🎉", rocket: "🚀", wave: "👋", thumbsup: "👍", "+1": "👍", thumbsdown: "👎", "-1": "👎",
  ok_hand: "👌", raised_hands: "🙌", pray: "🙏", muscle: "💪", wrench: "🔧", hammer_and_wrench: "🛠️",
  gear: "⚙️", lock: "🔒", key: "🔑", inbox_tray: "📥", outbox_tray: "📤", email: "📧", envelope: "✉️",
  speech_balloon: "💬", loudspeaker: "📢", mega: "📣", pushpin: "📌", round_pushpin: "📍",
  red_circle: "🔴", large_green_circle: "🟢", green_circle: "🟢", large_yellow_circle: "🟡",
  yellow_circle: "🟡", large_blue_circle: "🔵", white_circle: "⚪", black_circle: "⚫",
  arrow_up: "⬆️", arrow_down: "⬇️", arrow_right: "➡️", arrow_left: "⬅️", small_red_triangle: "🔺",
  small_red_triangle_down: "🔻", heavy_plus_sign: "➕", heavy_minus_sign: "➖", star: "⭐",
  sparkles: "✨", robot_face: "🤖", busts_in_silhouette: "👥", bust_in_silhouette: "👤",
  clipboard: "📋", file_folder: "📁", page_facing_up: "📄", scroll: "📜", trophy: "🏆",
  dart: "🎯", mortar_board: "🎓", triangular_flag_on_post: "🚩", construction: "🚧",
  hourglass_done: "⌛", zap: "⚡", stop_sign: "🛑", sos: "🆘", label: "🏷️", scales: "⚖️",
  shield: "🛡️", ticket: "🎫", thinking_face: "🤔", slightly_smiling_face: "🙂", smile: "😄",
};

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };

export function decode(text) {
  return text.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]);
}

export function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
}

export function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return ["http:", "https:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Split `text` by a global regex into plain strings and match arrays, in order.
function split(text, re) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(re)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(match);
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const EMPHASIS = /(?<![\p{L}\p{N}*_~])([*_~])(?![\s*_~])((?:(?!\1).)*?[^\s*_~]|[^\s*_~])\1(?![\p{L}\p{N}*_~])/gu;
const TAGS = { "*": "strong", _: "em", "~": "s" };

function emphasis(text, parent) {
  for (const piece of split(text, EMPHASIS)) {
    if (typeof piece === "string") {
      parent.append(document.createTextNode(emojify(decode(piece))));
    } else {
      const node = el(TAGS[piece[1]]);
      emphasis(piece[2], node);
      parent.append(node);
    }
  }
}

function special(inner, ctx, parent) {
  const [target, label] = inner.includes("|") ? [inner.slice(0, inner.indexOf("|")), inner.slice(inner.indexOf("|") + 1)] : [inner, ""];
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const user = (ctx.users || {})[id];
    parent.append(el("span", "mention" + (id === ctx.me ? " mention-me" : ""), "@" + (user ? user.name : label || id)));
  } else if (target.startsWith("#")) {
    const id = target.slice(1);
    parent.append(el("span", "mention channel-mention", "#" + ((ctx.channels || {})[id] || label || id)));
  } else if (target.startsWith("!")) {
    const word = target.slice(1);
    if (word.startsWith("subteam^")) parent.append(el("span", "mention", label || "@group"));
    else if (word.startsWith("date^")) parent.append(document.createTextNode(decode(label || word.split("^")[2] || "")));
    else parent.append(el("span", "mention", "@" + word));
  } else {
    const href = safeUrl(decode(target));
    if (!href) {
      parent.append(document.createTextNode(decode(label || target)));
      return;
    }
    const link = el("a", "link", decode(label || target));
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    parent.append(link);
  }
}

function inline(text, ctx, parent) {
  for (const piece of split(text, /`([^`\n]+)`/g)) {
    if (typeof piece !== "string") {
      parent.append(el("code", "code", decode(piece[1])));
      continue;
    }
    for (const part of split(piece, /<([^<>\s][^<>]*)>/g)) {
      if (typeof part === "string") emphasis(part, parent);
      else special(part[1], ctx, parent);
    }
  }
}

function lines(text, ctx, parent) {
  const rows = text.split("\n");
  let quote = null;
  rows.forEach((row, index) => {
    const quoted = row.match(/^(?:&gt;|>)\s?(.*)$/);
    if (quoted) {
      if (!quote) {
        quote = el("blockquote", "quote");
        parent.append(quote);
      } else {
        quote.append(el("br"));
      }
      inline(quoted[1], ctx, quote);
      return;
    }
    quote = null;
    inline(row, ctx, parent);
    const nextQuoted = index + 1 < rows.length && /^(?:&gt;|>)/.test(rows[index + 1]);
    if (index < rows.length - 1 && !nextQuoted) parent.append(el("br"));
  });
}

// mrkdwn text → a <span class="mrkdwn"> with the formatting Slack applies.
export function mrkdwn(text, ctx = {}) {
  const root = el("span", "mrkdwn");
  for (const piece of split(String(text || ""), /```\n?([\s\S]*?)\n?```/g)) {
    if (typeof piece === "string") lines(piece, ctx, root);
    else root.append(el("pre", "code-block", decode(piece[1])));
  }
  return root;
}

// A text object ({type: plain_text|mrkdwn, text, emoji}) → a node.
export function textObject(obj, ctx = {}) {
  if (!obj) return document.createTextNode("");
  if (typeof obj === "string") return document.createTextNode(obj);
  if (obj.type === "mrkdwn") return mrkdwn(obj.text, ctx);
  const text = obj.emoji === false ? obj.text || "" : emojify(obj.text || "");
  return el("span", "plain", text);
}

export function plain(obj) {
  if (!obj) return "";
  if (typeof obj === "string") return obj;
  return obj.emoji === false ? obj.text || "" : emojify(obj.text || "");
}

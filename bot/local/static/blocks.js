// Block Kit → DOM, for messages, the App Home tab and modals. Interactive elements call ctx.act(block,
// element, selected, node); inputs in a modal register a getter in ctx.inputs for the submission.

import { mrkdwn, plain, safeUrl, textObject } from "./mrkdwn.js";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export function blockId(block, index) {
  return block.block_id || `b${index}`;
}

function options(element) {
  const flat = [...(element.options || [])];
  for (const group of element.option_groups || []) flat.push(...(group.options || []));
  return flat;
}

function optionNodes(select, element) {
  const add = (parent, option) => {
    const node = el("option", null, plain(option.text));
    node.value = option.value;
    parent.append(node);
  };
  (element.options || []).forEach((o) => add(select, o));
  for (const group of element.option_groups || []) {
    const node = el("optgroup");
    node.label = plain(group.label);
    (group.options || []).forEach((o) => add(node, o));
    select.append(node);
  }
}

function image(url, alt, className) {
  const href = safeUrl(url || "");
  if (!href) return el("span", "image-missing", alt ? `[${alt}]` : "[image]");
  const img = el("img", className);
  img.src = href;
  img.alt = alt || "";
  img.loading = "lazy";
  return img;
}

function button(element, ctx, fire) {
  const node = el("button", "btn" + (element.style ? ` btn-${element.style}` : ""), plain(element.text));
  node.type = "button";
  node.dataset.actionId = element.action_id || "";
  node.addEventListener("click", () => {
    const href = element.url && safeUrl(element.url);
    if (href) window.open(href, "_blank", "noopener");
    fire(null, node);
  });
  return node;
}

function select(element, ctx, fire, { multiple = false, users = false, channels = false } = {}) {
  const node = el("select", "select");
  node.multiple = multiple;
  node.dataset.actionId = element.action_id || "";
  if (!multiple) {
    const placeholder = el("option", null, plain(element.placeholder) || "Select an item");
    placeholder.value = "";
    placeholder.disabled = true;
    placeholder.selected = true;
    node.append(placeholder);
  }
  if (users) {
    for (const person of ctx.people || []) {
      const opt = el("option", null, person.name);
      opt.value = person.id;
      node.append(opt);
    }
    if (element.initial_user) node.value = element.initial_user;
  } else if (channels) {
    for (const [id, name] of Object.entries(ctx.channels || {})) {
      const opt = el("option", null, `#${name}`);
      opt.value = id;
      node.append(opt);
    }
    const initial = element.initial_conversation || element.initial_channel;
    if (initial) node.value = initial;
  } else {
    optionNodes(node, element);
    const initial = (element.initial_options || []).map((o) => o.value);
    if (element.initial_option) initial.push(element.initial_option.value);
    for (const opt of node.options) if (initial.includes(opt.value)) opt.selected = true;
  }
  if (multiple) node.size = Math.min(Math.max(node.options.length, 2), 6);
  const get = () => (multiple ? [...node.selectedOptions].map((o) => o.value) : node.value || null);
  node.addEventListener("change", () => fire(get(), node));
  return [node, get];
}

function choices(element, fire, kind) {
  const box = el("div", kind === "checkbox" ? "checkboxes" : "radios");
  box.dataset.actionId = element.action_id || "";
  const name = `r${Math.random().toString(36).slice(2)}`;
  const initial = (element.initial_options || []).map((o) => o.value);
  if (element.initial_option) initial.push(element.initial_option.value);
  const inputs = [];
  for (const option of options(element)) {
    const label = el("label", "choice");
    const input = el("input");
    input.type = kind;
    input.name = name;
    input.value = option.value;
    input.checked = initial.includes(option.value);
    inputs.push(input);
    const text = el("span", "choice-text");
    text.append(textObject(option.text));
    if (option.description) text.append(el("span", "choice-description", plain(option.description)));
    label.append(input, text);
    box.append(label);
  }
  const get = () => {
    const checked = inputs.filter((i) => i.checked).map((i) => i.value);
    return kind === "checkbox" ? checked : checked[0] || null;
  };
  box.addEventListener("change", () => fire(get(), box));
  return [box, get];
}

function textInput(element) {
  const multiline = element.type === "plain_text_input" && element.multiline;
  const node = el(multiline ? "textarea" : "input", "text-input");
  if (!multiline) {
    node.type = { number_input: "number", email_text_input: "email", url_text_input: "url" }[element.type] || "text";
  }
  if (element.type === "number_input" && element.is_decimal_allowed) node.step = "any";
  if (element.placeholder) node.placeholder = plain(element.placeholder);
  if (element.max_length) node.maxLength = element.max_length;
  node.value = element.initial_value ?? "";
  node.dataset.actionId = element.action_id || "";
  return [node, () => (node.value === "" ? null : node.value)];
}

function picker(element, fire, type) {
  const node = el("input", "text-input picker");
  node.type = type;
  node.value = (type === "date" ? element.initial_date : element.initial_time) || "";
  node.dataset.actionId = element.action_id || "";
  const get = () => node.value || null;
  node.addEventListener("change", () => fire(get(), node));
  return [node, get];
}

// One element; returns [node, getter]. `fire(selected, node)` sends a block_actions when wanted.
function control(element, ctx, fire) {
  switch (element.type) {
    case "button":
      return [button(element, ctx, fire), () => null];
    case "static_select":
    case "external_select":
      return select(element, ctx, fire);
    case "multi_static_select":
    case "multi_external_select":
      return select(element, ctx, fire, { multiple: true });
    case "users_select":
      return select(element, ctx, fire, { users: true });
    case "multi_users_select":
      return select(element, ctx, fire, { users: true, multiple: true });
    case "conversations_select":
    case "channels_select":
      return select(element, ctx, fire, { channels: true });
    case "overflow": {
      const [node] = select({ ...element, placeholder: { type: "plain_text", text: "⋯" } }, ctx, (value, n) => {
        fire(value, n);
        n.value = "";
      });
      node.classList.add("overflow");
      return [node, () => null];
    }
    case "checkboxes":
      return choices(element, fire, "checkbox");
    case "radio_buttons":
      return choices(element, fire, "radio");
    case "datepicker":
      return picker(element, fire, "date");
    case "timepicker":
      return picker(element, fire, "time");
    case "plain_text_input":
    case "number_input":
    case "email_text_input":
    case "url_text_input":
      return textInput(element);
    case "image":
      return [image(element.image_url, element.alt_text, "accessory-image"), () => null];
    default:
      return [el("span", "unsupported", `[${element.type} is not shown in the local workspace]`), () => null];
  }
}

// `seen`: the element as this page drew it; the server refuses a click on one that changed since.
function firer(ctx, index, key, element) {
  const seen = { action_id: (element || {}).action_id || "", value: (element || {}).value || "" };
  return (selected, node) => ctx.act && ctx.act(index, key, selected, node, seen);
}

function section(block, index, ctx, wrap) {
  const main = el("div", "section-main");
  if (block.text) main.append(textObject(block.text, ctx));
  if (block.fields && block.fields.length) {
    const grid = el("div", "fields");
    for (const field of block.fields) {
      const cell = el("div", "field");
      cell.append(textObject(field, ctx));
      grid.append(cell);
    }
    main.append(grid);
  }
  wrap.append(main);
  if (block.accessory) {
    const side = el("div", "accessory");
    side.append(control(block.accessory, ctx, firer(ctx, index, "accessory", block.accessory))[0]);
    wrap.append(side);
  }
}

function input(block, index, ctx, wrap) {
  const id = blockId(block, index);
  const label = el("label", "input-label");
  label.append(document.createTextNode(plain(block.label)));
  if (block.optional) label.append(el("span", "optional", " (optional)"));
  const element = block.element || {};
  const fire = element.dispatch_action || block.dispatch_action ? firer(ctx, index, "input", element) : () => {};
  const [node, get] = control(element, ctx, fire);
  node.id = `input-${id}`;
  label.htmlFor = node.id;
  const error = el("div", "input-error");
  error.hidden = true;
  wrap.append(label, node);
  if (block.hint) wrap.append(el("div", "hint", plain(block.hint)));
  wrap.append(error);
  if (ctx.inputs) ctx.inputs.push({ blockId: id, optional: !!block.optional, get, node, error });
}

function richText(block, ctx, wrap) {
  const text = [];
  const walk = (items) => {
    for (const item of items || []) {
      if (item.type === "text") text.push(item.text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]));
      else if (item.type === "user") text.push(`<@${item.user_id}>`);
      else if (item.type === "channel") text.push(`<#${item.channel_id}>`);
      else if (item.type === "link") text.push(`<${item.url}${item.text ? "|" + item.text : ""}>`);
      else if (item.type === "emoji") text.push(`:${item.name}:`);
      if (item.elements) walk(item.elements);
      if (item.type && item.type.startsWith("rich_text_") && item.type !== "rich_text_section") text.push("\n");
    }
  };
  walk(block.elements);
  wrap.append(mrkdwn(text.join(""), ctx));
}

function renderBlock(block, index, ctx) {
  const wrap = el("div", `block block-${block.type || "unknown"}`);
  wrap.dataset.blockId = blockId(block, index);
  switch (block.type) {
    case "header":
      wrap.append(el("div", "header-text", plain(block.text)));
      break;
    case "section":
      section(block, index, ctx, wrap);
      break;
    case "context":
      for (const item of block.elements || []) {
        wrap.append(item.type === "image" ? image(item.image_url, item.alt_text, "context-image") : textObject(item, ctx));
      }
      break;
    case "divider":
      wrap.append(el("hr", "divider"));
      break;
    case "image": {
      if (block.title) wrap.append(el("div", "image-title", plain(block.title)));
      wrap.append(image(block.image_url, block.alt_text, "block-image"));
      break;
    }
    case "actions":
      (block.elements || []).forEach((element, i) => wrap.append(control(element, ctx, firer(ctx, index, i, element))[0]));
      break;
    case "input":
      input(block, index, ctx, wrap);
      break;
    case "rich_text":
      richText(block, ctx, wrap);
      break;
    default:
      wrap.append(el("div", "unsupported", `[a ${block.type} block is not shown in the local workspace]`));
  }
  return wrap;
}

export function renderBlocks(blocks, ctx) {
  const frag = document.createDocumentFragment();
  (blocks || []).forEach((block, index) => frag.append(renderBlock(block, index, ctx)));
  return frag;
}

// Legacy attachments: a colour bar with text, fields and blocks, as Slack still shows them.
export function renderAttachments(attachments, ctx) {
  const frag = document.createDocumentFragment();
  for (const a of attachments || []) {
    const box = el("div", "attachment");
    if (a.color) box.style.borderLeftColor = /^#?[0-9a-f]{3,8}$/i.test(a.color) ? (a.color[0] === "#" ? a.color : `#${a.color}`) : "";
    if (a.pretext) box.append(mrkdwn(a.pretext, ctx));
    if (a.title) box.append(el("div", "attachment-title", a.title));
    if (a.text) box.append(mrkdwn(a.text, ctx));
    for (const f of a.fields || []) {
      const field = el("div", "field");
      field.append(el("strong", null, f.title || ""), el("br"), mrkdwn(f.value || "", ctx));
      box.append(field);
    }
    if (a.blocks) box.append(renderBlocks(a.blocks, { ...ctx, act: null }));
    frag.append(box);
  }
  return frag;
}

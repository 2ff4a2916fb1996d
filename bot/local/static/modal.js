// Modals as Slack shows them: the top of the person's stack, required fields checked before sending,
// the app's validation errors under their inputs, closed on an empty ack or Cancel.

import { el, renderBlocks } from "./blocks.js";
import { plain } from "./mrkdwn.js";

const REQUIRED = "Please complete this required field.";

// app: { state, root, send, refresh, burst, ctx, act } from the page.
export function modals(app) {
  const S = app.state;
  let key = null;
  let open = null; // { view, inputs, banner, card }

  function collect(inputs) {
    const values = {};
    for (const input of inputs) values[input.blockId] = input.get();
    return values;
  }

  function showErrors(errors) {
    const known = new Set();
    for (const input of open.inputs) {
      const message = errors[input.blockId];
      input.error.textContent = message || "";
      input.error.hidden = !message;
      input.node.classList.toggle("invalid", !!message);
      if (message) known.add(input.blockId);
    }
    const other = Object.entries(errors).filter(([k]) => !known.has(k)).map(([, v]) => v);
    open.banner.textContent = other.join(" ");
    open.banner.hidden = other.length === 0;
  }

  async function submit() {
    const missing = {};
    for (const input of open.inputs) {
      const value = input.get();
      if (!input.optional && (value === null || (Array.isArray(value) && value.length === 0))) {
        missing[input.blockId] = REQUIRED;
      }
    }
    showErrors(missing);
    if (Object.keys(missing).length) return;
    const current = open;
    const button = current.card.querySelector(".modal-submit");
    if (button) button.disabled = true;
    const res = await app.send("/ui/submit", { as: S.as, view_id: current.view.id, values: collect(current.inputs) });
    if (button) button.disabled = false;
    if (open !== current) return;
    if (!res.ok) {
      showErrors({ _: res.error || "We had some trouble connecting. Try again?" });
      return;
    }
    if (res.errors && Object.keys(res.errors).length) {
      showErrors(res.errors);
      return;
    }
    S.version = null;
    await app.refresh(true);
    app.burst();
  }

  async function close() {
    if (!open) return;
    await app.send("/ui/close", { as: S.as, view_id: open.view.id });
    S.version = null;
    await app.refresh(true);
  }

  function build(view) {
    const inputs = [];
    const act = (block, element, selected, source, seen) => app.act({ view_id: view.id }, block, element, selected, source, seen);
    const card = el("form", "modal-card");
    card.setAttribute("role", "dialog");
    card.setAttribute("aria-modal", "true");
    card.setAttribute("aria-labelledby", "modal-title");
    const head = el("div", "modal-head");
    const title = el("h2", "modal-title", plain(view.title) || "Modal");
    title.id = "modal-title";
    const x = el("button", "modal-x", "×");
    x.type = "button";
    x.setAttribute("aria-label", "Close");
    x.addEventListener("click", close);
    head.append(title, x);
    const body = el("div", "modal-body");
    const banner = el("div", "modal-banner");
    banner.hidden = true;
    body.append(banner, renderBlocks(view.blocks, { ...app.ctx(), inputs, act }));
    const foot = el("div", "modal-foot");
    const cancel = el("button", "btn", plain(view.close) || "Cancel");
    cancel.type = "button";
    cancel.addEventListener("click", close);
    foot.append(cancel);
    if (view.submit) {
      const button = el("button", "btn btn-primary modal-submit", plain(view.submit));
      button.type = "submit";
      foot.append(button);
    }
    card.append(head, body, foot);
    card.addEventListener("submit", (e) => {
      e.preventDefault();
      submit();
    });
    return { view, inputs, banner, card };
  }

  return {
    render(view) {
      if (!view) {
        app.root.hidden = true;
        app.root.replaceChildren();
        key = null;
        open = null;
        return;
      }
      const next = `${S.as}:${view.id}:${view.hash}`;
      if (next === key) return;
      key = next;
      open = build(view);
      app.root.replaceChildren(open.card);
      app.root.hidden = false;
      const first = open.card.querySelector("input, textarea, select");
      if (first) first.focus();
    },
    // A block action inside the open modal carries the inputs' current values, as Slack's does.
    valuesFor(viewId) {
      return open && open.view.id === viewId ? { values: collect(open.inputs) } : {};
    },
    isOpen: () => open !== null,
    close,
    forget() {
      key = null;
    },
  };
}

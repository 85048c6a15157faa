/*
 * support_bot chat widget: plain ES2020, no build step, no dependencies.
 *
 *   <script src="https://support.example/static/widget/widget.js"
 *           data-endpoint="https://support.example"
 *           data-customer-email="ann@shop.example"
 *           data-customer-signature="<hex HMAC-SHA256 of the e-mail, from the store's backend>"
 *           defer></script>
 *
 * The two customer attributes are optional: with them the chat starts as that customer, signed by
 * the store's own backend (shared/protocol.md). A single-page store can instead call
 * window.SupportBot.identify({email, signature}) once it knows who is signed in.
 *
 * The client side of shared/protocol.md. It lives in a Shadow DOM so the host page's CSS cannot
 * reach it, and it renders every piece of text with textContent: nothing from the server or the
 * customer is ever parsed as HTML.
 *
 * Transcript model: persisted messages are keyed by seq and by message_id, so a replay after a
 * reconnect shows no duplicate, and `resume` always asks for what follows the highest seq held
 * without a gap. Unacknowledged customer messages sit in an outbox (kept in localStorage) and are
 * re-sent with the same client_id after a reconnect; the server is idempotent per client_id.
 */
(() => {
  "use strict";
  const LOADED = "__supportBotWidgetLoaded";
  if (window[LOADED]) return; // the tag was included twice
  window[LOADED] = true;

  const MAX_CHARS = 4000;
  const PING_MS = 25000;
  const STALE_MS = 65000; // no frame at all for this long (pings included): the socket is dead
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_CAP_MS = 10000;
  const TYPING_THROTTLE_MS = 3000;
  const TYPING_IDLE_MS = 5000;
  const AGENT_TYPING_TIMEOUT_MS = 10000;
  const GAP_RESUME_MS = 800;
  const HUMAN_RETRY_MS = 15000;
  const REJECTED = new Set([401, 403, 404]);

  const script =
    document.currentScript || document.querySelector('script[src*="widget/widget.js"]');
  const scriptSrc = script ? script.src : location.href;
  const endpoint = ((script && script.dataset.endpoint) || new URL(scriptSrc).origin).replace(
    /\/+$/,
    "",
  );
  const cssHref = new URL("widget.css", scriptSrc).href;
  const title = (script && script.dataset.title) || "Customer support";
  // Cookies go only to our own origin: cross-origin the bearer token is all the widget needs, and
  // the API's CORS answers allow no credentials.
  const credentials = new URL(endpoint, location.href).origin === location.origin ? "include" : "omit";
  const storeKey = `support_bot.conversation:${endpoint}`;
  const openKey = `support_bot.open:${endpoint}`;

  /* ---------- storage (private modes and sandboxed frames can throw) ---------- */

  const memory = new Map();
  const storage = {
    get(area, key) {
      try {
        return window[area].getItem(key);
      } catch {
        return memory.get(area + key) ?? null;
      }
    },
    set(area, key, value) {
      try {
        window[area].setItem(key, value);
      } catch {
        memory.set(area + key, value);
      }
    },
    remove(area, key) {
      try {
        window[area].removeItem(key);
      } catch {
        memory.delete(area + key);
      }
    },
  };

  function loadConversation() {
    try {
      const c = JSON.parse(storage.get("localStorage", storeKey) || "null");
      if (!c || typeof c.id !== "string" || typeof c.token !== "string") return null;
      return {
        id: c.id,
        token: c.token,
        ws_url: typeof c.ws_url === "string" ? c.ws_url : `/ws/chat/${c.id}/`,
        last_seq: Number(c.last_seq) || 0,
        outbox: Array.isArray(c.outbox) ? c.outbox.filter((m) => m && m.client_id) : [],
        csat_done: Boolean(c.csat_done),
        email: typeof c.email === "string" ? c.email : "",
      };
    } catch {
      return null;
    }
  }

  function saveConversation() {
    if (!state.conv) return;
    state.conv.last_seq = state.highWater;
    storage.set("localStorage", storeKey, JSON.stringify(state.conv));
  }

  /* ---------- the customer, as the store's site signed them ---------- */

  function identityFrom(given) {
    const email = given && typeof given.customerEmail === "string" ? given.customerEmail : "";
    const signature = given && typeof given.customerSignature === "string" ? given.customerSignature : "";
    return email.trim() && signature.trim() ? { email: email.trim(), signature: signature.trim() } : null;
  }

  function identityEmail() {
    return state.identity ? state.identity.email.toLowerCase() : "";
  }

  /** A stored conversation belongs to whoever started it: another customer (or none) starts anew. */
  function identify(given) {
    const identity = identityFrom({
      customerEmail: given && given.email,
      customerSignature: given && given.signature,
    });
    const before = identityEmail();
    state.identity = identity;
    if (state.conv && before !== identityEmail()) resetConversation();
  }

  /* ---------- small helpers ---------- */

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // randomUUID needs a secure context; plain-http pages still get a v4 UUID.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = Array.from(b, (n) => n.toString(16).padStart(2, "0")).join("");
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  // Python's len() counts code points; so does the server's 4,000 limit.
  const charCount = (text) => Array.from(text).length;

  function readCookie(name) {
    for (const part of document.cookie ? document.cookie.split(";") : []) {
      const [k, ...v] = part.trim().split("=");
      if (k === name) return decodeURIComponent(v.join("="));
    }
    return null;
  }

  /** Builds an element. Children are nodes or strings; strings become text nodes, never HTML. */
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    el.append(...children.filter((c) => c != null));
    return el;
  }

  const ICONS = {
    chat: [
      "M21 11.5a8.4 8.4 0 0 1-9 8.4 9 9 0 0 1-3.8-.8L3 21l1.9-5A8.4 8.4 0 0 1 12 3a8.5 8.5 0 0 1 9 8.5z",
    ],
    close: ["M6 6l12 12", "M18 6L6 18"],
    send: ["M22 2L11 13", "M22 2l-7 20-4-9-9-4 20-7z"],
    person: ["M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2", "M12 3a4 4 0 1 0 0 8 4 4 0 1 0 0-8z"],
    info: ["M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z", "M12 16v-4", "M12 8h.01"],
    wifi: ["M12 20h.01", "M8.5 16.4a5 5 0 0 1 7 0", "M5 12.9a10 10 0 0 1 14 0"],
  };

  function icon(name, size = 20) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    for (const [k, v] of Object.entries({
      viewBox: "0 0 24 24",
      width: size,
      height: size,
      fill: "none",
      stroke: "currentColor",
      "stroke-width": 2,
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      "aria-hidden": "true",
      focusable: "false",
    }))
      svg.setAttribute(k, String(v));
    for (const d of ICONS[name]) {
      const path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
    return svg;
  }

  /* ---------- state ---------- */

  const state = {
    conv: null, // {id, token, ws_url, last_seq, outbox: [{client_id, text}], csat_done, email}
    identity: identityFrom(script && script.dataset), // {email, signature} | null
    creating: null, // the POST in flight
    ws: null,
    wsOpen: false,
    attempt: 0,
    failedOpens: 0,
    reconnectTimer: 0,
    pingTimer: 0,
    lastFrameAt: 0,
    bySeq: new Map(), // seq -> {seq, message_id, sender, text, el}
    byId: new Map(), // message_id -> same entry
    highWater: 0, // every seq 1..highWater is shown
    gapTimer: 0,
    pending: new Map(), // client_id -> {client_id, text, status, el}
    streams: new Map(), // message_id -> {next, parts: Map(index -> text), text, el}
    controlQueue: [], // handoff_request / csat / decision waiting for a socket
    proposals: new Map(), // proposal_id -> {id, summary, state, el, buttons, result}
    open: false,
    unread: 0,
    status: null, // {reply_to, text}
    agentName: null,
    agentTyping: false,
    agentTypingTimer: 0,
    handoff: null,
    latestBotSeq: 0,
    typingSentAt: 0,
    typingIdleTimer: 0,
    rateLimitUntil: 0,
    csatReason: null,
    followLog: true,
  };

  const ui = {};

  /* ---------- DOM ---------- */

  function buildDom() {
    const host = h("div", { id: "support-bot-widget", "data-support-bot": "" });
    const shadow = host.attachShadow({ mode: "open" });
    const root = h("div", { class: "sbw-root", hidden: true });
    const link = h("link", { rel: "stylesheet", href: cssHref });
    // Reveal only once styled, so the page never flashes an unstyled widget.
    const reveal = () => root.removeAttribute("hidden");
    link.addEventListener("load", reveal);
    link.addEventListener("error", reveal);
    shadow.append(link, root);

    ui.launcher = h(
      "button",
      {
        type: "button",
        class: "sbw-launcher",
        "aria-expanded": "false",
        "aria-controls": "sbw-panel",
        "aria-label": "Open support chat",
        onclick: () => (state.open ? closePanel() : openPanel()),
      },
      h("span", { class: "sbw-launcher-open" }, icon("chat", 26)),
      h("span", { class: "sbw-launcher-close" }, icon("close", 26)),
    );
    ui.badge = h("span", { class: "sbw-badge", hidden: true, "aria-hidden": "true" });
    ui.launcher.append(ui.badge);
    ui.panel = buildPanel();
    root.append(ui.panel, ui.launcher);
    ui.root = root;
    ui.shadow = shadow;
    document.body.append(host);
  }

  function buildPanel() {
    ui.subtitle = h("p", { class: "sbw-subtitle", text: "Usually replies in seconds" });
    const header = h(
      "header",
      { class: "sbw-header" },
      h("div", { class: "sbw-avatar", "aria-hidden": "true" }, icon("chat", 20)),
      h(
        "div",
        { class: "sbw-titles" },
        h("h2", { class: "sbw-title", id: "sbw-title", text: title }),
        ui.subtitle,
      ),
      h(
        "button",
        {
          type: "button",
          class: "sbw-icon-btn",
          "aria-label": "Close chat",
          onclick: () => closePanel(),
        },
        icon("close", 20),
      ),
    );
    ui.conn = h("div", { class: "sbw-banner sbw-banner--conn", role: "status", hidden: true });
    ui.degraded = h(
      "div",
      { class: "sbw-banner sbw-banner--degraded", hidden: true },
      icon("info", 16),
      h("span", { text: "Limited answers right now. Ask for a person if you need more help." }),
    );
    ui.handoffBar = h("div", {
      class: "sbw-banner sbw-banner--handoff",
      role: "status",
      hidden: true,
    });
    ui.log = h("div", {
      class: "sbw-log",
      role: "log",
      "aria-live": "polite",
      "aria-label": "Conversation",
      tabindex: "0",
    });
    ui.log.addEventListener("scroll", onLogScroll, { passive: true });
    ui.log.append(greeting());
    ui.activity = h("div", { class: "sbw-activity", role: "status", "aria-live": "polite" });
    // Says a proposal card arrived or was settled: the card itself sits in the log.
    ui.announcer = h("div", { class: "sbw-sr", role: "status", "aria-live": "polite" });
    ui.csat = buildCsat();
    const panel = h(
      "div",
      {
        class: "sbw-panel",
        id: "sbw-panel",
        role: "dialog",
        "aria-label": `${title} chat`,
        hidden: true,
        onkeydown: onPanelKeydown,
      },
      header,
      ui.conn,
      ui.degraded,
      ui.handoffBar,
      ui.log,
      ui.activity,
      ui.announcer,
      ui.csat,
      buildComposer(),
    );
    return panel;
  }

  function greeting() {
    return h(
      "div",
      { class: "sbw-msg sbw-msg--bot sbw-msg--greeting" },
      h(
        "div",
        { class: "sbw-bubble" },
        "Hi! I can help with orders, deliveries, returns and refunds. How can I help today?",
      ),
    );
  }

  function buildComposer() {
    ui.input = h("textarea", {
      class: "sbw-input",
      id: "sbw-input",
      rows: "1",
      placeholder: "Type your message…",
      "aria-describedby": "sbw-counter",
      autocomplete: "off",
      oninput: onInput,
      onkeydown: onInputKeydown,
    });
    ui.sendBtn = h(
      "button",
      { type: "submit", class: "sbw-send", "aria-label": "Send message" },
      icon("send", 18),
    );
    ui.counter = h("span", { class: "sbw-counter", id: "sbw-counter", "aria-live": "polite" });
    ui.endBtn = h("button", {
      type: "button",
      class: "sbw-chip sbw-end",
      text: "End chat",
      hidden: true,
      onclick: () => showCsat("end"),
    });
    ui.humanBtn = h(
      "button",
      { type: "button", class: "sbw-chip sbw-human", onclick: requestHuman },
      icon("person", 16),
      h("span", { text: "Talk to a human" }),
    );
    const form = h(
      "form",
      {
        class: "sbw-composer",
        onsubmit: (e) => {
          e.preventDefault();
          submitComposer();
        },
      },
      h("label", { class: "sbw-sr", for: "sbw-input", text: "Your message" }),
      h("div", { class: "sbw-compose-row" }, ui.input, ui.sendBtn),
      h("div", { class: "sbw-compose-meta" }, ui.humanBtn, ui.endBtn, ui.counter),
    );
    updateCounter();
    return form;
  }

  function buildCsat() {
    ui.csatComment = h("textarea", {
      class: "sbw-csat-comment",
      id: "sbw-csat-comment",
      rows: "2",
      maxlength: "1000",
      placeholder: "Anything we could do better? (optional)",
    });
    const names = ["Very poor", "Poor", "Okay", "Good", "Excellent"];
    const scores = names.map((name, i) =>
      h(
        "label",
        { class: "sbw-score", title: name },
        h("input", {
          type: "radio",
          name: "sbw-score",
          value: String(i + 1),
          "aria-label": `${i + 1} of 5, ${name}`,
        }),
        h("span", { "aria-hidden": "true", text: String(i + 1) }),
      ),
    );
    ui.csatForm = h(
      "form",
      { class: "sbw-csat-form", onsubmit: onCsatSubmit },
      h(
        "fieldset",
        { class: "sbw-scores" },
        h("legend", { id: "sbw-csat-title", text: "How would you rate this chat?" }),
        h("div", { class: "sbw-score-row" }, ...scores),
        h(
          "div",
          { class: "sbw-score-ends", "aria-hidden": "true" },
          h("span", { text: "Very poor" }),
          h("span", { text: "Excellent" }),
        ),
      ),
      h("label", { class: "sbw-sr", for: "sbw-csat-comment", text: "Comment (optional)" }),
      ui.csatComment,
      h(
        "div",
        { class: "sbw-csat-actions" },
        h("button", {
          type: "button",
          class: "sbw-btn sbw-btn--ghost",
          text: "Not now",
          onclick: skipCsat,
        }),
        h("button", { type: "submit", class: "sbw-btn sbw-btn--primary", text: "Send feedback" }),
      ),
    );
    ui.csatError = h("p", { class: "sbw-csat-error", role: "alert" });
    return h(
      "section",
      { class: "sbw-csat", "aria-labelledby": "sbw-csat-title", hidden: true },
      ui.csatForm,
      ui.csatError,
    );
  }

  /* ---------- rendering messages ---------- */

  const SENDER_LABEL = { customer: "You", bot: "Assistant", system: "Notice" };

  function senderLabel(sender) {
    if (sender === "agent")
      return state.agentName ? `${state.agentName} · Support agent` : "Support agent";
    return SENDER_LABEL[sender] || "Notice";
  }

  function renderMessage(sender, text) {
    const kind = ["customer", "bot", "agent", "system"].includes(sender) ? sender : "system";
    const bubble = h("div", { class: "sbw-bubble" });
    fillBubble(bubble, text, kind);
    const meta =
      kind === "agent"
        ? h("div", { class: "sbw-msg-meta", "aria-hidden": "true", text: senderLabel(kind) })
        : null;
    return h(
      "div",
      { class: `sbw-msg sbw-msg--${kind}`, "data-sender": kind },
      h("span", { class: "sbw-sr", text: `${senderLabel(kind)}: ` }),
      meta,
      bubble,
    );
  }

  function setBubbleText(el, text) {
    el.querySelector(".sbw-bubble").textContent = text;
  }

  /* ---------- long replies: short paragraphs and lists, as text nodes ---------- */

  const LIST_ITEM = /^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+\S/;
  const NUMBERED = /^\s*\d/;
  // A sentence ends at . ! or ? followed by space and a capital, a digit or a currency sign;
  // "$43.34" and "e.g. this" stay whole. The split keeps the spaces, so no character is lost.
  const SENTENCE_GAP = /(?<=[.!?])(\s+)(?=["\u201c(\u00a1\u00bf]?[\p{Lu}\d$\u20ac\u00a3])/u;
  const SENTENCES_PER_PARAGRAPH = 2;

  /**
   * Fills a message bubble. A bot reply of more than two sentences, or with a list in it, is
   * shown as short paragraphs and lists; the bubble's textContent stays exactly the message text
   * (the gaps between blocks are kept as text nodes), and nothing is parsed as HTML.
   */
  function fillBubble(bubble, text, sender) {
    const blocks = sender === "bot" ? richBlocks(text) : null;
    bubble.classList.toggle("sbw-bubble--rich", Boolean(blocks));
    if (blocks) bubble.replaceChildren(...blocks);
    else bubble.textContent = text;
  }

  function richBlocks(text) {
    const parts = text.split(/(\n[ \t]*\n\s*)/); // blocks, with the blank lines between them
    const nodes = [];
    let sentences = 0;
    let listed = false;
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        nodes.push(document.createTextNode(part));
        return;
      }
      if (!part) return;
      const list = listNodes(part);
      if (list) {
        listed = true;
        nodes.push(...list);
        return;
      }
      const pieces = part.split(SENTENCE_GAP);
      sentences += (pieces.length + 1) / 2;
      nodes.push(...paragraphNodes(pieces));
    });
    return listed || sentences > SENTENCES_PER_PARAGRAPH ? nodes : null;
  }

  /** pieces: sentence, gap, sentence, gap, ... grouped two sentences to a paragraph. */
  function paragraphNodes(pieces) {
    const nodes = [];
    const step = SENTENCES_PER_PARAGRAPH * 2;
    for (let i = 0; i < pieces.length; i += step) {
      const group = pieces.slice(i, i + step - 1).join("");
      nodes.push(h("p", { class: "sbw-para" }, group));
      if (i + step - 1 < pieces.length) nodes.push(document.createTextNode(pieces[i + step - 1]));
    }
    return nodes;
  }

  /** A block whose lines (after an optional lead-in) are all list items; else null. */
  function listNodes(block) {
    const lines = block.split("\n");
    const first = lines.findIndex((line) => LIST_ITEM.test(line));
    const items = lines.slice(first);
    if (first < 0 || items.length < 2 || !items.every((line) => LIST_ITEM.test(line))) return null;
    const nodes = [];
    if (first > 0) {
      nodes.push(h("p", { class: "sbw-para" }, lines.slice(0, first).join("\n")));
      nodes.push(document.createTextNode("\n"));
    }
    const list = h(NUMBERED.test(items[0]) ? "ol" : "ul", { class: "sbw-list" });
    items.forEach((line, i) => {
      if (i > 0) list.append(document.createTextNode("\n"));
      list.append(h("li", {}, line)); // the marker stays in the text: the list has no bullets
    });
    nodes.push(list);
    return nodes;
  }

  function setMsgState(el, status, note) {
    el.dataset.state = status;
    el.classList.toggle("sbw-msg--pending", status === "pending");
    el.classList.toggle("sbw-msg--failed", status === "failed");
    let line = el.querySelector(".sbw-msg-state");
    if (!note) {
      if (line) line.remove();
      return null;
    }
    if (!line) {
      line = h("div", { class: "sbw-msg-state" });
      el.append(line);
    }
    line.replaceChildren(note);
    return line;
  }

  /** Keeps persisted messages in seq order; unsequenced bubbles (pending, streaming) stay put. */
  function placeBySeq(el, seq) {
    el.dataset.seq = String(seq);
    const children = Array.from(ui.log.children).filter((c) => c !== el);
    let before = children.find((c) => c.dataset.seq !== undefined && Number(c.dataset.seq) > seq);
    if (!before) before = children.find((c) => c.classList.contains("sbw-msg--pending")) || null;
    if (el.parentNode === ui.log && el.nextElementSibling === before) return;
    ui.log.insertBefore(el, before);
  }

  function addNote(text, kind = "error", after = null) {
    const note = h("div", { class: `sbw-note sbw-note--${kind}` });
    note.append(typeof text === "string" ? document.createTextNode(text) : text);
    if (after && after.parentNode === ui.log) after.after(note);
    else ui.log.append(note);
    scrollToEnd(true);
    return note;
  }

  // Follow new messages unless the reader scrolled up to read older ones. Decided on the
  // reader's own scrolling, since banners coming and going also move the distance to the end.
  function onLogScroll() {
    const l = ui.log;
    state.followLog = l.scrollHeight - l.scrollTop - l.clientHeight < 64;
  }

  function scrollToEnd(force = false) {
    if (force) state.followLog = true;
    if (state.followLog) ui.log.scrollTop = ui.log.scrollHeight;
  }

  /* ---------- persisted transcript ---------- */

  function registerPersisted(entry) {
    state.bySeq.set(entry.seq, entry);
    if (entry.message_id) state.byId.set(entry.message_id, entry);
    placeBySeq(entry.el, entry.seq);
    while (state.bySeq.has(state.highWater + 1)) state.highWater += 1;
    if (state.bySeq.size > state.highWater) scheduleGapResume();
    saveConversation();
  }

  function onMessage(f, live) {
    const seq = Number(f.seq);
    if (!Number.isInteger(seq) || seq < 1 || typeof f.message_id !== "string") return;
    if (state.bySeq.has(seq) || state.byId.has(f.message_id)) return; // replayed: already shown
    const sender = String(f.sender || "system");
    const text = String(f.text ?? "");
    const el = claimElement(f.message_id, sender, text) || renderMessage(sender, text);
    const at = f.created_at ? new Date(f.created_at) : null;
    if (at && !Number.isNaN(at.getTime())) el.title = at.toLocaleString();
    registerPersisted({ seq, message_id: f.message_id, sender, text, el });
    if (sender !== "customer") afterReply(f, seq, sender, live);
    scrollToEnd(live && sender === "customer");
  }

  /** Reuses the bubble already on screen for this message: a finished stream or a pending send. */
  function claimElement(messageId, sender, text) {
    const stream = state.streams.get(messageId);
    if (stream) {
      state.streams.delete(messageId);
      stream.el.classList.remove("sbw-msg--streaming");
      stream.el.removeAttribute("aria-busy");
      fillBubble(stream.el.querySelector(".sbw-bubble"), text, sender);
      return stream.el;
    }
    if (sender !== "customer") return null;
    // A replay can carry our own unacked message before its ack: the oldest pending send with
    // the same text is that message (sends are persisted in the order they were made).
    for (const p of state.pending.values()) {
      if (p.status === "pending" && p.text === text) {
        state.pending.delete(p.client_id);
        dropFromOutbox(p.client_id);
        setMsgState(p.el, "sent");
        return p.el;
      }
    }
    return null;
  }

  function afterReply(f, seq, sender, live) {
    const answers = sender === "bot" || sender === "agent";
    if (answers && (!f.reply_to || !state.status || f.reply_to === state.status.reply_to)) {
      setStatus(null);
    }
    if (sender === "agent") setAgentTyping(false);
    if (sender === "bot" && seq >= state.latestBotSeq) {
      state.latestBotSeq = seq;
      ui.degraded.hidden = f.degraded !== true;
    }
    if (live && !state.open) {
      state.unread += 1;
      renderBadge();
    }
  }

  function scheduleGapResume() {
    if (state.gapTimer) return;
    state.gapTimer = setTimeout(() => {
      state.gapTimer = 0;
      if (state.bySeq.size > state.highWater && state.wsOpen) {
        sendFrame({ type: "resume", after_seq: state.highWater });
      }
    }, GAP_RESUME_MS);
  }

  /* ---------- frames from the server ---------- */

  function onAck(f) {
    const p = state.pending.get(f.client_id);
    if (!p) return; // another tab's message, or one already matched by its replay
    state.pending.delete(p.client_id);
    dropFromOutbox(p.client_id);
    setMsgState(p.el, "sent");
    const seq = Number(f.seq);
    const existing = state.byId.get(f.message_id) || state.bySeq.get(seq);
    if (existing) {
      if (existing.el !== p.el) p.el.remove(); // its replay got here first
      return;
    }
    if (!Number.isInteger(seq) || seq < 1) return;
    registerPersisted({
      seq,
      message_id: f.message_id,
      sender: "customer",
      text: p.text,
      el: p.el,
    });
  }

  function onDelta(f) {
    const index = Number(f.index);
    if (typeof f.message_id !== "string" || !Number.isInteger(index) || index < 0) return;
    if (state.byId.has(f.message_id)) return; // the final message is already here
    let s = state.streams.get(f.message_id);
    if (!s) {
      const el = renderMessage("bot", "");
      el.classList.add("sbw-msg--streaming");
      el.setAttribute("aria-busy", "true"); // screen readers read the bubble once, when done
      s = { next: 0, parts: new Map(), text: "", el };
      state.streams.set(f.message_id, s);
      ui.log.append(el);
    }
    if (index < s.next || s.parts.has(index)) return; // duplicate
    s.parts.set(index, String(f.text ?? ""));
    while (s.parts.has(s.next)) {
      s.text += s.parts.get(s.next);
      s.parts.delete(s.next);
      s.next += 1;
    }
    setBubbleText(s.el, s.text);
    scrollToEnd();
  }

  function onStatus(f) {
    setStatus({ reply_to: f.reply_to || null, text: String(f.text || "Working on it…") });
  }

  function setStatus(status) {
    state.status = status;
    renderActivity();
  }

  function onTyping(f) {
    if (f.sender === "agent") setAgentTyping(f.active !== false);
  }

  function setAgentTyping(active) {
    clearTimeout(state.agentTypingTimer);
    state.agentTyping = active;
    // A lost "active: false" must not leave the dots on forever.
    if (active)
      state.agentTypingTimer = setTimeout(() => setAgentTyping(false), AGENT_TYPING_TIMEOUT_MS);
    renderActivity();
  }

  function renderActivity() {
    const text = state.agentTyping
      ? `${state.agentName || "An agent"} is typing`
      : state.status && state.status.text;
    ui.activity.replaceChildren();
    ui.activity.classList.toggle("sbw-activity--on", Boolean(text));
    if (!text) return;
    ui.activity.append(
      h("span", { class: "sbw-dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
      h("span", { class: "sbw-activity-text", text }),
    );
    scrollToEnd();
  }

  function onHandoff(f) {
    state.handoff = f.state;
    if (f.state === "queued") {
      const pos = Number(f.position);
      ui.handoffBar.textContent =
        (Number.isInteger(pos) && pos > 0
          ? `Connecting you with a person. You're number ${pos} in line.`
          : "Connecting you with a person…") + waitText(f.expected_wait_s);
      ui.subtitle.textContent = "Waiting for a person";
      setStatus(null);
    } else if (f.state === "assigned") {
      state.agentName = f.agent ? String(f.agent) : state.agentName;
      ui.handoffBar.textContent = ""; // the header now says who is here
      ui.subtitle.textContent = `You're chatting with ${state.agentName || "a support agent"}`;
      setStatus(null);
    } else if (f.state === "resolved") {
      ui.handoffBar.textContent = "";
      ui.subtitle.textContent = "Usually replies in seconds";
      setAgentTyping(false);
      showCsat("resolved");
    }
    ui.handoffBar.hidden = !ui.handoffBar.textContent;
    scrollToEnd();
    ui.humanBtn.disabled = f.state === "queued" || f.state === "assigned";
  }

  // The desk's median time from joining the queue to an agent's first reply, lately.
  function waitText(seconds) {
    const s = Number(seconds);
    if (!Number.isFinite(s) || s < 0 || seconds === null) return "";
    if (s < 60) return " Expected wait: under a minute.";
    const minutes = Math.round(s / 60);
    if (minutes < 60) return ` Expected wait: about ${minutes} min.`;
    const hours = Math.round(minutes / 6) / 10;
    return ` Expected wait: about ${hours} h.`;
  }

  /* ---------- proposals: a write the customer confirms (protocol guarantee 7) ---------- */

  const PROPOSAL_RETRY_MS = 15000;
  const CLOSED_TITLE = {
    accepted: "Confirmed",
    done: "Done",
    declined: "Declined",
    expired: "No longer on offer",
    failed: "Couldn't be done",
  };
  const ARG_LABEL = {
    order_id: "Order",
    amount: "Amount",
    reason: "Reason",
    parts: "Made up of",
    option_code: "Option",
    shipping_method_code: "Shipping",
    item_ids: "Items",
    new_item_ids: "New items",
    payment_method_id: "Payment method",
    user_id: "Account",
  };
  let cardCount = 0;

  function onProposal(f) {
    if (typeof f.proposal_id !== "string" || state.proposals.has(f.proposal_id)) return;
    const action = f.action && typeof f.action === "object" ? f.action : {};
    const summary = String(f.summary || "");
    const p = { id: f.proposal_id, summary, state: "open" };
    p.el = renderProposal(p, String(action.name || ""), action.args);
    state.proposals.set(p.id, p);
    ui.log.append(p.el);
    scrollToEnd(true);
    announce(`Please confirm: ${summary}`);
    // Moves focus only from inside the chat (the input, a button): a reloaded page keeps its own.
    if (state.open && ui.shadow.activeElement) p.el.focus();
    if (!state.open) {
      state.unread += 1;
      renderBadge();
    }
  }

  function renderProposal(p, name, args) {
    cardCount += 1;
    const titleId = `sbw-proposal-title-${cardCount}`;
    const summaryId = `sbw-proposal-summary-${cardCount}`;
    p.title = h("h3", { class: "sbw-proposal-title", id: titleId, text: "Please confirm" });
    p.result = h("p", { class: "sbw-proposal-result", hidden: true });
    p.buttons = [
      h("button", {
        type: "button",
        class: "sbw-btn sbw-btn--primary",
        text: "Confirm",
        onclick: () => decide(p, true),
      }),
      h("button", {
        type: "button",
        class: "sbw-btn sbw-btn--ghost",
        text: "Decline",
        onclick: () => decide(p, false),
      }),
    ];
    p.actions = h("div", { class: "sbw-proposal-actions" }, ...p.buttons);
    return h(
      "section",
      {
        class: "sbw-proposal",
        role: "group",
        tabindex: "-1",
        "aria-labelledby": titleId,
        "aria-describedby": summaryId,
        "data-proposal-id": p.id,
        "data-state": "open",
      },
      p.title,
      h("p", { class: "sbw-proposal-summary", id: summaryId, text: p.summary }),
      proposalDetails(name, args),
      p.actions,
      p.result,
    );
  }

  /** The action and its arguments as label / value rows, so the customer sees what they accept. */
  function proposalDetails(name, args) {
    const rows = [["Action", humanize(name)]];
    if (args && typeof args === "object") {
      for (const [key, value] of Object.entries(args)) {
        const shown = argText(key, value);
        if (shown) rows.push([ARG_LABEL[key] || humanize(key), shown]);
      }
    }
    return h(
      "dl",
      { class: "sbw-proposal-details" },
      ...rows.flatMap(([label, value]) => [h("dt", { text: label }), h("dd", { text: value })]),
    );
  }

  function humanize(key) {
    const words = String(key).replace(/_/g, " ").trim();
    return words ? words[0].toUpperCase() + words.slice(1) : "";
  }

  function argText(key, value) {
    if (value == null || value === "") return "";
    if (Array.isArray(value)) return value.map((v) => argText("", v)).join(", ");
    if (typeof value === "object") {
      if ("amount" in value && "reason" in value)
        return `${money(value.amount)} (${String(value.reason)})`;
      return Object.entries(value)
        .map(([k, v]) => `${humanize(k)}: ${argText(k, v)}`)
        .join("; ");
    }
    return key === "amount" ? money(value) : String(value);
  }

  function money(value) {
    const text = String(value);
    return /^\d+(\.\d+)?$/.test(text) ? `$${text}` : text;
  }

  function decide(p, accept) {
    if (p.state !== "open" || p.deciding) return;
    p.deciding = true;
    for (const b of p.buttons) b.disabled = true;
    p.el.setAttribute("aria-busy", "true");
    showProposalResult(p, accept ? "Confirming…" : "Declining…");
    // Normally proposal_closed settles the card; never leave it dead if none comes.
    p.retryTimer = setTimeout(() => settleDeciding(p), PROPOSAL_RETRY_MS);
    sendControl({ type: "decision", proposal_id: p.id, accept }).catch(() => {
      settleDeciding(p);
      addNote("We couldn't reach support. Check your connection and try again.", "error");
    });
  }

  /** The decision did not go through: the card is open and its buttons work again. */
  function settleDeciding(p) {
    clearTimeout(p.retryTimer);
    if (!p.deciding || p.state !== "open") return;
    p.deciding = false;
    for (const b of p.buttons) b.disabled = false;
    p.el.removeAttribute("aria-busy");
    showProposalResult(p, "");
  }

  function showProposalResult(p, text) {
    p.result.textContent = text;
    p.result.hidden = !text;
  }

  function onProposalClosed(f) {
    const p = state.proposals.get(f.proposal_id);
    if (!p || p.state !== "open") return;
    const closed = String(f.state || "");
    const focusInside = p.el.contains(ui.shadow.activeElement);
    clearTimeout(p.retryTimer);
    p.state = closed;
    p.deciding = false;
    p.el.dataset.state = closed;
    p.el.removeAttribute("aria-busy");
    p.actions.remove();
    p.title.textContent = CLOSED_TITLE[closed] || humanize(closed);
    const detail = String(f.detail || "");
    const repeats = detail.replace(/[.!]$/, "").toLowerCase() === p.title.textContent.toLowerCase();
    showProposalResult(p, repeats ? "" : detail);
    announce(`${p.title.textContent}: ${p.summary}${detail && !repeats ? ` ${detail}` : ""}`);
    if (focusInside) p.el.focus(); // its buttons are gone; keep the reader on the card
    scrollToEnd();
  }

  function announce(text) {
    ui.announcer.textContent = "";
    // A fresh text node after a tick, so the same words twice are still read out.
    setTimeout(() => {
      ui.announcer.textContent = text;
    }, 50);
  }

  function onDecisionRefused() {
    for (const p of state.proposals.values()) if (p.deciding) settleDeciding(p);
  }

  function onError(f) {
    const p = f.client_id ? state.pending.get(f.client_id) : null;
    const code = String(f.code || "");
    if (code === "rate_limited") return rateLimited(f, p);
    if (code === "invalid" && !p) onDecisionRefused();
    if (p)
      failPending(p, code === "too_long" ? "Not sent: too long" : "Not sent", code !== "too_long");
    if (code === "too_long" && p && !ui.input.value) {
      ui.input.value = p.text; // give the words back so they can be shortened
      updateCounter();
      autosize();
    }
    addNote(errorText(code, f.detail), code === "budget_exceeded" ? "warn" : "error", p && p.el);
    setStatus(null);
  }

  function errorText(code, detail) {
    switch (code) {
      case "too_long":
        return `That message is too long. Please keep it under ${MAX_CHARS.toLocaleString("en-US")} characters.`;
      case "budget_exceeded":
        return "Our assistant can't answer any more right now. A person from our team will pick up your conversation.";
      case "invalid":
        return "Sorry, that didn't go through. Please try again.";
      default:
        return detail ? String(detail) : "Something went wrong. Please try again.";
    }
  }

  function rateLimited(f, p) {
    const seconds = Math.max(1, Math.ceil(Number(f.retry_after) || 10));
    state.rateLimitUntil = Date.now() + seconds * 1000;
    if (p) failPending(p, "Not sent", true);
    const count = h("span", { class: "sbw-countdown", "aria-hidden": "true" });
    const note = addNote(
      h(
        "span",
        {},
        h("span", {
          class: "sbw-sr",
          text: `You're sending messages quickly. Please wait ${seconds} seconds before sending again.`,
        }),
        count,
      ),
      "warn",
      p && p.el,
    );
    const tick = () => {
      const left = Math.ceil((state.rateLimitUntil - Date.now()) / 1000);
      if (left <= 0) {
        count.textContent = "You can send messages again.";
        note.classList.replace("sbw-note--warn", "sbw-note--info");
        for (const b of ui.log.querySelectorAll(".sbw-retry")) b.disabled = false;
        updateCounter();
        return;
      }
      count.textContent = `You're sending messages quickly. You can send again in ${left} s.`;
      setTimeout(tick, 250);
    };
    tick();
    updateCounter();
  }

  const HANDLERS = {
    ack: onAck,
    status: onStatus,
    delta: onDelta,
    message: (f) => onMessage(f, true),
    handoff: onHandoff,
    typing: onTyping,
    error: onError,
    proposal: onProposal,
    proposal_closed: onProposalClosed,
    pong: () => {},
  };

  /* ---------- conversation lifecycle ---------- */

  function ensureConversation() {
    if (state.conv) return Promise.resolve(state.conv);
    if (!state.creating) {
      state.creating = createConversation()
        .then((conv) => {
          state.conv = conv;
          saveConversation();
          ui.endBtn.hidden = false;
          connect();
          return conv;
        })
        .finally(() => {
          state.creating = null;
        });
    }
    return state.creating;
  }

  async function createConversation() {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const csrf = readCookie("csrftoken");
    if (csrf) headers["X-CSRFToken"] = csrf;
    const body = state.identity ? { customer: state.identity } : {};
    const r = await fetch(`${endpoint}/api/conversations/`, {
      method: "POST",
      headers,
      credentials, // on our own origin the session binds the chat to the signed-in customer
      body: JSON.stringify(body),
    });
    if (!r.ok) throw await startRefused(r);
    const d = await r.json();
    if (typeof d.id !== "string" || typeof d.token !== "string") throw new Error("bad response");
    return {
      id: d.id,
      token: d.token,
      ws_url: d.ws_url || `/ws/chat/${d.id}/`,
      last_seq: 0,
      outbox: [],
      csat_done: false,
      email: identityEmail(),
    };
  }

  /** Why the API would not start a conversation, worded for the customer. */
  async function startRefused(r) {
    const error = new Error(`conversation not created (HTTP ${r.status})`);
    if (r.status === 403) {
      error.note =
        "We couldn't confirm your account with the store, so this chat can't start. " +
        "Please refresh the page or sign in again.";
    } else if (r.status === 429) {
      const seconds = Math.max(1, Number(r.headers.get("Retry-After")) || 60);
      const minutes = Math.ceil(seconds / 60);
      error.note = `Too many new chats from here. Please try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
    }
    return error;
  }

  /** Fetches persisted messages after `afterSeq`: "ok", "rejected" (401/403/404) or "error". */
  async function fetchHistory(afterSeq) {
    const c = state.conv;
    let r;
    try {
      r = await fetch(
        `${endpoint}/api/conversations/${encodeURIComponent(c.id)}/messages/?after_seq=${afterSeq}`,
        {
          headers: { Authorization: `Bearer ${c.token}`, Accept: "application/json" },
          credentials,
        },
      );
    } catch {
      return "error";
    }
    if (REJECTED.has(r.status)) return "rejected";
    if (!r.ok) return "error";
    let data;
    try {
      data = await r.json();
    } catch {
      return "error";
    }
    const list = Array.isArray(data) ? data : data.messages || data.results || [];
    if (state.conv !== c) return "ok"; // forgotten while we waited
    for (const m of list) onMessage(m, false);
    scrollToEnd();
    return "ok";
  }

  /** The stored conversation is gone or no longer ours: forget it; the next send starts anew. */
  function expireConversation() {
    const hadContent = state.bySeq.size > 0 || state.pending.size > 0;
    resetConversation();
    if (hadContent)
      addNote("Your previous chat has expired. Send a message to start a new one.", "info");
  }

  function resetConversation() {
    disconnect();
    storage.remove("localStorage", storeKey);
    state.conv = null;
    for (const m of [state.bySeq, state.byId, state.pending, state.streams, state.proposals])
      m.clear();
    state.highWater = 0;
    state.latestBotSeq = 0;
    state.controlQueue = [];
    state.handoff = null;
    state.agentName = null;
    setStatus(null);
    setAgentTyping(false);
    ui.log.replaceChildren(greeting());
    ui.endBtn.hidden = true;
    ui.handoffBar.hidden = true;
    ui.degraded.hidden = true;
    ui.humanBtn.disabled = false;
    ui.subtitle.textContent = "Usually replies in seconds";
    setConn("online");
  }

  function dropFromOutbox(clientId) {
    if (!state.conv) return;
    const before = state.conv.outbox.length;
    state.conv.outbox = state.conv.outbox.filter((m) => m.client_id !== clientId);
    if (state.conv.outbox.length !== before) saveConversation();
  }

  /* ---------- websocket ---------- */

  function wsUrl(c) {
    const base = new URL(c.ws_url, endpoint);
    if (base.protocol === "http:") base.protocol = "ws:";
    if (base.protocol === "https:") base.protocol = "wss:";
    base.searchParams.set("token", c.token);
    return base.href;
  }

  function connect() {
    if (!state.conv || state.ws) return;
    clearTimeout(state.reconnectTimer);
    let ws;
    try {
      ws = new WebSocket(wsUrl(state.conv));
    } catch {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      onSocketOpen();
    };
    ws.onmessage = (ev) => {
      state.lastFrameAt = Date.now();
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      const handler = f && HANDLERS[f.type];
      if (handler) handler(f);
    };
    ws.onclose = () => {
      if (state.ws !== ws) return; // an old socket we already let go
      if (!opened) state.failedOpens += 1;
      onSocketLost();
    };
  }

  function onSocketOpen() {
    state.wsOpen = true;
    state.attempt = 0;
    state.failedOpens = 0;
    state.lastFrameAt = Date.now();
    setConn("online");
    sendFrame({ type: "resume", after_seq: state.highWater });
    // Same client_id as the first try: the server acks a repeat without a second reply.
    for (const m of state.conv.outbox)
      sendFrame({ type: "message", client_id: m.client_id, text: m.text });
    for (const f of state.controlQueue.splice(0)) sendFrame(f);
    clearInterval(state.pingTimer);
    state.pingTimer = setInterval(keepAlive, PING_MS);
  }

  function onSocketLost() {
    state.ws = null;
    state.wsOpen = false;
    clearInterval(state.pingTimer);
    setConn(navigator.onLine === false ? "offline" : "reconnecting");
    scheduleReconnect();
  }

  function keepAlive() {
    if (!state.wsOpen) return;
    if (Date.now() - state.lastFrameAt > STALE_MS) {
      // A half-open TCP connection may never fire "close": drop it ourselves.
      const ws = state.ws;
      state.ws = null;
      try {
        ws.close();
      } catch {
        /* already closing */
      }
      onSocketLost();
      return;
    }
    sendFrame({ type: "ping" });
  }

  function scheduleReconnect() {
    clearTimeout(state.reconnectTimer);
    const base = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** state.attempt);
    const delay = base / 2 + (Math.random() * base) / 2; // jitter: a server restart is no stampede
    state.attempt += 1;
    state.reconnectTimer = setTimeout(reconnect, delay);
  }

  async function reconnect() {
    if (!state.conv || state.ws) return;
    if (state.failedOpens >= 1) {
      // A refused handshake looks like a network error from here: ask the API if we are known.
      const verdict = await fetchHistory(state.highWater);
      if (verdict === "rejected") return expireConversation();
    }
    connect();
  }

  function disconnect() {
    clearTimeout(state.reconnectTimer);
    clearInterval(state.pingTimer);
    const ws = state.ws;
    state.ws = null;
    state.wsOpen = false;
    if (ws) {
      try {
        ws.close(1000);
      } catch {
        /* never opened */
      }
    }
  }

  function sendFrame(frame) {
    if (!state.wsOpen || !state.ws) return false;
    try {
      state.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Control frames wait for a socket; chat messages wait in the outbox instead. */
  function sendControl(frame) {
    return ensureConversation().then(() => {
      if (!sendFrame(frame)) state.controlQueue.push(frame);
    });
  }

  function setConn(mode) {
    ui.conn.hidden = mode === "online";
    ui.conn.replaceChildren();
    if (mode !== "online") {
      const text =
        mode === "offline" ? "You're offline. We'll reconnect when you're back." : "Reconnecting…";
      ui.conn.append(icon("wifi", 16), h("span", { text }));
    }
    scrollToEnd(); // the banner changed the height of the log
  }

  /* ---------- customer actions ---------- */

  function sendText(text) {
    const clientId = uuid();
    const p = { client_id: clientId, text, status: "pending", el: renderMessage("customer", text) };
    setMsgState(p.el, "pending", "Sending…");
    p.el.dataset.clientId = clientId;
    state.pending.set(clientId, p);
    ui.log.append(p.el);
    scrollToEnd(true);
    transmitPending(p);
    stopTyping();
    return clientId;
  }

  function transmitPending(p) {
    ensureConversation()
      .then((conv) => {
        if (!state.pending.has(p.client_id)) return;
        if (!conv.outbox.some((m) => m.client_id === p.client_id)) {
          conv.outbox.push({ client_id: p.client_id, text: p.text });
          saveConversation();
        }
        sendFrame({ type: "message", client_id: p.client_id, text: p.text });
      })
      .catch((error) => {
        failPending(p, "Not sent", true);
        addNote(
          (error && error.note) || "We couldn't reach support. Check your connection and try again.",
          "error",
          p.el,
        );
      });
  }

  function failPending(p, label, canRetry) {
    p.status = "failed";
    dropFromOutbox(p.client_id);
    const note = h("span", {}, h("span", { text: label }));
    if (canRetry) {
      note.append(
        " · ",
        h("button", {
          type: "button",
          class: "sbw-retry",
          text: "Retry",
          disabled: Date.now() < state.rateLimitUntil,
          onclick: () => retryPending(p),
        }),
      );
    }
    setMsgState(p.el, "failed", note);
  }

  function retryPending(p) {
    if (Date.now() < state.rateLimitUntil) return;
    p.status = "pending";
    setMsgState(p.el, "pending", "Sending…");
    transmitPending(p);
  }

  function submitComposer() {
    const text = ui.input.value.trim();
    if (!text || charCount(text) > MAX_CHARS || Date.now() < state.rateLimitUntil) return;
    ui.input.value = "";
    updateCounter();
    autosize();
    sendText(text);
  }

  function requestHuman() {
    ui.humanBtn.disabled = true;
    // Normally a handoff frame settles the button; never leave it dead if none comes.
    setTimeout(() => {
      if (!state.handoff || state.handoff === "resolved") ui.humanBtn.disabled = false;
    }, HUMAN_RETRY_MS);
    sendControl({ type: "handoff_request" }).catch((error) => {
      ui.humanBtn.disabled = false;
      addNote(
        (error && error.note) || "We couldn't reach support. Check your connection and try again.",
        "error",
      );
    });
  }

  function onInput() {
    updateCounter();
    autosize();
    if (!state.wsOpen || !ui.input.value) return; // typing alone never opens a conversation
    const now = Date.now();
    if (now - state.typingSentAt > TYPING_THROTTLE_MS) {
      state.typingSentAt = now;
      sendFrame({ type: "typing", active: true });
    }
    clearTimeout(state.typingIdleTimer);
    state.typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(state.typingIdleTimer);
    if (state.typingSentAt) sendFrame({ type: "typing", active: false });
    state.typingSentAt = 0;
  }

  function onInputKeydown(e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submitComposer();
    }
  }

  function onPanelKeydown(e) {
    if (e.key === "Escape") {
      e.stopPropagation();
      closePanel();
    }
  }

  function updateCounter() {
    const n = charCount(ui.input.value);
    const over = n > MAX_CHARS;
    const excess = n - MAX_CHARS;
    ui.counter.textContent = over
      ? `${excess.toLocaleString("en-US")} character${excess === 1 ? "" : "s"} over the limit`
      : `${n.toLocaleString("en-US")} / ${MAX_CHARS.toLocaleString("en-US")}`;
    ui.counter.classList.toggle("sbw-counter--over", over);
    ui.counter.classList.toggle("sbw-counter--near", !over && n > MAX_CHARS - 400);
    ui.input.setAttribute("aria-invalid", over ? "true" : "false");
    ui.sendBtn.disabled = over || !ui.input.value.trim() || Date.now() < state.rateLimitUntil;
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 140)}px`;
  }

  /* ---------- CSAT ---------- */

  function showCsat(reason) {
    if (reason === "resolved" && state.conv && state.conv.csat_done) return;
    state.csatReason = reason;
    ui.csatError.textContent = "";
    ui.csat.hidden = false;
    if (reason === "end") ui.csat.querySelector("input").focus();
    scrollToEnd(true);
  }

  function hideCsat() {
    ui.csat.hidden = true;
    ui.csatForm.reset();
    if (state.open) ui.input.focus();
  }

  function onCsatSubmit(e) {
    e.preventDefault();
    const picked = ui.csatForm.querySelector("input[name=sbw-score]:checked");
    if (!picked) {
      ui.csatError.textContent = "Please pick a score from 1 to 5.";
      return;
    }
    const frame = {
      type: "csat",
      score: Number(picked.value),
      comment: ui.csatComment.value.trim(),
    };
    const ending = state.csatReason === "end";
    if (state.conv) {
      state.conv.csat_done = true;
      saveConversation();
      if (!sendFrame(frame)) state.controlQueue.push(frame);
    }
    hideCsat();
    if (ending) endConversation();
    addNote("Thank you for your feedback!", "info");
  }

  function skipCsat() {
    const ending = state.csatReason === "end";
    hideCsat();
    if (ending) endConversation();
  }

  function endConversation() {
    resetConversation();
    addNote("Chat ended. Send a message any time to start a new one.", "info");
  }

  /* ---------- open / close ---------- */

  function openPanel(focus = true) {
    if (!state.open) {
      state.open = true;
      ui.panel.hidden = false;
      ui.root.classList.add("sbw-is-open");
      ui.launcher.setAttribute("aria-expanded", "true");
      ui.launcher.setAttribute("aria-label", "Close support chat");
      state.unread = 0;
      renderBadge();
      storage.set("sessionStorage", openKey, "1");
      scrollToEnd(true);
    }
    if (focus) ui.input.focus();
  }

  function closePanel() {
    if (!state.open) return;
    state.open = false;
    ui.panel.hidden = true;
    ui.root.classList.remove("sbw-is-open");
    ui.launcher.setAttribute("aria-expanded", "false");
    renderBadge();
    storage.remove("sessionStorage", openKey);
    ui.launcher.focus();
  }

  function renderBadge() {
    ui.badge.hidden = state.unread === 0;
    ui.badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    const suffix = state.unread ? ` (${state.unread} new)` : "";
    if (!state.open) ui.launcher.setAttribute("aria-label", `Open support chat${suffix}`);
  }

  /* ---------- boot ---------- */

  async function boot() {
    buildDom();
    exposeTestHook();
    window.addEventListener("online", () => {
      if (state.conv && !state.ws) {
        state.attempt = 0;
        connect();
      }
    });
    window.addEventListener("offline", () => {
      if (!state.wsOpen && state.conv) setConn("offline");
    });
    // A reload keeps the panel open, without stealing the page's focus.
    if (storage.get("sessionStorage", openKey)) openPanel(false);
    const conv = loadConversation();
    if (!conv) return;
    if (conv.email !== identityEmail()) {
      storage.remove("localStorage", storeKey); // started by someone else on this browser
      return;
    }
    state.conv = conv;
    ui.endBtn.hidden = false;
    for (const m of conv.outbox) restorePending(m);
    const verdict = await fetchHistory(0);
    if (verdict === "rejected") return expireConversation();
    connect();
  }

  /** A send that was never acked before the page went away: shown as pending, re-sent on open. */
  function restorePending(m) {
    const p = {
      client_id: m.client_id,
      text: String(m.text || ""),
      status: "pending",
      el: renderMessage("customer", String(m.text || "")),
    };
    setMsgState(p.el, "pending", "Sending…");
    p.el.dataset.clientId = p.client_id;
    state.pending.set(p.client_id, p);
    ui.log.append(p.el);
  }

  function exposeTestHook() {
    window.SupportBotWidget = Object.freeze({
      open: () => openPanel(),
      close: closePanel,
      /** Sends like the composer, minus the client-side length check: the server is the authority. */
      send: (text) => {
        openPanel();
        return sendText(String(text));
      },
      /** Persisted messages on screen, in seq order, for tests to compare with the database. */
      transcript: () =>
        Array.from(state.bySeq.values())
          .sort((a, b) => a.seq - b.seq)
          .map((e) => ({ seq: e.seq, sender: e.sender, text: e.text })),
      connected: () => state.wsOpen,
      /** Proposal cards on screen, oldest first, with the state each shows. */
      proposals: () =>
        Array.from(state.proposals.values()).map((p) => ({
          id: p.id,
          state: p.state,
          summary: p.summary,
        })),
      conversationId: () => (state.conv ? state.conv.id : null),
    });
  }

  // The store's page: window.SupportBot.identify({email, signature}) before the first message.
  window.SupportBot = Object.freeze({ identify });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();

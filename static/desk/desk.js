/* The handoff desk in the admin: live queue rows and the agent console.
 *
 * The server renders every page and fragment (htmx); this file only keeps a staff websocket
 * open and turns its frames into htmx events ("desk:queue-changed", "desk:state-changed",
 * "desk:notes-changed", "desk:pipeline-changed") or, for what streams (messages, bot deltas,
 * typing, presence), into DOM text. Text is only ever set with textContent.
 */
(function () {
  "use strict";

  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 10000;
  const TYPING_THROTTLE_MS = 2000;
  const TYPING_IDLE_MS = 4000;
  const TYPING_SHOWN_MS = 6000;
  const PING_MS = 30000; // keeps the agent "at the desk" for round-robin (desk/presence.py)

  function fire(name) {
    if (window.htmx) window.htmx.trigger(document.body, name);
    else document.body.dispatchEvent(new CustomEvent(name, { bubbles: true }));
  }

  function liveBadge(online) {
    for (const el of document.querySelectorAll("[data-desk-live]")) {
      el.textContent = online ? "Live" : "Reconnecting…";
      el.classList.toggle("desk-live--on", online);
    }
  }

  /* A websocket that reconnects with backoff; onOpen(reconnected) lets a page catch up. */
  function socket(path, onFrame, onOpen) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws = null;
    let delay = RECONNECT_MIN_MS;
    let opened = false;
    function open() {
      ws = new WebSocket(`${scheme}//${location.host}${path}`);
      ws.addEventListener("open", () => {
        delay = RECONNECT_MIN_MS;
        liveBadge(true);
        onOpen(opened);
        opened = true;
      });
      ws.addEventListener("message", (event) => {
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch {
          return;
        }
        if (frame && typeof frame.type === "string") onFrame(frame);
      });
      ws.addEventListener("close", () => {
        liveBadge(false);
        setTimeout(open, delay);
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      });
    }
    open();
    const send = (frame) => {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    };
    setInterval(() => send({ type: "ping" }), PING_MS);
    return { send };
  }

  /* The queue page. */

  function initQueue(root) {
    // Never pull the list from under an agent who is typing a search.
    document.body.addEventListener("htmx:beforeSwap", (event) => {
      const typing = document.activeElement && document.activeElement.id === "searchbar";
      if (typing && event.detail.target.id === "desk-queue-live") event.detail.shouldSwap = false;
    });
    socket(
      root.dataset.deskWs,
      (frame) => {
        if (frame.type === "queue_changed") fire("desk:queue-changed");
      },
      (reconnected) => {
        if (reconnected) fire("desk:queue-changed");
      },
    );
  }

  /* The console. */

  function initConsole(root) {
    const transcript = document.getElementById("desk-transcript");
    const activity = document.getElementById("desk-activity");
    const presence = document.getElementById("desk-presence");
    const customerName = root.dataset.customer || "Customer";
    const shown = {
      status: "",
      customerTyping: false,
      agentsTyping: new Map(), // name -> timer
    };
    let customerTimer = 0;

    function renderActivity() {
      const parts = [];
      if (shown.customerTyping) parts.push(`${customerName} is typing…`);
      for (const name of shown.agentsTyping.keys()) parts.push(`${name} (agent) is typing…`);
      if (shown.status) parts.push(`Assistant: ${shown.status}`);
      activity.textContent = parts.join("  ·  ");
    }

    function scrollToEnd() {
      transcript.scrollTop = transcript.scrollHeight;
    }

    function label(sender, author) {
      if (sender === "customer") return "Customer";
      if (sender === "bot") return "Assistant";
      if (sender === "agent") return author ? `${author} (agent)` : "Agent";
      return "System";
    }

    function article(id, sender, seq, author) {
      const el = document.createElement("article");
      el.className = `desk-msg desk-msg--${["customer", "bot", "agent", "system"].includes(sender) ? sender : "system"}`;
      el.dataset.messageId = id;
      if (seq != null) el.dataset.seq = String(seq);
      const meta = document.createElement("header");
      meta.className = "desk-msg-meta";
      const who = document.createElement("span");
      who.className = "desk-msg-who";
      who.textContent = label(sender, author);
      const time = document.createElement("time");
      const now = new Date();
      time.dateTime = now.toISOString();
      time.textContent = now.toTimeString().slice(0, 5);
      meta.append(who, " ", time);
      const text = document.createElement("div");
      text.className = "desk-msg-text";
      el.append(meta, text);
      transcript.querySelector(".desk-empty")?.remove();
      transcript.append(el);
      return el;
    }

    function find(id) {
      return transcript.querySelector(`[data-message-id="${CSS.escape(String(id))}"]`);
    }

    function onMessage(f) {
      let el = find(f.message_id);
      if (el && !el.classList.contains("desk-msg--streaming")) return; // already shown
      if (!el) el = article(f.message_id, f.sender, f.seq, f.author ? String(f.author) : "");
      el.classList.remove("desk-msg--streaming");
      el.dataset.seq = String(f.seq);
      el.querySelector(".desk-msg-text").textContent = String(f.text);
      if (f.created_at) {
        const time = el.querySelector("time");
        const at = new Date(f.created_at);
        if (!Number.isNaN(at.getTime())) {
          time.dateTime = at.toISOString();
          time.textContent = at.toTimeString().slice(0, 5);
        }
      }
      if (f.sender === "customer") shown.customerTyping = false;
      if (f.sender === "bot") {
        shown.status = "";
        fire("desk:pipeline-changed");
      }
      renderActivity();
      scrollToEnd();
    }

    function onDelta(f) {
      let el = find(f.message_id);
      if (el && !el.classList.contains("desk-msg--streaming")) return; // the final text is in
      if (!el) {
        el = article(f.message_id, "bot", null);
        el.classList.add("desk-msg--streaming");
        el.dataset.next = "0";
      }
      if (Number(f.index) !== Number(el.dataset.next)) return; // a repeat after a resume
      el.dataset.next = String(Number(f.index) + 1);
      el.querySelector(".desk-msg-text").textContent += String(f.text);
      scrollToEnd();
    }

    function onCustomerTyping(active) {
      clearTimeout(customerTimer);
      shown.customerTyping = active;
      if (active) {
        customerTimer = setTimeout(() => onCustomerTyping(false), TYPING_SHOWN_MS);
      }
      renderActivity();
    }

    function onAgentTyping(f) {
      const name = String(f.agent || "An agent");
      clearTimeout(shown.agentsTyping.get(name));
      shown.agentsTyping.delete(name);
      if (f.active) {
        shown.agentsTyping.set(
          name,
          setTimeout(() => {
            shown.agentsTyping.delete(name);
            renderActivity();
          }, TYPING_SHOWN_MS),
        );
      }
      renderActivity();
    }

    function onPresence(f) {
      const viewers = Array.isArray(f.viewers) ? f.viewers.map(String) : [];
      presence.textContent = viewers.length ? `Also viewing: ${viewers.join(", ")}` : "Nobody else is viewing";
    }

    const handlers = {
      message: onMessage,
      delta: onDelta,
      status: (f) => {
        shown.status = String(f.text || "");
        renderActivity();
      },
      typing: (f) => {
        if (f.sender === "customer") onCustomerTyping(f.active !== false);
      },
      handoff: () => fire("desk:state-changed"),
      note: () => fire("desk:notes-changed"),
      presence: onPresence,
      agent_typing: onAgentTyping,
    };

    const live = socket(
      root.dataset.deskWs,
      (frame) => handlers[frame.type]?.(frame),
      (reconnected) => {
        if (!reconnected || !window.htmx) return;
        // Whatever was said while the socket was down is in the database: reload it whole.
        window.htmx.ajax("GET", transcript.dataset.url, { target: "#desk-transcript", swap: "innerHTML" });
        fire("desk:state-changed");
        fire("desk:notes-changed");
      },
    );

    // The agent's own typing, throttled; the form is swapped by htmx, so listen on document.
    let typingSentAt = 0;
    let idleTimer = 0;
    function stopTyping() {
      clearTimeout(idleTimer);
      if (typingSentAt) live.send({ type: "typing", active: false });
      typingSentAt = 0;
    }
    document.addEventListener("input", (event) => {
      if (event.target.id !== "desk-reply-text") return;
      const now = Date.now();
      if (event.target.value && now - typingSentAt > TYPING_THROTTLE_MS) {
        typingSentAt = now;
        live.send({ type: "typing", active: true });
      }
      clearTimeout(idleTimer);
      idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
    });
    document.addEventListener("keydown", (event) => {
      if (event.target.id !== "desk-reply-text" || event.key !== "Enter" || event.shiftKey) return;
      event.preventDefault();
      event.target.form.requestSubmit();
    });
    document.addEventListener("submit", (event) => {
      if (event.target.id === "desk-reply") stopTyping();
    });
    document.addEventListener("change", (event) => {
      if (event.target.id !== "desk-canned" || !event.target.value) return;
      const box = document.getElementById("desk-reply-text");
      box.value = box.value ? `${box.value} ${event.target.value}` : event.target.value;
      event.target.value = "";
      box.focus();
    });
    scrollToEnd();
  }

  function init() {
    const queue = document.querySelector("#desk-queue[data-desk-ws]");
    if (queue) initQueue(queue);
    const console_ = document.querySelector("#desk-console[data-desk-ws]");
    if (console_) initConsole(console_);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

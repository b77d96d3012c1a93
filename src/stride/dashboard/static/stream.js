// Server-Sent Events over fetch(): EventSource cannot send an Authorization header, and the
// credential must never be put in a URL.

export class SseParser {
  constructor() {
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.event = "";
    this.data = [];
    this.id = null;
  }

  // Feed decoded text; returns the complete messages and directives it finished.
  push(text) {
    this.buffer += text;
    const out = [];
    // A chunk may end between "\r" and "\n": keep a trailing "\r" for the next chunk.
    const held = this.buffer.endsWith("\r");
    const lines = (held ? this.buffer.slice(0, -1) : this.buffer).split(/\r\n|\r|\n/);
    this.buffer = lines.pop() + (held ? "\r" : "");
    for (const line of lines) this.line(line, out);
    return out;
  }

  line(line, out) {
    if (line === "") {
      if (this.data.length || this.event) {
        out.push({
          type: "message",
          event: this.event || "message",
          data: this.data.join("\n"),
          id: this.id,
        });
      }
      this.reset();
      return;
    }
    if (line.startsWith(":")) {
      out.push({ type: "comment", text: line.slice(1).trim() });
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) {
      this.id = value;
      out.push({ type: "id", id: value });
    } else if (field === "retry" && /^\d+$/.test(value)) {
      out.push({ type: "retry", ms: Number(value) });
    }
  }
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30000;
// A server without the stream (404) is asked again only now and then.
const UNAVAILABLE_RETRY_MS = 60000;

export class EventStream {
  // onMessage({event, data, id}); onState("connecting" | "open" | "closed" | "unavailable").
  constructor({ url, headers, onMessage, onState }) {
    this.url = url;
    this.headers = headers;
    this.onMessage = onMessage;
    this.onState = onState || (() => {});
    this.lastEventId = null;
    this.backoff = MIN_BACKOFF_MS;
    this.controller = null;
    this.stopped = true;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.run();
  }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  async run() {
    while (!this.stopped) {
      let wait = this.backoff;
      try {
        this.onState("connecting");
        this.controller = new AbortController();
        const headers = { ...this.headers, Accept: "text/event-stream" };
        if (this.lastEventId !== null) headers["Last-Event-ID"] = this.lastEventId;
        const response = await fetch(this.url, {
          headers,
          signal: this.controller.signal,
          cache: "no-store",
          credentials: "omit",
        });
        const type = response.headers.get("content-type") || "";
        if (response.status === 404 || response.status === 405) {
          this.onState("unavailable");
          wait = UNAVAILABLE_RETRY_MS;
        } else if (response.ok && response.body && type.startsWith("text/event-stream")) {
          this.onState("open");
          this.backoff = MIN_BACKOFF_MS;
          await this.read(response.body);
          wait = this.backoff;
          this.onState("closed");
        } else {
          if (response.body) await response.body.cancel();
          this.onState("closed");
          this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
        }
      } catch (error) {
        if (this.stopped) return;
        this.onState("closed");
        this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
      }
      if (this.stopped) return;
      await sleep(wait + Math.random() * 250);
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    while (!this.stopped) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const item of parser.push(value)) {
        if (item.type === "id") this.lastEventId = item.id;
        else if (item.type === "retry") this.backoff = Math.max(item.ms, 100);
        else if (item.type === "message") {
          let data = null;
          try {
            data = item.data ? JSON.parse(item.data) : null;
          } catch {
            data = { text: item.data };
          }
          this.onMessage({ event: item.event, data, id: item.id });
        }
      }
    }
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

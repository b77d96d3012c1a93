"""The dashboard's stream reader and CSV writer, run in the browser as the page runs them."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Console, Server

Page = tuple[Any, Console]

# A page of the server's origin that loads nothing, so the modules import without the bundle.
BLANK = "<!doctype html><html lang=en><title>modules</title></html>"


def blank(tab: Any, server: Server) -> None:
    policy = "default-src 'none'; script-src 'self'; connect-src 'self'"
    tab.route(
        f"{server.base}/blank",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body=BLANK,
            headers={"content-security-policy": policy},
        ),
    )
    tab.goto(f"{server.base}/blank")


PARSE = """async () => {
  const { SseParser } = await import('/assets/stream.js');
  const parser = new SseParser();
  const chunks = [
    ': heartbeat\\r', '\\n', 'event: progress.updated\\r\\nid: 41\\r\\ndata: {"learner":',
    ' "a"}\\r\\n\\r', '\\n', 'data: one\\ndata: two\\n\\n', 'retry: 5000\\n', 'id: 42\\n',
    'event: counters\\ndata:{"n":1}\\n\\n', 'data: never ended',
  ];
  return chunks.flatMap((chunk) => parser.push(chunk));
}"""


def test_the_sse_parser_follows_the_spec(page: Page, server: Server) -> None:
    tab, console = page
    blank(tab, server)
    items = tab.evaluate(PARSE)
    assert items == [
        {"type": "comment", "text": "heartbeat"},
        {"type": "id", "id": "41"},
        {"type": "message", "event": "progress.updated", "data": '{"learner": "a"}', "id": "41"},
        {"type": "message", "event": "message", "data": "one\ntwo", "id": None},
        {"type": "retry", "ms": 5000},
        {"type": "id", "id": "42"},
        {"type": "message", "event": "counters", "data": '{"n":1}', "id": "42"},
    ]
    assert console.errors == []


RECONNECT = """async () => {
  const { EventStream } = await import('/assets/stream.js');
  const messages = [];
  const states = [];
  const stream = new EventStream({
    url: '/v1/learners/x/stream',
    headers: { Authorization: 'Bearer secret' },
    onMessage: (message) => messages.push(message),
    onState: (state) => states.push(state),
  });
  stream.start();
  const deadline = Date.now() + 8000;
  while (messages.length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stream.stop();
  return { messages, states };
}"""


def test_the_stream_reconnects_with_the_last_event_id(page: Page, server: Server) -> None:
    tab, console = page
    seen: list[dict[str, str]] = []

    def answer(route: Any) -> None:
        seen.append(route.request.headers)
        cursor = str(len(seen))
        body = f": hi\n\nretry: 100\nevent: streak.changed\nid: {cursor}\ndata: {{}}\n\n"
        route.fulfill(status=200, content_type="text/event-stream", body=body)

    tab.route("**/v1/learners/x/stream", answer)
    blank(tab, server)
    result = tab.evaluate(RECONNECT)
    assert [m["id"] for m in result["messages"]][:2] == ["1", "2"]
    assert result["messages"][0] == {"event": "streak.changed", "data": {}, "id": "1"}
    assert "open" in result["states"] and "closed" in result["states"]
    assert seen[0]["authorization"] == "Bearer secret"
    assert "last-event-id" not in seen[0]
    assert seen[1]["last-event-id"] == "1"
    assert seen[0]["accept"] == "text/event-stream"
    assert console.errors == []


def test_csv_cells_are_quoted_and_defused(page: Page, server: Server) -> None:
    tab, _ = page
    blank(tab, server)
    csv = tab.evaluate(
        """async () => {
          const { toCsv } = await import('/assets/csv.js');
          return toCsv([{ key: 'a', label: 'A' }, { key: 'b', label: 'B, b' }],
                       [{ a: '=1+1', b: 'say "hi"' }, { a: -2, b: null }]);
        }"""
    )
    assert csv == 'A,"B, b"\r\n\'=1+1,"say ""hi"""\r\n-2,\r\n'

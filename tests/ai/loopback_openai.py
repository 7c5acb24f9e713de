"""A real HTTP server on 127.0.0.1 speaking the OpenAI Chat Completions wire protocol.

Each test scripts the replies, one per request: a tool call, a text answer, an HTTP
error (with headers such as Retry-After) or a delay. The server answers in JSON, or
in server-sent events when the request asks for ``stream: true``, and records every
request it got (path, headers, body, time), so tests can check what the real
``openai`` client sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """The model calls a tool: ``run_sql`` with ``{"sql": sql}`` unless ``arguments`` is given raw."""

    sql: str = ""
    name: str = "run_sql"
    arguments: str | None = None

    def raw_arguments(self) -> str:
        return self.arguments if self.arguments is not None else json.dumps({"sql": self.sql})


@dataclass(frozen=True)
class Text:
    """The model answers in words."""

    content: str


@dataclass(frozen=True)
class Status:
    """An HTTP error reply."""

    code: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "scripted error"


@dataclass(frozen=True)
class Delay:
    """Wait before the reply (longer than the client's timeout makes it time out)."""

    seconds: float
    then: ToolCall | Text | Status


Reply = ToolCall | Text | Status | Delay


@dataclass
class Request:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


class LoopbackOpenAI:
    """Start with ``with LoopbackOpenAI([...]) as server:``; ``server.base_url`` ends in /v1."""

    def __init__(self, script: list[Reply]) -> None:
        self.script = list(script)
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    def __enter__(self) -> LoopbackOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def messages(self, index: int = -1) -> list[dict[str, Any]]:
        """The messages of one request."""
        messages: list[dict[str, Any]] = self.requests[index].body["messages"]
        return messages

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if not self.script:
                return Status(500, message="the test script has no reply left")
            return self.script.pop(0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:  # keep test output clean
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {name.lower(): value for name, value in self.headers.items()}
                request = Request(self.path, headers, body, time.monotonic())
                reply = server._next(request)
                if isinstance(reply, Delay):
                    time.sleep(reply.seconds)
                    reply = reply.then
                # The client may have given up already (a timeout test).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(reply, body)

            def _send(self, reply: Reply, body: dict[str, Any]) -> None:
                if isinstance(reply, Status):
                    error = {"error": {"message": reply.message, "type": "scripted", "code": None}}
                    self._write(
                        reply.code, json.dumps(error).encode(), "application/json", reply.headers
                    )
                elif body.get("stream"):
                    events = b"".join(
                        f"data: {json.dumps(c)}\n\n".encode() for c in _chunks(reply, body)
                    )
                    self._write(200, events + b"data: [DONE]\n\n", "text/event-stream")
                else:
                    self._write(
                        200, json.dumps(_completion(reply, body)).encode(), "application/json"
                    )

            def _write(
                self, code: int, data: bytes, kind: str, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


_USAGE = {"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940}


def _completion(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish = "stop"
    if isinstance(reply, ToolCall):
        message["tool_calls"] = [_tool_call(reply, len(body["messages"]))]
        finish = "tool_calls"
    elif isinstance(reply, Text):
        message["content"] = reply.content
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 1_764_547_200,
        "model": body.get("model", ""),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _USAGE,
    }


def _tool_call(reply: ToolCall, seq: int) -> dict[str, Any]:
    return {
        "id": f"call_{seq}",
        "type": "function",
        "function": {"name": reply.name, "arguments": reply.raw_arguments()},
    }


def _chunks(reply: Reply, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-loopback",
            "object": "chat.completion.chunk",
            "created": 1_764_547_200,
            "model": body.get("model", ""),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    yield chunk({"role": "assistant", "content": ""})
    if isinstance(reply, ToolCall):
        call = _tool_call(reply, len(body["messages"]))
        arguments = call["function"]["arguments"]
        first = {**call, "index": 0, "function": {"name": reply.name, "arguments": ""}}
        yield chunk({"tool_calls": [first]})
        for start in range(0, len(arguments), 16):  # arguments arrive in pieces
            piece = {"index": 0, "function": {"arguments": arguments[start : start + 16]}}
            yield chunk({"tool_calls": [piece]})
        yield chunk({}, "tool_calls")
    elif isinstance(reply, Text):
        words = reply.content.split(" ")
        for i, word in enumerate(words):
            yield chunk({"content": word + (" " if i < len(words) - 1 else "")})
        yield chunk({}, "stop")
    usage: dict[str, Any] = {**chunk({}), "choices": [], "usage": _USAGE}
    yield usage

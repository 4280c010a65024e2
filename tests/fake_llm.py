"""A small OpenAI-compatible chat-completions server on loopback for the tests and the benchmark: it records every
request it receives (headers and JSON body) and answers scripted replies in order (content, a status such as 429
or 500, a delay for timeouts), then a default reply built from the request (a JSON object of the shape the task
asks for)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web


@dataclass
class Reply:
    content: str | None = None  # the assistant message's content
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def default_content(body: dict[str, Any]) -> str:
    """A valid answer for the task the prompt names."""
    prompt = body["messages"][-1]["content"]
    if '"summary": "<two or three sentences>"' in prompt:
        return json.dumps(
            {
                "summary": "LLM review: the loop structure is fine.",
                "issues": [{"line": 1, "severity": "info", "message": "LLM: name things clearly", "suggestion": None}],
                "complexity": {"time": "O(n)", "space": "O(1)"},
                "score": 8,
            }
        )
    if '{"hint":' in prompt:
        return json.dumps({"hint": "LLM hint: what do you look up in the inner loop?"})
    if '"strengths": [' in prompt:
        return json.dumps(
            {"summary": "LLM summary of the session.", "strengths": ["LLM strength"], "improvements": ["LLM tip"]}
        )
    return json.dumps({"reply": "LLM reply: tell me more about your approach."})


def completion(content: str | None, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


class CompletionsHandler(tornado.web.RequestHandler):
    def initialize(self, llm: FakeLlm) -> None:
        self.llm = llm

    async def post(self) -> None:
        body = json.loads(self.request.body)
        record = {"headers": dict(self.request.headers), "body": body, "received": time.perf_counter()}
        self.llm.requests.append(record)
        reply = self.llm.script.pop(0) if self.llm.script else Reply(self.llm.default(body), delay=self.llm.delay)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        record["replied"] = time.perf_counter()  # the LLM's own time: from received to replied
        self.set_status(reply.status)
        for name, value in reply.headers.items():
            self.set_header(name, value)
        if reply.status != 200:
            self.finish({"error": {"message": "scripted failure", "type": "server_error", "code": None}})
            return
        self.llm.answered += 1
        self.finish(completion(reply.content, body.get("model", "")))


class FakeLlm:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[Reply] = []
        self.default: Callable[[dict[str, Any]], str] = default_content
        self.answered = 0
        self.delay = 0.0  # of the default replies (the benchmark's model "thinking")
        self.server: tornado.httpserver.HTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> FakeLlm:
        app = tornado.web.Application([(r"/v1/chat/completions", CompletionsHandler, {"llm": self})])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self.server = tornado.httpserver.HTTPServer(app)
        self.server.add_sockets(sockets)
        return self

    async def stop(self) -> None:
        if self.server:
            self.server.stop()
            await self.server.close_all_connections()

    def then(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def prompts(self) -> list[str]:
        return [r["body"]["messages"][-1]["content"] for r in self.requests]

"""Every operation of the served OpenAPI document, fuzzed by Schemathesis (tests/api_fuzz.py) as anonymous, a user
with a room, a run, a submission and a finished session, their peer and an admin: no 5xx, every answer as declared,
none hangs. A short budget (two cases per operation and identity); bench/fuzz.py runs thousands."""

from __future__ import annotations

import asyncio
import json
import os
import random

import pytest

from tests.api_fuzz import build_world, fuzz


# Hypothesis notices the in-process server using `random` on its own thread while cases are drawn; harmless here.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_the_whole_api_answers_as_its_document_says(make_server) -> None:
    # Executions of generated code are real: a small daily quota keeps them to a few (then 429, as declared).
    server = await make_server(daily_executions=4, daily_ai_requests=4)
    loop = asyncio.get_running_loop()

    def promote(user: dict) -> None:  # as run.py promote-admin does, from the fuzzer's thread
        async def make_admin() -> None:
            await server.db.users.update_one({"_id": user["id"]}, {"$set": {"role": "admin"}})
            server.ctx.auth.forget_user(user["id"])

        asyncio.run_coroutine_threadsafe(make_admin(), loop).result(30)

    seed = int(os.environ.get("SYNCODE_FUZZ_SEED") or random.randrange(2**31))
    print(f"fuzz seed {seed} (SYNCODE_FUZZ_SEED={seed} reproduces)")
    identities = await asyncio.to_thread(build_world, server.url, promote)
    report = await asyncio.to_thread(fuzz, server.url, identities, 0, seed, examples_per_operation=2)
    operations = {(f.identity, f.operation) for f in report.findings}
    assert report.cases >= 2 * len(identities) * 100, report.cases  # every operation was called, by everyone
    assert not report.findings, f"seed {seed}: {len(operations)} operations failed:\n" + "\n".join(
        str(f) for f in report.distinct_findings()
    )
    assert 500 not in report.statuses and report.statuses[200] > 0 and report.statuses[400] > 0


async def test_answers_the_fuzzer_found_undeclared_are_declared(api, server) -> None:
    """Regressions of the fuzzer's findings: each answer below was real but missing from the document."""
    document = (await api.get("/api/openapi.json")).json
    paths = document["paths"]
    user = await api.register()
    r = await api.get("/api/users/me/active-room", token=user["accessToken"])
    assert r.status == 204 and "204" in paths["/api/users/me/active-room"]["get"]["responses"]
    big = b'{"mode": "peer", "name": "' + b"x" * (1024 * 1024) + b'"}'
    r = await api.post("/api/rooms", body=big, token=user["accessToken"], headers={"Content-Type": "application/json"})
    assert r.status == 413 and "413" in paths["/api/rooms"]["post"]["responses"]
    with_body = [op for methods in paths.values() for op in methods.values() if "requestBody" in op]
    assert with_body and all("413" in op["responses"] for op in with_body)
    assert all(
        "429" in op["responses"]
        for methods in paths.values()
        for op in methods.values()
        if "101" not in op["responses"]
    )
    schema = lambda op, status: op["responses"][status]["content"]["application/json"]["schema"]["$ref"]  # noqa: E731
    assert schema(paths["/api/health"]["get"], "503").endswith("/HealthResponse")
    assert schema(paths["/api/sessions/{sessionId}/report"]["get"], "202").endswith("/ReportPending")
    assert schema(paths["/collab/documents"]["post"], "200").endswith("/CreateDocumentResponse")
    r = await api.get("/api/ws")
    assert r.status == 400 and "400" in paths["/api/ws"]["get"]["responses"]


async def test_a_body_over_the_servers_limit_gets_the_api_413(api, server) -> None:
    """Over the HTTP server's 4 MiB (before any handler runs) Tornado used to answer a bare 400 without a body."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /api/problems HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5000000\r\n\r\n" + b"{" * 65536  # the body is not awaited: the answer comes at once
    )
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode()
    body = await asyncio.wait_for(reader.read(), 10)  # then the server closes the connection
    writer.close()
    assert head.startswith("HTTP/1.1 413 "), head
    headers = dict(line.split(": ", 1) for line in head.strip().split("\r\n")[1:])
    error = json.loads(body)
    assert error["statusCode"] == 413 and error["code"] == "PAYLOAD_TOO_LARGE"
    assert error["requestId"] == headers["X-Request-Id"] and headers["Content-Type"].startswith("application/json")
    assert (
        headers["X-Content-Type-Options"] == "nosniff"
        and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    )
    assert (await api.get("/api/health")).status == 200  # the server is fine, other connections too

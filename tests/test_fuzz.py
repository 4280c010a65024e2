"""Every operation of the served OpenAPI document, fuzzed by Schemathesis (tests/api_fuzz.py) as anonymous, a user
with a room, a run, a submission and a finished session, their peer and an admin: no 5xx, every answer as declared,
none hangs. A short budget (two cases per operation and identity); bench/fuzz.py runs thousands."""

from __future__ import annotations

import asyncio
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

"""Judge fixtures: one started `Judge` per backend for the whole session (the warm pools are reused)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from config import Settings
from judge import Judge

BACKENDS = ["process", pytest.param("docker", marks=pytest.mark.docker)]


def judge_settings(**overrides: object) -> Settings:
    return Settings(**{"judge_workers": 2, "judge_pool_size": 2, **overrides})


def docker_skip_reason() -> str | None:
    """Docker tests skip only when no engine is reachable; a missing runner image is built instead."""
    import docker

    try:
        docker.from_env(timeout=10).ping()
    except Exception as exc:
        return f"no Docker engine is reachable: {exc.__class__.__name__}: {exc}"
    return None


async def started_judge(kind: str) -> Judge:
    if kind == "docker":
        reason = docker_skip_reason()
        if reason:
            pytest.skip(reason)
        from judge import images

        await asyncio.to_thread(images.build, judge_settings())
    judge = Judge(judge_settings(), kind)
    await judge.start()
    return judge


@pytest.fixture(scope="session")
async def judges() -> AsyncIterator[dict[str, Judge]]:
    """Started judges by backend name, created on first use."""
    started: dict[str, Judge] = {}
    yield started
    for judge in started.values():
        await judge.close()


@pytest.fixture(params=BACKENDS)
async def judge(request: pytest.FixtureRequest, judges: dict[str, Judge]) -> Judge:
    kind = request.param
    if kind not in judges:
        judges[kind] = await started_judge(kind)
    return judges[kind]


@pytest.fixture
async def process_judge(judges: dict[str, Judge]) -> Judge:
    if "process" not in judges:
        judges["process"] = await started_judge("process")
    return judges["process"]

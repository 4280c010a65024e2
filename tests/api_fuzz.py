"""Fuzzing the whole HTTP API with Schemathesis against the OpenAPI document the server serves.

Shared by tests/test_fuzz.py (a short budget in the default run) and bench/fuzz.py (thousands of cases, a seed).
Every operation is called as three identities: anonymous, a normal user who has a live room, a finished
session, a run and a submission, and an administrator. Cases are Schemathesis's positive and negative
generations; for a share of them the path parameters are the identity's real ids, so that requests reach past
the 404 of an unknown id. Checks: no 5xx, the status code is declared, the content type and the body match the
declared response, and no request hangs (a timeout is a finding). Failures are collected, not raised: a run
reports all of them at once. Blocking (requests): run it in a thread beside the server's event loop.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# A 5xx is a finding unless the operation declares it (503: a part not configured or unavailable); 500 always is.
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
REQUEST_TIMEOUT_SEC = 20  # a request that takes longer counts as a hang
PASSWORD = "correct horse 1"


@dataclass
class Identity:
    name: str
    token: str | None
    ids: dict[str, str] = field(default_factory=dict)  # path parameter name -> an id this identity may use

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class Finding:
    identity: str
    operation: str
    problem: str
    request: str

    def __str__(self) -> str:
        return f"[{self.identity}] {self.operation}: {self.problem}\n    {self.request}"


@dataclass
class Report:
    seed: int
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    slowest_sec: float = 0.0
    elapsed_sec: float = 0.0

    def distinct_findings(self) -> list[Finding]:
        """One finding per (identity, operation, first line of the problem)."""
        seen: dict[tuple[str, str, str], Finding] = {}
        for finding in self.findings:
            seen.setdefault((finding.identity, finding.operation, finding.problem.splitlines()[0][:200]), finding)
        return list(seen.values())


# -- the world the fuzzed identities live in ------------------------------------------------------------------


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None, expect: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.session.request(
            method, self.base_url + path, json=body, headers=headers, timeout=REQUEST_TIMEOUT_SEC
        )
        assert response.status_code == expect, (method, path, response.status_code, response.text[:500])
        return response.json() if response.content else None

    def register(self) -> dict:
        name = f"f{uuid.uuid4().hex[:10]}"
        body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
        return self.call("POST", "/api/auth/register", body, expect=201)

    def finished_job(self, path: str, token: str) -> dict:
        for _ in range(1200):
            job = self.call("GET", path, token=token)
            if job["status"] not in ("queued", "running"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"{path} did not finish")


def build_world(base_url: str, promote: Callable[[dict], None]) -> list[Identity]:
    """The identities, with real data behind their ids. `promote(user)` gives an account (UserResponse) the admin
    role."""
    client = Client(base_url)
    user, peer, admin, victim = (client.register() for _ in range(4))
    promote(admin["user"])
    admin = client.call("POST", "/api/auth/login", {"identifier": admin["user"]["email"], "password": PASSWORD})
    token, peer_token = user["accessToken"], peer["accessToken"]
    problem = client.call(
        "POST",
        "/api/problems",
        {
            "title": f"Fuzz add {uuid.uuid4().hex[:6]}",
            "description": "Print a + b.",
            "difficulty": "easy",
            "timeLimitMs": 1000,
            "starterCode": {"python": "a, b = map(int, input().split())\n"},
            "testCases": [{"input": "1 2\n", "expectedOutput": "3\n"}],
        },
        admin["accessToken"],
        expect=201,
    )
    finished = client.call("POST", "/api/rooms", {"mode": "peer", "problemId": problem["id"]}, token, expect=201)
    client.call("POST", "/api/rooms/join", {"inviteCode": finished["inviteCode"]}, peer_token)
    for phase in ("warmup", "coding"):
        client.call("POST", f"/api/rooms/{finished['id']}/phase", {"to": phase}, token)
    code = "a, b = map(int, input().split())\nprint(a + b)\n"
    # The host is the interviewer: the peer (the candidate) runs and submits.
    run = client.call(
        "POST", f"/api/rooms/{finished['id']}/run", {"language": "python", "code": code, "stdin": "1 2\n"},
        peer_token, expect=202,
    )  # fmt: skip
    client.finished_job(f"/api/executions/{run['runId']}", peer_token)
    submission = client.call(
        "POST", f"/api/rooms/{finished['id']}/submit", {"language": "python", "code": code}, peer_token, expect=202
    )
    client.finished_job(f"/api/submissions/{submission['submissionId']}", peer_token)
    session = client.call("POST", f"/api/rooms/{finished['id']}/phase", {"to": "finished"}, token)
    live = client.call("POST", "/api/rooms", {"mode": "ai", "problemId": problem["id"]}, token, expect=201)
    ids = {
        "roomId": live["id"],
        "inviteCode": live["inviteCode"],
        "sessionId": session["sessionId"],
        "runId": run["runId"],
        "submissionId": submission["submissionId"],
        "problemId": problem["id"],
        "userId": peer["user"]["id"],
    }
    return [
        Identity("anonymous", None, dict(ids)),
        Identity("user", token, ids),
        Identity("peer", peer_token, {**ids, "roomId": finished["id"], "userId": user["user"]["id"]}),
        Identity("admin", admin["accessToken"], {**ids, "userId": victim["user"]["id"]}),
    ]


# -- fuzzing ----------------------------------------------------------------------------------------------------


def load_schema(base_url: str) -> Any:
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    return schema


def case_strategy(operation: Any, identity: Identity) -> st.SearchStrategy:
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    try:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # an operation with nothing to make invalid
        pass
    names = [p.name for p in operation.path_parameters]
    if names and all(n in identity.ids for n in names):
        known = {n: identity.ids[n] for n in names}
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    return st.one_of(strategies)


def fuzz(
    base_url: str,
    identities: list[Identity],
    cases: int,
    seed: int,
    log: Callable[[str], None] = lambda line: None,
    examples_per_operation: int = 0,
) -> Report:
    """At least `cases` generated requests, spread evenly over every (identity, operation); or one round of
    `examples_per_operation` each. Hypothesis stops early on an operation with few distinct inputs (a GET without
    parameters), so rounds with fresh seeds follow until there are `cases`."""
    schema = load_schema(base_url)
    operations = [r.ok() for r in schema.get_all_operations()]  # the WebSocket upgrades too, as plain requests
    pairs = len(operations) * len(identities)
    report = Report(seed=seed)
    started = time.perf_counter()
    session = requests.Session()
    rng = random.Random(seed)
    while True:
        per_pair = examples_per_operation or max(1, -(-(cases - report.cases) // pairs))  # rounded up
        for identity in identities:
            for operation in operations:
                run_pair(base_url, session, operation, identity, per_pair, rng.randrange(2**32), report)
            log(f"{identity.name}: {report.cases} cases so far, {len(report.findings)} findings")
        if examples_per_operation or report.cases >= cases:
            break
    report.elapsed_sec = time.perf_counter() - started
    return report


def run_pair(
    base_url: str, session: requests.Session, operation: Any, identity: Identity, examples: int, seed: int,
    report: Report,
) -> None:  # fmt: skip
    settings = hypothesis.settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: findings are collected
        suppress_health_check=list(hypothesis.HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )

    @hypothesis.seed(seed)
    @settings
    @hypothesis.given(case=case_strategy(operation, identity))
    def one(case: Any) -> None:
        send(base_url, session, case, identity, report)

    one()


def send(base_url: str, session: requests.Session, case: Any, identity: Identity, report: Report) -> None:
    label = f"{case.operation.method.upper()} {case.operation.path}"
    report.cases += 1
    began = time.perf_counter()
    try:
        response = case.call(base_url=base_url, session=session, headers=identity.headers, timeout=REQUEST_TIMEOUT_SEC)
    except requests.Timeout:
        report.findings.append(Finding(identity.name, label, f"no answer in {REQUEST_TIMEOUT_SEC} s", repro(case)))
        return
    except requests.RequestException as exc:
        report.findings.append(Finding(identity.name, label, f"request failed: {exc}", repro(case)))
        return
    report.slowest_sec = max(report.slowest_sec, time.perf_counter() - began)
    report.statuses[response.status_code] += 1
    if response.status_code == 500:
        report.findings.append(Finding(identity.name, label, f"500: {response.text[:500]}", repro(case)))
        return
    try:
        case.validate_response(response, checks=CHECKS, headers=identity.headers)
    except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup (a BaseExceptionGroup) names each failed check
        problem = f"{response.status_code}: {failure_text(exc)}"
        report.findings.append(Finding(identity.name, label, problem, repro(case)))


def failure_text(exc: BaseException) -> str:
    """The failed checks' titles and messages, without the curl line and traceback Schemathesis adds."""
    parts = [
        f"{getattr(e, 'title', type(e).__name__)}: {getattr(e, 'message', str(e))}"
        for e in getattr(exc, "exceptions", [exc])
    ]
    return " | ".join(parts)[:1500]


def repro(case: Any) -> str:
    try:
        return case.as_curl_command()[:1000]
    except Exception:
        return f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}"[:1000]

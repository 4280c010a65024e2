"""Problems API, bookmarks and the problem bank loader, over real HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from syncode.services.problem_bank import load_bank, stable_id
from syncode.services.problems import Attempt
from tests.conftest import Api, assert_error, make_admin

BANK = Path(__file__).resolve().parent.parent / "problems"


def problem(title: str, **extra) -> dict:
    body = {
        "title": title,
        "description": f"Statement of {title}. Read n, print n.",
        "difficulty": "easy",
        "tags": ["arrays"],
        "examples": [{"input": "1\n", "output": "1\n"}, {"input": "2\n", "output": "2\n"}],
        "starterCode": {"python": "print(input())\n"},
        "testCases": [
            {"input": "1\n", "expectedOutput": "1\n"},
            {"input": "5\n", "expectedOutput": "5\n", "isHidden": True},
        ],
        "hints": ["think", "think harder"],
    }
    body.update(extra)
    return body


@pytest.fixture(scope="module")
async def admin(server, api) -> str:
    return (await make_admin(server, api))["accessToken"]


@pytest.fixture(scope="module")
async def user(api) -> str:
    return (await api.register())["accessToken"]


async def test_authorization(api: Api, admin: str, user: str) -> None:
    created = await api.post("/api/problems", problem("Auth Matrix"), token=admin)
    assert created.status == 201
    pid = created.json["id"]
    reads = [
        ("GET", "/api/problems"),
        ("GET", "/api/problems/tags"),
        ("GET", f"/api/problems/{pid}"),
        ("GET", "/api/bookmarks"),
        ("PUT", f"/api/bookmarks/{pid}"),
        ("DELETE", f"/api/bookmarks/{pid}"),
    ]
    writes = [
        ("POST", "/api/problems", problem("Auth Matrix 2")),
        ("PATCH", f"/api/problems/{pid}", {"hints": ["a"]}),
        ("DELETE", f"/api/problems/{pid}", None),
    ]
    admin_reads = [
        "/api/admin/stats",
        "/api/admin/users",
        "/api/admin/audit-logs",
        f"/api/admin/users/{(await api.get('/api/users/me', token=user)).json['id']}",
    ]
    for method, path in reads:
        assert_error(await api.request(method, path), 401)
        assert (await api.request(method, path, token=user)).status in (200, 204), (method, path)
    for method, path, body in writes:
        assert_error(await api.request(method, path, body), 401)
        assert_error(await api.request(method, path, body, token=user), 403, "FORBIDDEN")
    for path in admin_reads:
        assert_error(await api.get(path), 401)
        assert_error(await api.get(path, token=user), 403, "FORBIDDEN")
        assert (await api.get(path, token=admin)).status == 200, path
    for method, path, body in writes:
        r = await api.request(method, path, body, token=admin)
        assert r.status in (200, 201, 204), (method, path, r.body)


async def test_create_validation_and_duplicates(api: Api, admin: str) -> None:
    r = await api.post("/api/problems", problem("Sum It Up"), token=admin)
    assert r.status == 201
    detail = r.json
    assert detail["slug"] == "sum-it-up" and detail["timeLimitMs"] == 2000 and detail["memoryLimitMb"] == 256
    assert len(detail["testCases"]) == 2  # admins see hidden cases
    assert_error(await api.post("/api/problems", problem("sum it up"), token=admin), 409, "PROBLEM_TITLE_TAKEN")
    assert_error(
        await api.post("/api/problems", problem("Other", slug="sum-it-up"), token=admin), 409, "PROBLEM_SLUG_TAKEN"
    )
    bad_bodies = {
        "testCases": problem("X1", testCases=[]),
        "testCases.100": problem("X2", testCases=[{"input": "", "expectedOutput": ""}] * 101),
        "timeLimitMs": problem("X3", timeLimitMs=20000),
        "memoryLimitMb": problem("X4", memoryLimitMb=8),
        "difficulty": problem("X5", difficulty="impossible"),
        "starterCode": problem("X6", starterCode={"cobol": "x"}),
        "slug": problem("X7", slug="Not A Slug"),
        "title": {k: v for k, v in problem("X8").items() if k != "title"},
        "extra": problem("X9", secret=True),
        "isPublished": problem("X10", isPublished=None),
        "hints": problem("X11", hints=None),
    }
    for name, body in bad_bodies.items():
        r = await api.post("/api/problems", body, token=admin)
        assert_error(r, 400, "VALIDATION_FAILED", case=name)


async def test_hidden_cases_never_reach_users(api: Api, admin: str, user: str) -> None:
    r = await api.post(
        "/api/problems",
        problem(
            "Hidden Cases",
            testCases=[
                {"input": "visible in\n", "expectedOutput": "visible out\n"},
                {"input": "SECRET-INPUT\n", "expectedOutput": "SECRET-OUTPUT\n", "isHidden": True},
            ],
        ),
        token=admin,
    )
    pid = r.json["id"]
    for path in (
        f"/api/problems/{pid}",
        "/api/problems/hidden-cases",
        "/api/problems?search=hidden",
        "/api/problems/tags",
    ):
        body = (await api.get(path, token=user)).body
        assert b"SECRET" not in body, path
    detail = (await api.get(f"/api/problems/{pid}", token=user)).json
    assert [c["isHidden"] for c in detail["testCases"]] == [False]
    assert b"SECRET" in (await api.get(f"/api/problems/{pid}", token=admin)).body


async def test_unpublished_and_deleted_are_invisible(api: Api, admin: str, user: str, server) -> None:
    draft = (await api.post("/api/problems", problem("Draft Problem", isPublished=False), token=admin)).json
    assert_error(await api.get(f"/api/problems/{draft['id']}", token=user), 404, "PROBLEM_NOT_FOUND")
    assert (await api.get(f"/api/problems/{draft['id']}", token=admin)).status == 200
    listed = (await api.get("/api/problems?search=draft%20problem", token=user)).json["data"]
    assert listed == []
    r = await api.patch(f"/api/problems/{draft['id']}", {"isPublished": True}, token=admin)
    assert r.status == 200 and r.json["isPublished"] is True
    assert (await api.get(f"/api/problems/{draft['slug']}", token=user)).status == 200
    # A live room blocks deletion.
    await server.db.rooms.insert_one({"_id": "room-using-it", "problemId": draft["id"], "status": "coding"})
    assert_error(await api.delete(f"/api/problems/{draft['id']}", token=admin), 409, "PROBLEM_IN_USE")
    await server.db.rooms.update_one({"_id": "room-using-it"}, {"$set": {"status": "finished"}})
    assert (await api.delete(f"/api/problems/{draft['id']}", token=admin)).status == 204
    assert_error(await api.get(f"/api/problems/{draft['id']}", token=user), 404)
    assert_error(await api.get(f"/api/problems/{draft['id']}", token=admin), 404)
    assert_error(await api.delete(f"/api/problems/{draft['id']}", token=admin), 404)
    # Its title and slug can be used again.
    assert (await api.post("/api/problems", problem("Draft Problem"), token=admin)).status == 201
    actions = [e["action"] async for e in server.db.auditLogs.find({"targetId": draft["id"]})]
    assert {"problem.created", "problem.updated", "problem.deleted"} <= set(actions)


async def test_update_replaces_cases_and_checks_conflicts(api: Api, admin: str) -> None:
    a = (await api.post("/api/problems", problem("Patch Me"), token=admin)).json
    await api.post("/api/problems", problem("Already There"), token=admin)
    r = await api.patch(
        f"/api/problems/{a['id']}",
        {"testCases": [{"input": "9\n", "expectedOutput": "9\n"}], "difficulty": "hard", "tags": ["graphs", "bfs"]},
        token=admin,
    )
    assert r.status == 200
    assert [c["input"] for c in r.json["testCases"]] == ["9\n"]
    assert r.json["difficulty"] == "hard" and r.json["tags"] == ["bfs", "graphs"]
    assert_error(await api.patch(f"/api/problems/{a['id']}", {"title": "Already There"}, token=admin), 409)
    assert_error(await api.patch(f"/api/problems/{a['id']}", {"title": None}, token=admin), 400)
    assert_error(await api.patch("/api/problems/no-such-problem", {"hints": []}, token=admin), 404)


async def test_search_filter_sort_and_paginate(make_server) -> None:
    server = await make_server()
    api = Api(server.url)
    admin = (await make_admin(server, api))["accessToken"]
    specs = [
        ("Alpha Arrays", "easy", ["arrays"]),
        ("Beta Graphs", "medium", ["graphs"]),
        ("Gamma Trees", "hard", ["trees", "graphs"]),
        ("Delta Strings", "easy", ["strings"]),
        ("Epsilon Heap", "medium", ["heap"]),
    ]
    ids = {}
    for title, difficulty, tags in specs:
        r = await api.post(
            "/api/problems",
            problem(title, difficulty=difficulty, tags=tags, description=f"About {title.split()[1].lower()}"),
            token=admin,
        )
        ids[title] = r.json["id"]

    async def titles(query: str) -> list[str]:
        r = await api.get(f"/api/problems?{query}", token=admin)
        assert r.status == 200, r.body
        return [p["title"] for p in r.json["data"]]

    assert await titles("search=GRAPHS") == ["Beta Graphs"]  # title, case-insensitive
    assert await titles("search=about%20heap") == ["Epsilon Heap"]  # description
    assert await titles("search=gamma-trees") == ["Gamma Trees"]  # slug
    assert set(await titles("difficulty=easy,hard")) == {"Alpha Arrays", "Gamma Trees", "Delta Strings"}
    assert set(await titles("difficulty=easy&difficulty=medium")) == {
        "Alpha Arrays",
        "Beta Graphs",
        "Delta Strings",
        "Epsilon Heap",
    }
    assert set(await titles("tags=graphs")) == {"Beta Graphs", "Gamma Trees"}
    assert set(await titles("tags=heap,strings")) == {"Epsilon Heap", "Delta Strings"}
    assert await titles("sortBy=title") == sorted(t for t, _, _ in specs)
    assert await titles("sortBy=title&sortOrder=desc") == sorted((t for t, _, _ in specs), reverse=True)
    rank = {title: ["easy", "medium", "hard"].index(difficulty) for title, difficulty, _ in specs}
    assert [rank[t] for t in await titles("sortBy=difficulty")] == [0, 0, 1, 1, 2]
    assert [rank[t] for t in await titles("sortBy=difficulty&sortOrder=desc")] == [2, 1, 1, 0, 0]
    assert await titles("sortBy=createdAt&sortOrder=asc") == [t for t, _, _ in specs]

    # acceptanceRate: record some submissions.
    user = await api.register()
    uid = user["user"]["id"]
    await server.ctx.problems.record_submissions(
        [
            Attempt(uid, ids["Beta Graphs"], True),
            Attempt(uid, ids["Gamma Trees"], False),
            Attempt(uid, ids["Gamma Trees"], True),
            Attempt(uid, ids["Alpha Arrays"], False),
        ]
    )
    ranked = (await api.get("/api/problems?sortBy=acceptanceRate", token=user["accessToken"])).json["data"]
    assert [p["title"] for p in ranked[:3]] == ["Beta Graphs", "Gamma Trees", "Alpha Arrays"]
    assert [p["acceptanceRate"] for p in ranked] == [100.0, 50.0, 0.0, None, None]
    assert ranked[1]["totalSubmissions"] == 2 and ranked[1]["attemptStatus"] == "solved"
    token = user["accessToken"]

    async def status_titles(status: str) -> set[str]:
        r = await api.get(f"/api/problems?status={status}", token=token)
        return {p["title"] for p in r.json["data"]}

    assert await status_titles("solved") == {"Beta Graphs", "Gamma Trees"}
    assert await status_titles("attempted") == {"Alpha Arrays"}
    assert await status_titles("todo") == {"Delta Strings", "Epsilon Heap"}
    # A later batch: solved stays solved after a failure; attempted becomes solved.
    await server.ctx.problems.record_submissions(
        [Attempt(uid, ids["Beta Graphs"], False), Attempt(uid, ids["Alpha Arrays"], True)]
    )
    assert await status_titles("solved") == {"Alpha Arrays", "Beta Graphs", "Gamma Trees"}
    assert await status_titles("attempted") == set()

    # Pagination: stable across pages, with inserts in between.
    seen: list[str] = []
    cursor = ""
    while True:
        r = await api.get(f"/api/problems?limit=2&sortBy=title{cursor}", token=admin)
        seen += [p["title"] for p in r.json["data"]]
        await api.post("/api/problems", problem(f"Aaa Inserted {len(seen)}"), token=admin)  # sorts first
        if not r.json["pagination"]["hasMore"]:
            break
        cursor = f"&cursor={r.json['pagination']['nextCursor']}"
    assert seen == sorted(t for t, _, _ in specs)
    for bad in (
        "cursor=garbage!!",
        "limit=0",
        "limit=101",
        "sortBy=random",
        "status=done",
        "difficulty=x",
        "unknown=1",
    ):
        assert_error(await api.get(f"/api/problems?{bad}", token=admin), 400, case=bad)
    tags = (await api.get("/api/problems/tags", token=admin)).json["data"]
    assert {"slug": "graphs", "name": "Graphs", "problemCount": 2} in tags
    await server.stop()


async def test_bookmarks(api: Api, admin: str) -> None:
    token = (await api.register())["accessToken"]
    pids = [(await api.post("/api/problems", problem(f"Bookmark {i}"), token=admin)).json["id"] for i in range(3)]
    for pid in pids:
        assert (await api.put(f"/api/bookmarks/{pid}", token=token)).status == 204
    assert (await api.put(f"/api/bookmarks/{pids[0]}", token=token)).status == 204  # idempotent
    assert_error(await api.put("/api/bookmarks/not-a-problem", token=token), 404, "PROBLEM_NOT_FOUND")
    r = await api.get("/api/bookmarks?limit=2", token=token)
    assert [p["id"] for p in r.json["data"]] == [pids[2], pids[1]]  # newest first
    assert all(p["isBookmarked"] for p in r.json["data"])
    r = await api.get(f"/api/bookmarks?limit=2&cursor={r.json['pagination']['nextCursor']}", token=token)
    assert [p["id"] for p in r.json["data"]] == [pids[0]] and r.json["pagination"]["hasMore"] is False
    assert (await api.delete(f"/api/bookmarks/{pids[1]}", token=token)).status == 204
    assert (await api.delete(f"/api/bookmarks/{pids[1]}", token=token)).status == 204
    assert (await api.get(f"/api/problems/{pids[1]}", token=token)).json["isBookmarked"] is False
    assert (await api.get(f"/api/problems/{pids[0]}", token=token)).json["isBookmarked"] is True


async def test_bank_loader_is_idempotent(make_server, tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    for slug in ("two-sum", "valid-parentheses"):
        shutil.copy(BANK / f"{slug}.toml", bank)
    (bank / "broken.toml").write_text("slug = 'broken'\ntitle = [")
    server = await make_server()
    api = Api(server.url)
    admin = (await make_admin(server, api))["accessToken"]
    report = await load_bank(server.db, bank)
    assert sorted(report.created) == ["two-sum", "valid-parentheses"] and "broken.toml" in report.failed
    detail = (await api.get("/api/problems/two-sum", token=admin)).json
    assert detail["id"] == stable_id("two-sum")
    assert len(detail["testCases"]) >= 8 and sum(c["isHidden"] for c in detail["testCases"]) >= 3
    assert set(detail["starterCode"]) == {"python", "javascript", "typescript", "java", "cpp", "c", "go", "rust"}
    assert "reference" not in detail["description"] and "referenceSolutions" not in detail
    # An admin edit survives a reload of the unchanged file...
    await api.patch("/api/problems/two-sum", {"hints": ["edited by admin"]}, token=admin)
    report = await load_bank(server.db, bank)
    assert sorted(report.unchanged) == ["two-sum", "valid-parentheses"]
    assert (await api.get("/api/problems/two-sum", token=admin)).json["hints"] == ["edited by admin"]
    # ...and a changed file wins, keeping the problem's id.
    path = bank / "two-sum.toml"
    path.write_text(path.read_text().replace('title = "Two Sum"', 'title = "Two Sum Revised"'))
    report = await load_bank(server.db, bank)
    assert report.updated == ["two-sum"]
    detail = (await api.get("/api/problems/two-sum", token=admin)).json
    assert detail["title"] == "Two Sum Revised" and detail["hints"] != ["edited by admin"]
    assert detail["id"] == stable_id("two-sum")
    await server.stop()


async def test_judging_sees_replaced_cases(api: Api, admin: str, server) -> None:
    pid = (await api.post("/api/problems", problem("Cached Cases"), token=admin)).json["id"]
    _, cases = await server.ctx.problems.get_for_judging(pid)
    assert [c["input"] for c in cases] == ["1\n", "5\n"]
    await api.patch(f"/api/problems/{pid}", {"testCases": [{"input": "7\n", "expectedOutput": "7\n"}]}, token=admin)
    _, cases = await server.ctx.problems.get_for_judging(pid)  # the cached copy is stale: not used
    assert [c["input"] for c in cases] == ["7\n"]

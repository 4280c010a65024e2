"""The committed client build is what web/ builds to, and the server serves it: index.html at / and at deep links,
hashed assets with long-lived cache headers (gzip when asked), the API docs page from the same build."""

from __future__ import annotations

import filecmp
import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tornado.httpclient

from handlers.web import BUILD_DIR
from tests.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
FIRST_LOAD_BUDGET = 350 * 1024  # gzip bytes of JavaScript and CSS, the aim


def differences(left: Path, right: Path) -> list[str]:
    found: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        found.extend(f"only in the commit: {prefix}{n}" for n in cmp.left_only)
        found.extend(f"only in a fresh build: {prefix}{n}" for n in cmp.right_only)
        found.extend(f"differs: {prefix}{n}" for n in cmp.diff_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right, ignore=[]), "")
    return found


def test_committed_build_matches_a_fresh_build(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.fail("Node.js is needed to rebuild the client (scripts/test installs it)")
    fresh = tmp_path / "app"
    subprocess.run([str(ROOT / "scripts" / "build-web"), str(fresh)], check=True, timeout=600, capture_output=True)
    diff = differences(BUILD_DIR, fresh)
    assert not diff, "static/app is not what web/ builds to; run scripts/build-web and commit:\n" + "\n".join(diff)


def test_first_load_is_small() -> None:
    """The sign-in page's JavaScript and CSS (the entry and the chunks it imports statically), gzip."""
    manifest = json.loads((BUILD_DIR / "manifest.json").read_text())
    app_js = BUILD_DIR / manifest["entries"]["app.js"]
    text = app_js.read_text()
    files = [app_js, BUILD_DIR / manifest["entries"]["app.css"]]
    files += [app_js.parent / name for name in sorted(set(_static_imports(text)))]
    total = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
    assert total < FIRST_LOAD_BUDGET, total


def _static_imports(text: str) -> list[str]:
    return re.findall(r'import\s*(?:[\w{}$,\s*]+from\s*)?"\./([\w.-]+\.js)"', text)


async def test_server_serves_the_client(server) -> None:
    api = Api(server.url)
    manifest = json.loads((BUILD_DIR / "manifest.json").read_text())
    index = (BUILD_DIR / "index.html").read_bytes()
    for path in ("/", "/signin", "/register", "/reset-password", "/rooms/some-room", "/join/ABC234"):
        r = await api.get(path)
        assert r.status == 200 and r.body == index, path
        assert r.headers["Content-Type"].startswith("text/html") and r.headers["Cache-Control"] == "no-cache"
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/rooms/a/b", "/api/nothing", "/assets/../index.html", "/assets/nope.js"):
        r = await api.get(path)
        assert r.status == 404 and r.json["code"] == "NOT_FOUND", path

    app_js = manifest["entries"]["app.js"]
    assert f"/{app_js}".encode() in index
    plain = await api.get(f"/{app_js}")
    assert plain.status == 200 and plain.body == (BUILD_DIR / app_js).read_bytes()
    assert plain.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    packed = await tornado.httpclient.AsyncHTTPClient().fetch(
        f"{server.url}/{app_js}", headers={"Accept-Encoding": "gzip"}, decompress_response=False
    )
    assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(packed.body) == plain.body
    css = await api.get(f"/{manifest['entries']['app.css']}")
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
    head = await api.request("HEAD", "/rooms/x")
    assert head.status == 200 and head.body == b""

    docs = await api.get("/api/docs")
    assert docs.status == 200 and b"/api/openapi.json" in docs.body and b"swagger-ui" in docs.body
    for asset in (p for p in manifest["files"] if "swagger-ui" in p or "docs-init" in p):
        assert f"/{asset}".encode() in docs.body
        assert (await api.get(f"/{asset}")).status == 200

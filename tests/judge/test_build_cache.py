"""The build cache: code compiled once runs again without compiling, on both backends, and nothing a program or a
damaged entry does makes a later run wrong."""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from judge import Judge, TestCase, Verdict
from judge.build_cache import MANIFEST, BuildCache, build_key
from judge.languages import RECIPES
from tests.judge.conftest import judge_settings

SQUARE = "#include <iostream>\nint main() {{ long long n; std::cin >> n; std::cout << n * n << std::endl; }} // {}\n"


def fresh_cpp() -> str:
    """A C++ program no earlier test compiled (the judges, and their caches, last the whole session)."""
    return SQUARE.format(secrets.token_hex(8))


def entry(judge: Judge, language: str, code: str) -> Path:
    assert judge.build_cache is not None
    key = judge.build_key(language, code)
    assert key is not None
    return judge.build_cache.entries / key


async def test_second_run_and_submission_take_the_cached_build(judge: Judge) -> None:
    code = fresh_cpp()
    first = await judge.run("cpp", code, "7")
    assert (first.verdict, first.stdout, first.cached_build) == (Verdict.accepted, "49\n", False)
    again = await judge.run("cpp", code, "8")
    assert (again.verdict, again.stdout, again.cached_build) == (Verdict.accepted, "64\n", True)
    assert again.compile_output == first.compile_output
    cases = [TestCase(input=str(n), expected_output=str(n * n)) for n in (3, 12)]
    submitted = await judge.judge("cpp", code, cases)
    assert (submitted.verdict, submitted.passed, submitted.cached_build) == (Verdict.accepted, 2, True)
    assert "cachedBuild" not in str(again.model_dump(by_alias=True))  # the judge's own flag, never serialised


async def test_every_compiled_language_is_cached_and_interpreted_ones_skip_it(process_judge: Judge) -> None:
    nonce = secrets.token_hex(6)
    programs = {
        "java": f'public class Main {{ public static void main(String[] a) {{ System.out.println("{nonce}"); }} }}',
        "rust": f'fn main() {{ println!("{nonce}"); }}',
        "go": f'package main\nimport "fmt"\nfunc main() {{ fmt.Println("{nonce}") }}',
        "typescript": f'const word: string = "{nonce}";\nconsole.log(word);',
        "python": f'print("{nonce}")',
    }
    for language, code in programs.items():
        if process_judge.backend.languages.get(language):
            continue  # toolchain not installed here
        runs = [await process_judge.run(language, code) for _ in range(2)]
        assert [(r.verdict, r.stdout) for r in runs] == [(Verdict.accepted, nonce + "\n")] * 2, language
        assert [r.cached_build for r in runs] == ([False, False] if language == "python" else [False, True]), language


async def test_a_corrupt_or_missing_entry_compiles_again(judge: Judge) -> None:
    code = fresh_cpp()
    assert not (await judge.run("cpp", code, "2")).cached_build
    binary = entry(judge, "cpp", code) / "main"
    binary.chmod(0o755)
    binary.write_bytes(b"\x7fELF garbage")  # the same name, another content: the manifest's hash tells
    result = await judge.run("cpp", code, "3")
    assert (result.verdict, result.stdout, result.cached_build) == (Verdict.accepted, "9\n", False)
    again = await judge.run("cpp", code, "4")  # filed again by the recompile
    assert (again.verdict, again.stdout, again.cached_build) == (Verdict.accepted, "16\n", True)
    (entry(judge, "cpp", code) / MANIFEST).unlink()
    missing = await judge.run("cpp", code, "5")
    assert (missing.verdict, missing.stdout, missing.cached_build) == (Verdict.accepted, "25\n", False)


# Given its entry's path on stdin (the program cannot list the cache), tries to damage it, and its own binary.
SABOTEUR = r"""#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>
#include <dirent.h>
int main() {
    std::string dir; std::cin >> dir;
    int damaged = 0;
    for (const char *name : {"/main", "/manifest.json"}) {
        FILE *f = fopen((dir + name).c_str(), "r+");
        if (f) { damaged += fputs("x", f) >= 0 && fflush(f) == 0; fclose(f); }
        damaged += unlink((dir + name).c_str()) == 0;
    }
    FILE *f = fopen((dir + "/planted").c_str(), "w");
    if (f) { damaged++; fclose(f); }
    damaged += rename(dir.c_str(), "/opt/build-cache/moved") == 0;
    damaged += opendir("/opt/build-cache") != nullptr;
    bool own = unlink("main") == 0;  // the copy in /work is its own to spoil
    std::cout << "damaged " << damaged << " own " << own << std::endl;
}
"""


async def test_a_program_cannot_write_into_or_list_the_cache(judge: Judge) -> None:
    code = SABOTEUR + f"// {secrets.token_hex(8)}\n"
    where = f"/opt/build-cache/{entry(judge, 'cpp', code).name}"
    first = await judge.run("cpp", code, where)  # compiled: its entry is filed after the compiler, before the run
    assert (first.verdict, first.stdout, first.cached_build) == (Verdict.accepted, "damaged 0 own 1\n", False)
    cached = await judge.run("cpp", code, where)
    assert (cached.verdict, cached.cached_build) == (Verdict.accepted, True), cached
    assert cached.stdout == "damaged 0 own 1\n"
    after = await judge.run("cpp", code, where)  # the entry still passes its checks
    assert (after.verdict, after.stdout, after.cached_build) == (Verdict.accepted, "damaged 0 own 1\n", True)


async def test_concurrent_identical_compiles_file_one_entry(process_judge: Judge) -> None:
    code = fresh_cpp()
    results = await asyncio.gather(*(process_judge.run("cpp", code, str(n)) for n in range(4)))
    assert [r.stdout for r in results] == [f"{n * n}\n" for n in range(4)]
    assert (entry(process_judge, "cpp", code) / "main").is_file()
    later = await process_judge.run("cpp", code, "9")
    assert (later.stdout, later.cached_build) == ("81\n", True)


async def test_other_flags_or_toolchain_build_again(process_judge: Judge, monkeypatch: pytest.MonkeyPatch) -> None:
    code = fresh_cpp()
    assert not (await process_judge.run("cpp", code, "1")).cached_build
    assert (await process_judge.run("cpp", code, "1")).cached_build
    recipe = RECIPES["cpp"]
    flags = tuple(part if part != "-O2" else "-O0" for part in recipe.compile)
    with monkeypatch.context() as patch:
        patch.setitem(RECIPES, "cpp", replace(recipe, compile=flags))
        other_flags = await process_judge.run("cpp", code, "2")
    assert (other_flags.stdout, other_flags.cached_build) == ("4\n", False)
    with monkeypatch.context() as patch:
        patch.setitem(process_judge.backend.toolchains, "cpp", "g++ (another release)")
        other_toolchain = await process_judge.run("cpp", code, "3")
    assert (other_toolchain.stdout, other_toolchain.cached_build) == ("9\n", False)
    assert (await process_judge.run("cpp", code, "1")).cached_build  # the original key is still there


def test_the_key_covers_language_toolchain_command_environment_and_source() -> None:
    base = ("cpp", "gcc 12", ("g++", "-O2", "main.cpp"), {"PATH": "/usr/bin"}, "main.cpp", "int main() {}")
    variants = [
        ("c", *base[1:]),
        (base[0], "gcc 13", *base[2:]),
        (*base[:2], ("g++", "-O0", "main.cpp"), *base[3:]),
        (*base[:3], {"PATH": "/usr/local/bin"}, *base[4:]),
        (*base[:4], "main.cc", base[5]),
        (*base[:5], "int main() { }"),
    ]
    keys = {build_key(*base), *(build_key(*variant) for variant in variants)}
    assert len(keys) == 1 + len(variants)
    assert build_key(*base) == build_key(*base)


def test_eviction_keeps_the_byte_bound_least_recently_used_out(tmp_path: Path) -> None:
    cache = BuildCache(4000, parent=str(tmp_path))
    try:
        files = {name: {"main": (bytes([n]) * 1000, True)} for n, name in enumerate("abcde")}
        for name in "abc":
            assert cache.store(name, files[name], "")
        assert cache.acquire("a") is not None  # used: b is now the least recently used
        cache.release("a")
        pinned = cache.acquire("c")  # in use by a job: never evicted
        assert pinned is not None
        assert cache.store("d", files["d"], "")
        assert cache.acquire("b") is None
        assert cache.bytes <= cache.max_bytes
        assert cache.store("e", files["e"], "")
        on_disk = sum(path.stat().st_size for path in cache.entries.rglob("*") if path.is_file())
        assert on_disk == cache.bytes <= cache.max_bytes
        assert cache.acquire("c") is not None  # survived both evictions
        assert not cache.store("huge", {"main": (b"x" * 5000, True)}, "")  # larger than the whole cache
        assert not cache.store("e", files["e"], "")  # already filed: the first one stays
    finally:
        cache.close()
    assert not cache.root.exists()


async def test_eviction_end_to_end_and_cache_off(tmp_path: Path) -> None:
    small = Judge(judge_settings(judge_build_cache_bytes=64 * 1024), "process")  # about two small C++ binaries
    await small.start()
    try:
        programs = [fresh_cpp() for _ in range(4)]
        for code in programs:
            assert (await small.run("cpp", code, "3")).stdout == "9\n"
        assert small.build_cache.bytes <= 64 * 1024
        assert not (await small.run("cpp", programs[0], "3")).cached_build  # the oldest went first
        assert (await small.run("cpp", programs[-1], "3")).cached_build
    finally:
        await small.close()
    off = Judge(judge_settings(judge_build_cache_bytes=0), "process")
    await off.start()
    try:
        code = fresh_cpp()
        runs = [await off.run("cpp", code, "5") for _ in range(2)]
        assert [(r.stdout, r.cached_build) for r in runs] == [("25\n", False)] * 2
        assert off.build_cache is None and off.build_key("cpp", code) is None
    finally:
        await off.close()


def test_a_new_cache_removes_those_of_processes_that_are_gone(tmp_path: Path) -> None:
    """A server killed before it could clean up leaves its cache in /var/tmp: the next one removes it."""
    finished = subprocess.Popen(["true"])
    finished.wait()  # its pid no longer runs
    gone = tmp_path / f"syncode-build-cache-{finished.pid}-abc"
    (gone / "entries/key").mkdir(parents=True)
    (gone / "entries").chmod(0o311)
    live = tmp_path / f"syncode-build-cache-{os.getpid()}-def"
    live.mkdir()
    cache = BuildCache(1000, parent=str(tmp_path))
    try:
        assert not gone.exists() and live.is_dir()
        assert cache.root.name.startswith(f"syncode-build-cache-{os.getpid()}-")
    finally:
        cache.close()


async def test_a_cache_that_cannot_file_a_build_does_not_fail_the_job(
    process_judge: Judge, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*_: object) -> bool:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(process_judge.build_cache, "store", disk_full)
    code = fresh_cpp()
    runs = [await process_judge.run("cpp", code, "6") for _ in range(2)]
    assert [(r.verdict, r.stdout, r.cached_build) for r in runs] == [(Verdict.accepted, "36\n", False)] * 2


def test_a_cache_never_closed_is_removed_when_collected(tmp_path: Path) -> None:
    cache = BuildCache(1000, parent=str(tmp_path))
    root = cache.root
    assert cache.store("a", {"main": (b"x", True)}, "")
    del cache
    gc.collect()
    assert not root.exists()

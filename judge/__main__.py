"""Command line: `python -m judge run ...` (RunResult as JSON) and `python -m judge selftest ...`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from config import SUPPORTED_LANGUAGES, SandboxKind, Settings
from judge.selftest import run_selftest, table
from judge.service import Judge, JudgeError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m judge", description="SynCode sandboxed execution")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one program and print its RunResult as JSON")
    run.add_argument("--language", required=True, choices=SUPPORTED_LANGUAGES)
    run.add_argument("--file", required=True, type=Path, help="source file")
    run.add_argument("--stdin", type=Path, help="file fed to the program's standard input")
    run.add_argument("--time-limit-ms", type=int)
    run.add_argument("--memory-limit-mb", type=int)
    selftest = commands.add_parser("selftest", help="check every language, verdict and the escape suite")
    selftest.add_argument("--json", action="store_true", help="print results as JSON instead of a table")
    selftest.add_argument("--language", action="append", choices=SUPPORTED_LANGUAGES, help="only these languages")
    for command in (run, selftest):
        command.add_argument("--sandbox", choices=[kind.value for kind in SandboxKind])
    return parser.parse_args(argv)


async def command_run(judge: Judge, args: argparse.Namespace) -> int:
    stdin = args.stdin.read_text() if args.stdin else ""
    result = await judge.run(args.language, args.file.read_text(), stdin, args.time_limit_ms, args.memory_limit_mb)
    print(result.model_dump_json(indent=2))
    return 0


async def command_selftest(judge: Judge, args: argparse.Namespace) -> int:
    results = await run_selftest(judge, args.language)
    failures = sum(not check.passed(result) for check, result in results)
    if args.json:
        documents = [
            {"language": c.language, "check": c.name, "passed": c.passed(r), "result": r.model_dump(mode="json")}
            for c, r in results
        ]
        print(json.dumps({"backend": judge.backend_name, "failures": failures, "checks": documents}, indent=2))
    else:
        print(f"backend: {judge.backend_name}")
        print(table(results))
        print(f"{len(results) - failures}/{len(results)} checks passed")
    return 1 if failures else 0


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    judge = Judge(Settings(), args.sandbox)
    try:
        await judge.start()
        command = command_run if args.command == "run" else command_selftest
        return await command(judge, args)
    except JudgeError as exc:
        print(f"{exc.code}: {exc}", file=sys.stderr)
        return 2
    finally:
        await judge.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(asyncio.run(main()))

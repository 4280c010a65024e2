"""Static analysis for every language: linter/compiler diagnostics plus lizard complexity."""

from __future__ import annotations

import pytest

from config import SUPPORTED_LANGUAGES
from judge import Judge

# Per language: code with one warning-worthy problem and a branchy function, and a rule/message fragment.
SAMPLES = {
    "python": ("import os\n\ndef f(x):\n    if x > 1:\n        return 1\n    return 2\n", "F401"),
    "javascript": ("function f(x) {\n  if (x > 1) { return 1; }\n  return 2;\n}\nconsole.log(f(2)\n", "SyntaxError"),
    "typescript": (
        "function f(x: number): number {\n  if (x > 1) { return 1; }\n  return 2;\n}\nconst s: string = f(2);\n",
        "TS2322",
    ),
    "java": (
        "import java.util.*;\npublic class Main {\n  static int f(int x) { if (x > 1) { return 1; } return 2; }\n"
        "  public static void main(String[] a) { List l = new ArrayList(); l.add(f(1)); }\n}\n",
        "unchecked",
    ),
    "cpp": (
        "int f(int x) {\n  int unused;\n  if (x > 1) { return 1; }\n  return 2;\n}\nint main() { return f(1); }\n",
        "-Wunused-variable",
    ),
    "c": (
        "int f(int x) {\n  int unused;\n  if (x > 1) { return 1; }\n  return 2;\n}\nint main(void) { return f(1); }\n",
        "-Wunused-variable",
    ),
    "go": (
        'package main\nimport "fmt"\nfunc f(x int) int {\n\tif x > 1 {\n\t\treturn 1\n\t}\n\treturn 2\n}\n'
        'func main() { fmt.Printf("%d\\n", "s", f(1)) }\n',
        "Printf",
    ),
    "rust": (
        "fn f(x: i32) -> i32 {\n    let unused = 3;\n    if x > 1 { return 1; }\n    2\n}\nfn main() { f(1); }\n",
        "unused",
    ),
}


def assert_analysis(result, language: str) -> None:
    marker = SAMPLES[language][1]
    assert all(tool.status == "ok" for tool in result.tool_results), result.tool_results
    assert any(marker in f"{d.rule} {d.message}" for d in result.diagnostics), result.diagnostics
    function = next(c for c in result.complexity if c.function in ("f", "Main::f"))
    assert function.cyclomatic == 2 and function.start_line <= function.end_line
    assert result.summary.max_complexity >= 2
    assert result.summary.errors + result.summary.warnings + result.summary.infos == len(result.diagnostics)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
async def test_analysis_every_language(process_judge: Judge, language: str) -> None:
    assert_analysis(await process_judge.analyze(language, SAMPLES[language][0]), language)


@pytest.mark.parametrize("language", ["python", "cpp"])
async def test_analysis_on_each_backend(judge: Judge, language: str) -> None:
    assert_analysis(await judge.analyze(language, SAMPLES[language][0]), language)


async def test_tool_failure_is_reported_not_raised(process_judge: Judge) -> None:
    result = await process_judge.analyze("python", "def broken(:\n")
    assert result.summary.errors >= 1
    assert {tool.tool for tool in result.tool_results} == {"ruff", "lizard"}

"""`python -m judge selftest`: every language's basics and verdicts, then hostile programs (the escape suite).

Each check runs a program through the public `Judge` API and compares the verdict (and, where it matters,
the output) with what a safe sandbox must produce.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from judge.models import RunResult, Verdict
from judge.service import Judge

V = Verdict
HOG_MB = 1024  # the memory hogs allocate this much...
HOG_LIMIT_MB = 128  # ...under this limit
TIME_LIMIT_MS = 1000
REPO = Path(__file__).resolve().parent.parent
# Planted in the server's environment by `run_check`: no process of a sandbox may show it.
CANARY = "SYNCODE_SELFTEST_CANARY"


@dataclass(frozen=True)
class Check:
    language: str
    name: str
    code: str
    expect: tuple[Verdict, ...]
    stdin: str = ""
    stdout: str | None = None  # expected stdout (trailing whitespace ignored) when set
    memory_mb: int = 256
    setup: str | None = None  # python code run just before, in another sandbox run

    def passed(self, result: RunResult) -> bool:
        if result.verdict not in self.expect:
            return False
        return self.stdout is None or result.stdout.rstrip() == self.stdout


PROGRAMS: dict[str, dict[str, str]] = {
    "python": {
        "hello": 'print("hello")',
        "echo": "import sys\nsys.stdout.write(sys.stdin.read())",
        "loop": "while True:\n    pass",
        "hog": f"data = bytearray({HOG_MB} << 20)\nprint(len(data))",
        "crash": "print(1 // 0)",
    },
    "javascript": {
        "hello": 'console.log("hello")',
        "echo": 'process.stdout.write(require("fs").readFileSync(0, "utf8"))',
        "loop": "while (true) {}",
        "hog": "const chunks = [];\nwhile (true) chunks.push(new Array(1e6).fill(1.5));",
        "crash": "const missing = null;\nconsole.log(missing.field);",
    },
    "typescript": {
        "hello": 'const greeting: string = "hello";\nconsole.log(greeting);',
        "echo": 'declare const require: any;\nprocess.stdout.write(require("fs").readFileSync(0, "utf8"));',
        "compile_error": "const x: number = ;",
        "loop": "while (true) {}",
        "hog": "const chunks: number[][] = [];\nwhile (true) chunks.push(new Array(1e6).fill(1.5));",
        "crash": "const missing: any = null;\nconsole.log(missing.field);",
    },
    "java": {
        "hello": 'public class Main { public static void main(String[] a) { System.out.println("hello"); } }',
        "echo": "public class Main { public static void main(String[] a) throws Exception {\n"
        "System.out.write(System.in.readAllBytes()); System.out.flush(); } }",
        "compile_error": "public class Main { public static void main(String[] a) { int x = } }",
        "loop": "public class Main { public static void main(String[] a) { while (true) {} } }",
        "hog": "public class Main { public static void main(String[] a) {\n"
        f"long[][] d = new long[{HOG_MB}][]; for (int i = 0; i < d.length; i++) d[i] = new long[1 << 17];\n"
        "System.out.println(d.length); } }",
        "crash": "public class Main { public static void main(String[] a) { int[] x = new int[1]; x[5] = 1; } }",
    },
    "cpp": {
        "hello": '#include <iostream>\nint main() { std::cout << "hello" << std::endl; }',
        "echo": "#include <iostream>\nint main() { std::cout << std::cin.rdbuf(); }",
        "compile_error": "int main() { return x; }",
        "loop": "int main() { volatile int x = 0; while (true) x++; }",
        "hog": f"#include <vector>\n#include <cstdio>\nint main() {{ std::vector<char> v({HOG_MB}LL << 20, 1);\n"
        'printf("%zu\\n", v.size()); }',
        "crash": '#include <stdexcept>\nint main() { throw std::runtime_error("boom"); }',
    },
    "c": {
        "hello": '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }',
        "echo": "#include <stdio.h>\nint main(void) { int c; while ((c = getchar()) != EOF) putchar(c); return 0; }",
        "compile_error": "int main(void) { return x; }",
        "loop": "int main(void) { volatile int x = 0; for (;;) x++; }",
        "hog": "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint main(void) {\n"
        f'size_t n = (size_t){HOG_MB} << 20; char *p = malloc(n);\nif (!p) {{ perror("malloc"); return 1; }}\n'
        'memset(p, 1, n); printf("%d\\n", p[n - 1]); return 0; }',
        "crash": "int main(void) { volatile int *p = 0; *p = 1; return 0; }",
    },
    "go": {
        "hello": 'package main\nimport "fmt"\nfunc main() { fmt.Println("hello") }',
        "echo": 'package main\nimport ("io"; "os")\nfunc main() { io.Copy(os.Stdout, os.Stdin) }',
        "compile_error": "package main\nfunc main() { return x }",
        "loop": "package main\nfunc main() { x := 0\nfor { x++ } }",
        "hog": f'package main\nimport "fmt"\nfunc main() {{ b := make([]byte, {HOG_MB} << 20)\n'
        "for i := range b { b[i] = 1 }\nfmt.Println(len(b)) }",
        "crash": 'package main\nfunc main() { panic("boom") }',
    },
    "rust": {
        "hello": 'fn main() { println!("hello"); }',
        "echo": "use std::io::*;\nfn main() { let mut s = String::new(); stdin().read_to_string(&mut s).unwrap();"
        ' print!("{}", s); }',
        "compile_error": "fn main() { let x: i32 = ; }",
        "loop": 'fn main() { let mut x: u64 = 1; loop { x = x.wrapping_mul(3); if x == 0 { println!("{}", x); } } }',
        "hog": f'fn main() {{ let v = vec![1u8; {HOG_MB} << 20]; println!("{{}}", v.len()); }}',
        "crash": 'fn main() { let v: Vec<i32> = Vec::new(); println!("{}", v[3]); }',
    },
}

EXPECTATIONS = {
    "hello": (V.accepted,),
    "echo": (V.accepted,),
    "compile_error": (V.compilation_error,),
    "loop": (V.time_limit_exceeded,),
    "hog": (V.memory_limit_exceeded,),
    "crash": (V.runtime_error,),
}


def language_checks() -> list[Check]:
    checks = []
    for language, programs in PROGRAMS.items():
        for name, code in programs.items():
            checks.append(
                Check(
                    language,
                    name,
                    code,
                    EXPECTATIONS[name],
                    stdin="echo me\nline two\n" if name == "echo" else "",
                    stdout={"hello": "hello", "echo": "echo me\nline two"}.get(name),
                    memory_mb=HOG_LIMIT_MB if name == "hog" else 256,
                )
            )
    return checks


def _blocked(attempt: str) -> str:
    """Python that prints `blocked` when every attempt raises OSError, else what got through."""
    return f"got = []\n{attempt}\nprint('blocked' if not got else 'ESCAPED: ' + repr(got))"


ESCAPES = [
    Check(
        "python",
        "escape: network",
        _blocked(
            "import socket\n"
            "for host in [('1.1.1.1', 53), ('8.8.8.8', 443), ('127.0.0.1', 22)]:\n"
            "    try:\n        socket.create_connection(host, timeout=1).close(); got.append(host)\n"
            "    except OSError:\n        pass"
        ),
        (V.accepted,),
        stdout="blocked",
    ),
    Check(
        "c",
        "escape: fork bomb",
        "#include <unistd.h>\nint main(void) { for (;;) fork(); }",
        (V.time_limit_exceeded, V.runtime_error, V.memory_limit_exceeded),
    ),
    Check(
        "python",
        "escape: write outside the work dir",
        _blocked(
            "for path in ['/etc/x', '/usr/x', '/opt/judge/x', '/x', '/proc/sys/kernel/x', '/dev/x']:\n"
            "    try:\n        open(path, 'w').write('x'); got.append(path)\n    except OSError:\n        pass"
        ),
        (V.accepted,),
        stdout="blocked",
    ),
    Check(
        "python",
        "escape: read /etc/shadow and host files",
        _blocked(
            f"for path in ['/etc/shadow', '/root/.bashrc', '{REPO}/config/settings.py', '{REPO}/.git/HEAD']:\n"
            "    try:\n        open(path).read(1); got.append(path)\n    except OSError:\n        pass"
        ),
        (V.accepted,),
        stdout="blocked",
    ),
    Check(
        "python",
        "escape: read the server's environment, command line and files through /proc",
        _blocked(
            "import os\n"
            "for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
            "    for part in ('environ', 'cmdline'):\n"
            "        try:\n            data = open(f'/proc/{pid}/{part}', 'rb').read()\n"
            "        except OSError:\n            continue\n"
            f"        if b'SYNCODE_' in data or b'{REPO}' in data:\n"
            "            got.append((pid, part))\n"
            "    try:\n"
            "        links = [os.readlink(f'/proc/{pid}/fd/{fd}') for fd in os.listdir(f'/proc/{pid}/fd')]\n"
            "        links.append(os.readlink(f'/proc/{pid}/cwd'))\n"
            "    except OSError:\n        continue\n"
            f"    got += [(pid, link) for link in links if link.startswith('{REPO}')]"
        ),
        (V.accepted,),
        stdout="blocked",
    ),
    Check(
        "python",
        "escape: print 100 MB",
        "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(100):\n    sys.stdout.write(chunk)",
        (V.output_limit_exceeded,),
    ),
    Check("python", "escape: sleep past the wall limit", "import time\ntime.sleep(60)", (V.time_limit_exceeded,)),
    Check(
        "python",
        "escape: kill the parent and init",
        "import os, signal\nfor pid in (1, os.getppid()):\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
        "    except OSError:\n        pass\nprint('survived')",
        (V.accepted, V.runtime_error),
    ),
    Check(
        "python",
        "escape: fill the disk",
        "try:\n    with open('fill', 'wb') as f:\n        for _ in range(4096):\n"
        "            f.write(b'x' * (1 << 20))\n    print('disk unbounded')\nexcept OSError:\n    print('full')",
        (V.accepted, V.runtime_error),
        stdout="full",
    ),
    Check(
        "python",
        "escape: read another run's files",
        _blocked(
            "import glob\nfor path in glob.glob('/work/*') + glob.glob('/tmp/*'):\n"
            "    if path != '/work/main.py' and 'secret' in open(path).read():\n        got.append(path)"
        ),
        (V.accepted,),
        stdout="blocked",
        setup="for path in ('/work/left.txt', '/tmp/left.txt'):\n    open(path, 'w').write('secret')",
    ),
]


async def run_check(judge: Judge, check: Check) -> tuple[Check, RunResult]:
    os.environ.setdefault(CANARY, "a sandbox must not see this")
    if check.setup:
        await judge.run("python", check.setup)
    result = await judge.run(check.language, check.code, check.stdin, TIME_LIMIT_MS, check.memory_mb)
    return check, result


async def run_selftest(judge: Judge, languages: list[str] | None = None) -> list[tuple[Check, RunResult]]:
    checks = [c for c in language_checks() if not languages or c.language in languages]
    # Escapes run one at a time so that "another run's files" really follows another run.
    results = list(await asyncio.gather(*(run_check(judge, check) for check in checks)))
    for check in ESCAPES:
        results.append(await run_check(judge, check))
    return results


def table(results: list[tuple[Check, RunResult]]) -> str:
    rows = [("language", "check", "expected", "got", "ok")]
    for check, result in results:
        expected = "|".join(v.value for v in check.expect)
        got = result.verdict.value + ("" if check.stdout is None else f" {result.stdout.strip()[:30]!r}")
        rows.append((check.language, check.name, expected, got, "ok" if check.passed(result) else "FAIL"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)

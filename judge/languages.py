"""One recipe per language: source file, optional compile step, run command, and how memory is limited.

Commands are resolved inside the sandbox (PATH=/usr/local/bin:/usr/bin:/bin); `{memory_mb}` in a run
command is replaced by the run's memory limit. Helpers of `judge/inside` are mounted at /opt/judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from config import SUPPORTED_LANGUAGES

INSIDE_MOUNT = "/opt/judge"
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
BASE_ENV = {"PATH": SANDBOX_PATH, "HOME": "/tmp", "LANG": "C.UTF-8", "TMPDIR": "/tmp"}

# Compilers get their own, fixed limits: they are trusted programs, but fed hostile input.
COMPILE_CPU_MS = 20_000
COMPILE_WALL_MS = 40_000
COMPILE_MEMORY_MB = 2048


@dataclass(frozen=True)
class Recipe:
    language: str
    source_file: str
    run: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    # Address-space limit = memory limit + this headroom; None for runtimes (JVM, V8, Go) that reserve far
    # more virtual memory than they use: they get their own heap flag, and the peak RSS check decides.
    as_headroom_mb: int | None = 64
    env: dict[str, str] = field(default_factory=dict)
    # Programs that must exist on a host for the process backend to offer this language.
    host_tools: tuple[str, ...] = ()
    # Prints the compiler's version (part of what identifies a toolchain for the build cache).
    version: tuple[str, ...] | None = None

    def run_argv(self, memory_mb: int) -> list[str]:
        return [part.replace("{memory_mb}", str(memory_mb)) for part in self.run]


_JVM_RUN_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:ReservedCodeCacheSize=64m")
_NODE_RUN = ("node", "--max-old-space-size={memory_mb}", "main.js")
_GO_ENV = {"GOCACHE": "/tmp/go-cache", "GOPATH": "/tmp/go", "CGO_ENABLED": "0", "GO111MODULE": "off"}

RECIPES: dict[str, Recipe] = {
    recipe.language: recipe
    for recipe in (
        Recipe("python", "main.py", ("python3", "-B", "main.py"), host_tools=("python3",)),
        Recipe("javascript", "main.js", _NODE_RUN, as_headroom_mb=None, host_tools=("node",)),
        Recipe(
            "typescript",
            "main.ts",
            _NODE_RUN,
            compile=("node", f"{INSIDE_MOUNT}/transpile_ts.js", "main.ts", "main.js"),
            as_headroom_mb=None,
            host_tools=("node",),
            version=("node", "--version"),
        ),
        Recipe(
            "java",
            "Main.java",
            ("java", "-Xmx{memory_mb}m", "-Xss64m", *_JVM_RUN_FLAGS, "Main"),
            compile=(
                "javac",
                "-J-Xmx512m",
                "-J-XX:+UseSerialGC",
                "-J-XX:TieredStopAtLevel=1",
                "-encoding",
                "UTF-8",
                "Main.java",
            ),
            as_headroom_mb=None,
            host_tools=("javac", "java"),
            version=("javac", "-version"),
        ),
        Recipe(
            "cpp",
            "main.cpp",
            ("./main",),
            compile=("g++", "-O2", "-std=gnu++17", "-pipe", "-o", "main", "main.cpp"),
            host_tools=("g++",),
            version=("g++", "--version"),
        ),
        Recipe(
            "c",
            "main.c",
            ("./main",),
            compile=("gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "main.c", "-lm"),
            host_tools=("gcc",),
            version=("gcc", "--version"),
        ),
        Recipe(
            "go",
            "main.go",
            ("./main",),
            compile=("go", "build", "-o", "main", "main.go"),
            as_headroom_mb=None,
            env=_GO_ENV,
            host_tools=("go",),
            version=("go", "version"),
        ),
        Recipe(
            "rust",
            "main.rs",
            ("./main",),
            # Without the standard library's debug info: 0.4 instead of 11.6 MB (rustc 1.63), which the build cache
            # holds 25 times more of; panics still say where (that is not debug info).
            compile=("rustc", "--edition", "2021", "-O", "-C", "strip=debuginfo", "-o", "main", "main.rs"),
            host_tools=("rustc",),
            version=("rustc", "--version"),
        ),
    )
}

assert set(RECIPES) == set(SUPPORTED_LANGUAGES), "every supported language needs a recipe"

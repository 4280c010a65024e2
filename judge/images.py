"""Build the Docker runner image locally from Debian packages (no registry pull).

Two stages, each labelled with a hash of its recipe so a rebuild happens only when the recipe changes:

1. base: `debootstrap` a minimal bookworm root with every toolchain, then `docker import` it (slow, rare);
2. runner: `FROM base`, add the in-sandbox helpers (supervisor, TS transpiler) and the analysis tools
   (ruff binary, lizard and its pure-Python dependencies) copied from this environment (fast).

Usage: `python -m judge.images build [--force]` or `python -m judge.images status`.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docker
import docker.errors

from config import Settings
from judge.tools import tool_paths, versions

INSIDE_DIR = Path(__file__).parent / "inside"
RECIPE_LABEL = "org.syncode.recipe"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
PACKAGES = (
    "python3",
    "nodejs",
    "node-typescript",
    "openjdk-17-jdk-headless",
    "gcc",
    "g++",
    "libc6-dev",
    "golang-go",
    "rustc",
)
# Removed from the root before import: documentation and package caches only.
PRUNE = ("usr/share/doc", "usr/share/man", "usr/share/info", "var/cache/apt/archives", "var/lib/apt/lists")
RUNNER_DOCKERFILE = """\
FROM {base}
COPY opt /opt
ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 PYTHONPATH=/opt/tools/py
USER 65534:65534
WORKDIR /work
LABEL {label}={digest}
"""


def base_digest() -> str:
    recipe = "\n".join(["bookworm", "minbase", *PACKAGES, *PRUNE])
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def runner_digest() -> str:
    """Hash of everything that goes into the runner image."""
    digest = hashlib.sha256(base_digest().encode())
    digest.update(RUNNER_DOCKERFILE.encode())
    for path in sorted(INSIDE_DIR.glob("*.*")):
        digest.update(path.name.encode() + path.read_bytes())
    for version in versions():
        digest.update(version.encode())
    return digest.hexdigest()[:16]


def image_label(client: docker.DockerClient, tag: str) -> str | None:
    try:
        return client.images.get(tag).labels.get(RECIPE_LABEL)
    except docker.errors.ImageNotFound:
        return None


def is_current(client: docker.DockerClient, tag: str) -> bool:
    return image_label(client, tag) == runner_digest()


def build(settings: Settings, force: bool = False, log=print) -> str:
    """Build the runner image named by `settings.judge_image` when missing or stale; returns the tag."""
    client = docker.from_env()
    tag = settings.judge_image
    if not force and is_current(client, tag):
        log(f"{tag} is up to date ({runner_digest()})")
        return tag
    base = f"{tag.rsplit(':', 1)[0]}-base:{base_digest()}"
    if force or image_label(client, base) != base_digest():
        build_base(client, base, log)
    build_runner(client, base, tag, log)
    return tag


def build_base(client: docker.DockerClient, base: str, log) -> None:
    with tempfile.TemporaryDirectory(prefix="syncode-rootfs-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "root"
        log(f"debootstrap bookworm with {', '.join(PACKAGES)} (several minutes)")
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=" + ",".join(PACKAGES),
                "bookworm",
                str(root),
                DEBIAN_MIRROR,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for relative in PRUNE:
            shutil.rmtree(root / relative, ignore_errors=True)
        tarball = Path(tmp) / "root.tar"
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(tarball), "."], check=True)
        log(f"importing {base}")
        repository, tag = base.rsplit(":", 1)
        client.api.import_image_from_file(
            str(tarball), repository=repository, tag=tag, changes=[f"LABEL {RECIPE_LABEL}={base_digest()}"]
        )


def build_runner(client: docker.DockerClient, base: str, tag: str, log) -> None:
    with tempfile.TemporaryDirectory(prefix="syncode-runner-") as tmp:
        context = Path(tmp)
        shutil.copytree(INSIDE_DIR, context / "opt/judge", ignore=shutil.ignore_patterns("__pycache__"))
        copy_analysis_tools(context / "opt/tools")
        dockerfile = RUNNER_DOCKERFILE.format(base=base, label=RECIPE_LABEL, digest=runner_digest())
        (context / "Dockerfile").write_text(dockerfile)
        log(f"building {tag}")
        client.images.build(path=str(context), tag=tag, rm=True, pull=False)


def copy_analysis_tools(target: Path) -> None:
    paths = tool_paths()
    if "bin/ruff" not in paths:
        raise RuntimeError("ruff is not installed in this environment")
    for relative, source in paths.items():
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m judge.images", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "status"])
    parser.add_argument("--force", action="store_true", help="rebuild both stages even when up to date")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "build":
        build(settings, force=args.force)
        return 0
    current = is_current(docker.from_env(), settings.judge_image)
    print(f"{settings.judge_image}: {'up to date' if current else 'missing or stale'} (recipe {runner_digest()})")
    return 0 if current else 1


if __name__ == "__main__":
    sys.exit(main())

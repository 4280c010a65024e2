#!/usr/bin/env bash
# Judge prerequisites on a fresh Debian bookworm machine, run as root after the Python requirements are
# installed into .venv (scripts/test does that first). Idempotent; safe to re-run.
#   1. host toolchains for the process backend (Debian packages, /usr/bin), bubblewrap, docker.io, debootstrap;
#   2. a running Docker engine (dockerd started in the background when none answers);
#   3. the runner image, built only when missing or when its recipe hash label is out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"

packages=(
  bubblewrap docker.io debootstrap tar
  python3 nodejs node-typescript openjdk-17-jdk-headless gcc g++ libc6-dev golang-go rustc
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "judge-setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bubblewrap runs unprivileged (the sandbox is dropped to nobody): it needs unprivileged user namespaces.
if [[ -f /proc/sys/kernel/unprivileged_userns_clone ]]; then
  sysctl -qw kernel.unprivileged_userns_clone=1
fi

if ! docker info >/dev/null 2>&1; then
  echo "judge-setup: starting dockerd"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "judge-setup: dockerd did not start" >&2; tail -20 /var/log/dockerd.log >&2; exit 1; }
fi

"$PYTHON" -m judge.images build

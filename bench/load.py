"""Load from a second process: Debian's ``wrk`` with ``wrk_report.lua``, which prints one
JSON line (requests/s and the p50/p95/p99 latencies from wrk's own latency histogram).

``make bench`` installs wrk (``scripts/install-system-packages.sh``); without it the bench
stops with that message rather than measure something else.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: dict[str, int]

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: run `make bench` (it installs Debian's wrk)")
    return path


def run_wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    threads: int,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Load:
    """``connections`` concurrent connections for ``seconds``; a request slower than
    ``timeout`` counts as an error, not as a latency."""
    command = [
        wrk_path(),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout))}s",
        "-s",
        str(SCRIPT),
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + timeout + 60
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    line = next((line for line in reversed(done.stdout.splitlines()) if line.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no report:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line)
    return Load(
        requests=data["requests"],
        seconds=data["seconds"],
        requests_per_second=data["requests_per_second"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["errors"],
    )

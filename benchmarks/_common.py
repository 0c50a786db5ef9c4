"""Pieces the benchmark scripts share: ports, servers, JSON over HTTP, percentiles.

Imported as ``benchmarks._common``: each script puts the repository root on ``sys.path``.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
from typing import IO, Any

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 60,
                  log: IO[bytes] | None = None) -> None:
    """Return once ``url`` answers 200; exit with a message (and ``log``'s tail) if ``proc`` dies or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            tail = ""
            if log is not None:
                log.seek(0)
                tail = ": " + log.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"the server for {url} exited with {proc.returncode}{tail}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop(proc)
            raise SystemExit(f"{url} did not answer within {seconds:.0f} s")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Ask ``proc`` to stop with ``sig``; kill it after 15 s."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get_json(url: str, timeout: float = 30) -> Any:
    """The JSON body of a GET that must answer 200."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.status == 200, url
        return json.load(response)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values``: the value at the nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

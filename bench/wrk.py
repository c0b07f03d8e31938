"""wrk, the native HTTP load generator the benchmarks drive load with: install, run, read.

A Python load generator on this 2-core machine takes a core's worth of CPU from the servers it
measures (and more from the faster one), so the benchmarks POST with Debian's `wrk` (one C
thread) and read its result from a Lua `done()` that prints one JSON line: requests, duration,
socket errors, bad answers (not 200, or GraphQL errors), answers that differ from the expected
bytes, and the p50, p99, p99.9 and max latency of wrk's own histogram.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.common import HOST, STEP_TIMEOUT_S

#: wrk's own per-request timeout (its default, 2 s, would hide slow answers as errors).
WRK_TIMEOUT_S = 30

WRK_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = @BODY@
local expected = @EXPECTED@

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  changed = 0
  first_bad = ""
end

function response(status, headers, body)
  if expected ~= nil and body == expected then return end
  if status ~= 200 or string.find(body, '"errors":[', 1, true) then
    -- control characters out: %q would write them in escapes JSON does not have
    if bad == 0 then first_bad = status .. " " .. (string.sub(body, 1, 200):gsub("%c", " ")) end
    bad = bad + 1
  elseif expected ~= nil then
    changed = changed + 1
  end
end

function done(summary, latency, requests)
  local bad_total, changed_total = 0, 0
  local first = ""
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    changed_total = changed_total + thread:get("changed")
    if first == "" then first = thread:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests":%d,"duration_us":%d,"bad":%d,"changed":%d,"connect":%d,' ..
    '"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,' ..
    '"max_us":%d,"first_bad":%q}\n',
    summary.requests, summary.duration, bad_total, changed_total, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max, first))
end
"""


def lua_string(text: str) -> str:
    """``text`` as a Lua long-bracket literal whose closing bracket does not occur in it."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    equals = "=" * level
    # A newline right after the opening bracket is dropped by Lua; a body never starts with one,
    # but put one there anyway so the text comes back exactly.
    return f"[{equals}[\n{text}]{equals}]"


def lua_script(body: bytes, expected: bytes | None = None) -> str:
    """The script that POSTs ``body``; with ``expected``, answers that differ are counted."""
    script = WRK_LUA.replace("@BODY@", lua_string(body.decode()))
    return script.replace(
        "@EXPECTED@", "nil" if expected is None else lua_string(expected.decode())
    )


def ensure_wrk() -> str:
    """The path of `wrk`; installs the Debian package with apt-get when it is missing."""
    found = shutil.which("wrk")
    if found is None and shutil.which("apt-get") is not None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr, flush=True)
        install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
        if os.geteuid() != 0 and shutil.which("sudo") is not None:
            install = ["sudo", *install]
        subprocess.run(install, check=False, timeout=STEP_TIMEOUT_S, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed and apt-get could not install it (apt: wrk)")
    return found


def start_wrk(
    wrk: str,
    port: int,
    body: bytes,
    seconds: int,
    script: Path,
    connections: int,
    expected: bytes | None = None,
    threads: int = 1,
) -> subprocess.Popen[str]:
    """wrk POSTing ``body`` to /graphql for ``seconds`` (its Lua script written to ``script``)."""
    script.write_text(lua_script(body, expected), encoding="utf-8")
    return subprocess.Popen(
        [
            *(wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s"),
            *(f"--timeout={WRK_TIMEOUT_S}s", "-s", str(script), f"http://{HOST}:{port}/graphql"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    #: Answers that were not 200 or carried GraphQL errors, plus wrk's socket errors.
    bad: int
    first_bad: str
    #: Good answers whose bytes differ from the expected ones (0 when none were given).
    changed: int = 0


def finish_wrk(process: subprocess.Popen[str], timeout: float) -> WrkResult:
    """Wait for wrk (killing it after ``timeout`` seconds) and read its result line."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate(timeout=10)
        raise RuntimeError(f"wrk did not stop in time:\n{output[-2000:]}") from None
    line = next((x for x in output.splitlines() if x.startswith("WRK-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result ({process.returncode}):\n{output[-2000:]}")
    raw = json.loads(line.removeprefix("WRK-RESULT "))
    seconds = raw["duration_us"] / 1e6
    socket_errors = sum(raw[k] for k in ("connect", "read", "write", "timeout"))
    return WrkResult(
        requests=raw["requests"],
        seconds=seconds,
        rate=raw["requests"] / seconds if seconds else float("nan"),
        p50_ms=raw["p50_us"] / 1e3,
        p99_ms=raw["p99_us"] / 1e3,
        p999_ms=raw["p999_us"] / 1e3,
        max_ms=raw["max_us"] / 1e3,
        bad=raw["bad"] + socket_errors,
        first_bad=raw["first_bad"],
        changed=raw["changed"],
    )


def run_wrk(
    wrk: str,
    port: int,
    body: bytes,
    seconds: int,
    script: Path,
    connections: int,
    expected: bytes | None = None,
) -> WrkResult:
    """One wrk run to completion."""
    process = start_wrk(wrk, port, body, seconds, script, connections, expected)
    return finish_wrk(process, seconds + WRK_TIMEOUT_S + 15)

"""The response cache's hit rate under a mixed read load while one article a second is edited.

Before cache tags every write emptied the response cache in effect (entries were valid for one
content version); with them a write purges only the entries carrying one of its change-log
keys. This measures both: a `cms serve` process (one worker) of a checkout on a generated
SQLite database, `wrk` sending a mix of reads (list pages, article pages, tag pages, searches;
each request picked at random from a fixed working set), and a writer sending ``updateArticle``
(a new title) through the API once a second to a random article of the working set. The hit
rate is read from ``/metrics`` (``cms_cache_hits_total`` / ``cms_cache_misses_total`` of the
``responses`` cache) before and after the load.

    .venv/bin/python bench/cache_tags.py                           # this checkout
    git worktree add /tmp/base 72a9bdc                             # before cache tags
    .venv/bin/python bench/cache_tags.py --checkout /tmp/base
    .venv/bin/python bench/cache_tags.py --checkout /tmp/base --checkout .   # both, in turn

Each checkout serves its own database, built by its own `cms` (same generator seed), so the
data is the same. ``wrk`` is installed with apt-get when missing (as ``bench/hostile.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as `python bench/cache_tags.py`: make `bench` importable
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.common import free_port
from bench.wrk import ensure_wrk

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

WRK_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {
%(bodies)s
}
local kinds = {%(kinds)s}

function init(args)
  math.randomseed(%(seed)d + tonumber(tostring({}):sub(8), 16) %% 1000)
  bad = 0
end

function request()
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors":[', 1, true) then bad = bad + 1 end
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRK-RESULT {"requests":%%d,"duration_us":%%d,"status_errors":%%d,' ..
    '"p50_us":%%d,"p99_us":%%d}\n',
    summary.requests, summary.duration, summary.errors.status,
    latency:percentile(50), latency:percentile(99)))
end
"""

#: Share of each kind of read in the mix.
MIX = {"list": 0.3, "article": 0.4, "tag": 0.2, "search": 0.1}


@dataclass(frozen=True)
class Result:
    checkout: str
    hits: int
    misses: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    edits: int
    errors: int

    @property
    def hit_rate(self) -> float:
        return self.hits / max(self.hits + self.misses, 1)


def _cli(checkout: Path, args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cms", *args],
        env={**env, "PYTHONPATH": str(checkout)},
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cms {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def build(checkout: Path, work: Path, articles: int) -> tuple[dict[str, str], str]:
    """A generated database served by ``checkout``, and a write token for it."""
    url = f"sqlite://{work / 'bench.sqlite3'}"
    env = {**os.environ, "CMS_DATABASE_URL": url}
    fixture = work / "generated.json"
    _cli(checkout, ["fixtures", "generate", "--articles", str(articles), "--seed", "1", "-o",
                    str(fixture)], env)  # fmt: skip
    _cli(checkout, ["migrate"], env)
    _cli(checkout, ["fixtures", "load", str(fixture)], env)
    token = _cli(checkout, ["tokens", "create", "--name", "bench", "--scope", "write"], env)
    return env, token.strip().splitlines()[-1]


def working_set(url: str, rng: random.Random) -> tuple[list[bytes], list[str], list[int]]:
    """The request bodies of the read mix, and the global ids and pks of the articles it shows
    (the writer edits those)."""
    path = url.removeprefix("sqlite://")
    with sqlite3.connect(path) as conn:
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        articles = [
            (row[0], row[1], row[2])
            for row in conn.execute(
                "SELECT id, slug, title FROM article WHERE status = 'PUBLISHED'"
                " AND published_at <= ? ORDER BY published_at DESC LIMIT 1000",
                [now],
            )
        ]
        tags = [
            row[0]
            for row in conn.execute(
                "SELECT t.slug FROM tag t JOIN article_tag at ON at.tag_id = t.id"
                " GROUP BY t.slug ORDER BY COUNT(*) DESC LIMIT 100"
            )
        ]
    operations = REPO / "schema" / "operations"

    def body(name: str, variables: dict[str, Any]) -> bytes:
        text = (operations / f"{name}.graphql").read_text(encoding="utf-8")
        return json.dumps({"query": text, "variables": variables}).encode()

    words = sorted({w for _, _, title in articles[:50] for w in re.findall(r"[A-Za-z]{5,}", title)})
    kinds = {
        "list": [body("ListPage", {"first": 20, "offset": 20 * n}) for n in range(10)],
        "article": [body("ArticlePage", {"slug": slug}) for _, slug, _ in articles],
        "tag": [body("TagPage", {"slug": slug}) for slug in tags],
        "search": [body("Search", {"query": w}) for w in rng.sample(words, min(20, len(words)))],
    }
    mix: list[bytes] = []
    for kind, share in MIX.items():
        choices = kinds[kind]
        mix += [choices[n % len(choices)] for n in range(int(share * 1000))]
    ids = [_global_id(pk) for pk, _, _ in articles]
    return mix, ids, [pk for pk, _, _ in articles]


def _global_id(pk: int) -> str:
    import base64

    return base64.b64encode(f"Article:{pk}".encode()).decode()


def lua(mix: list[bytes], seed: int) -> str:
    bodies = ",\n".join(f"[==[{b.decode()}]==]" for b in mix)
    return WRK_LUA % {"bodies": bodies, "kinds": "", "seed": seed}


def cache_counts(client: httpx.Client) -> tuple[int, int]:
    text = client.get("/metrics").text
    found = {}
    for kind in ("hits", "misses"):
        match = re.search(
            rf'^cms_cache_{kind}_total\{{cache="responses"\}} ([0-9.e+]+)', text, re.M
        )
        if match is None:
            raise RuntimeError(f"no cms_cache_{kind}_total for responses in /metrics")
        found[kind] = int(float(match.group(1)))
    return found["hits"], found["misses"]


def edit_loop(base: str, token: str, ids: list[str], stop: threading.Event, rng: random.Random,
              counter: list[int]) -> None:  # fmt: skip
    """updateArticle once a second (a new title), until ``stop``."""
    mutation = (
        "mutation($id: ID!, $title: String!) { updateArticle(input: {id: $id, title: $title})"
        " { errors { code } } }"
    )
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as client:
        next_at = time.monotonic()
        while not stop.is_set():
            title = f"Edited {counter[0]} {rng.random():.6f}"
            answer = client.post(
                "/graphql",
                json={"query": mutation, "variables": {"id": rng.choice(ids), "title": title}},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            if answer.get("errors") or answer["data"]["updateArticle"]["errors"]:
                raise RuntimeError(f"updateArticle failed: {answer}")
            counter[0] += 1
            next_at += 1.0
            stop.wait(max(0.0, next_at - time.monotonic()))


def run(checkout: Path, articles: int, seconds: int, connections: int, seed: int) -> Result:
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="cms-cache-tags-") as scratch:
        work = Path(scratch)
        env, token = build(checkout, work, articles)
        rng = random.Random(seed)
        mix, ids, _ = working_set(env["CMS_DATABASE_URL"], rng)
        script = work / "mix.lua"
        script.write_text(lua(mix, seed), encoding="utf-8")
        port = free_port()
        log = (work / "server.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "cms", "serve", "--host", HOST, "--port", str(port),
             "--workers", "1"],
            env={**env, "PYTHONPATH": str(checkout), "CMS_METRICS": "true",
                 },
            cwd=checkout, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://{HOST}:{port}"
        try:
            with httpx.Client(base_url=base, trust_env=False, timeout=30) as client:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("cms serve did not start")
                    time.sleep(0.1)
                for each in dict.fromkeys(mix):  # warm: every page once, as a running site
                    client.post("/graphql", content=each,
                                headers={"content-type": "application/json"})  # fmt: skip
                hits0, misses0 = cache_counts(client)
                stop, edits = threading.Event(), [0]
                writer = threading.Thread(
                    target=edit_loop, args=(base, token, ids, stop, random.Random(seed), edits)
                )
                writer.start()
                try:
                    done = subprocess.run(
                        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout=10s",
                         "-s", str(script), f"{base}/graphql"],
                        capture_output=True, text=True, timeout=seconds + 60, check=False,
                    )  # fmt: skip
                finally:
                    stop.set()
                    writer.join()
                hits1, misses1 = cache_counts(client)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-RESULT ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
        stats = json.loads(line.removeprefix("WRK-RESULT "))
        return Result(
            checkout=str(checkout),
            hits=hits1 - hits0,
            misses=misses1 - misses0,
            requests=stats["requests"],
            seconds=stats["duration_us"] / 1e6,
            p50_ms=stats["p50_us"] / 1000,
            p99_ms=stats["p99_us"] / 1000,
            edits=edits[0],
            errors=stats["status_errors"],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkout", action="append", type=Path, help="a checkout to serve (repeatable)"
    )
    parser.add_argument("--articles", type=int, default=2000, help="articles generated")
    parser.add_argument("--seconds", type=int, default=30, help="seconds of load")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    results = [
        run(checkout.resolve(), args.articles, args.seconds, args.connections, args.seed)
        for checkout in args.checkout or [REPO]
    ]
    print(
        f"{'checkout':<28} {'hit rate':>8} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'edits':>5} {'errors':>6}"
    )
    for r in results:
        print(
            f"{r.checkout[-28:]:<28} {r.hit_rate:>8.1%} {r.requests / r.seconds:>8.0f}"
            f" {r.p50_ms:>7.2f} {r.p99_ms:>7.2f} {r.edits:>5} {r.errors:>6}"
        )


if __name__ == "__main__":
    main()

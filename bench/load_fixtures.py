"""Benchmark: generate and load N synthetic articles into a fresh SQLite database.

Runs the real CLI (`cms fixtures generate`, `cms migrate`, `cms fixtures load`, a second load
that changes nothing, `cms fixtures dump`) as subprocesses, and, as a floor in the same run, a
hand-written loader that inserts the same rows with the standard library's sqlite3 and
`executemany` in one transaction. Prints seconds per step and the ratio to the floor.

    python bench/load_fixtures.py --articles 10000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cms.content.markdown import count_words, render_text

CMS = [sys.executable, "-m", "cms"]


def run(args: list[str], env_db: str) -> float:
    import os

    start = time.perf_counter()
    subprocess.run(
        [*CMS, *args],
        check=True,
        env={**os.environ, "CMS_DATABASE_URL": env_db},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def floor_load(document: dict[str, Any], template: Path, target: Path) -> float:
    """Insert the same rows with plain sqlite3: the fastest this could reasonably be."""
    shutil.copyfile(template, target)
    start = time.perf_counter()
    conn = sqlite3.connect(target)
    with conn:
        conn.executemany(
            "INSERT INTO tag (slug, name, kind, description) VALUES (?, ?, ?, ?)",
            [(t["slug"], t["name"], t["kind"], t.get("description")) for t in document["tags"]],
        )
        conn.executemany(
            "INSERT INTO contributor (slug, name) VALUES (?, ?)",
            [(c["slug"], c["name"]) for c in document["contributors"]],
        )
        tag_ids = dict(conn.execute("SELECT slug, id FROM tag"))
        people = dict(conn.execute("SELECT name, id FROM contributor"))
        for article in document["articles"]:
            # The same derived columns the real loader stores (plain text for search, words).
            text = render_text(article["body"])
            cursor = conn.execute(
                "INSERT INTO article (slug, title, summary, body, body_text, word_count, status,"
                " published_at, created_at, updated_at, version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article["slug"],
                    article["title"],
                    article.get("summary"),
                    article["body"],
                    text,
                    count_words(text),
                    article["status"],
                    article.get("publishedAt"),
                    article["createdAt"],
                    article["updatedAt"],
                    article["version"],
                ),
            )
            article_id = cursor.lastrowid
            conn.executemany(
                "INSERT INTO article_tag (article_id, tag_id, position) VALUES (?, ?, ?)",
                [(article_id, tag_ids[slug], i) for i, slug in enumerate(article["tags"])],
            )
            for position, credit in enumerate(article["imageCredits"]):
                credit_id = conn.execute(
                    "INSERT INTO image_credit (article_id, position, text, organization, role,"
                    " image_url, caption, alt_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        article_id,
                        position,
                        credit["text"],
                        credit["organization"],
                        credit["role"],
                        credit["imageUrl"],
                        credit["caption"],
                        credit["altText"],
                    ),
                ).lastrowid
                conn.executemany(
                    "INSERT INTO credit_contributor (credit_id, contributor_id, position)"
                    " VALUES (?, ?, ?)",
                    [(credit_id, people[n], i) for i, n in enumerate(credit["contributors"])],
                )
    conn.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fixture = work / "generated.json"
        template = work / "template.sqlite3"
        db = work / "cms.sqlite3"
        url = f"sqlite://{db}"

        timings: dict[str, float] = {}
        timings["generate"] = run(
            [
                "fixtures",
                "generate",
                "--articles",
                str(options.articles),
                "--seed",
                str(options.seed),
                "--output",
                str(fixture),
            ],
            url,
        )
        run(["migrate"], f"sqlite://{template}")
        shutil.copyfile(template, db)
        timings["load (new)"] = run(["fixtures", "load", str(fixture)], url)
        timings["load (unchanged)"] = run(["fixtures", "load", str(fixture)], url)
        timings["dump"] = run(["fixtures", "dump", "--output", str(work / "dump.json")], url)
        document = json.loads(fixture.read_text(encoding="utf-8"))
        timings["floor: sqlite3 executemany"] = floor_load(document, template, work / "floor.db")

        with sqlite3.connect(db) as conn:
            rows = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("article", "article_tag", "image_credit", "credit_contributor")
            }
        dumped = json.loads((work / "dump.json").read_text(encoding="utf-8"))
        floor = timings["floor: sqlite3 executemany"]
        total = timings["generate"] + timings["load (new)"]
        print(f"articles: {options.articles}, seed {options.seed}, rows {rows}")
        for name, seconds in timings.items():
            print(f"  {name:<28} {seconds:7.2f} s")
        print(f"  {'generate + load':<28} {total:7.2f} s   (goal: under 60 s)")
        print(
            f"  load / floor ratio: {timings['load (new)'] / floor:.1f}x "
            "(the CLI includes interpreter start-up and reading the JSON)"
        )
        print(f"  dump round trip holds {len(dumped['articles'])} articles")


if __name__ == "__main__":
    main()

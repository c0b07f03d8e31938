"""Re-fetch the vendored GraphiQL assets from the npm registry and check their integrity.

    python -m cms.graphiql.vendor            # fetch the pinned versions, verify, rewrite assets/
    python -m cms.graphiql.vendor --check    # only verify the committed files against manifest.json

Each package is fetched with ``npm pack`` and its tarball checked against the registry's
``dist.integrity`` (SHA-512) before anything is copied. ``assets/manifest.json`` records every
package's version and integrity and the SHA-256 of each copied file; a test checks the
committed files against it. To update, change a version in :data:`PACKAGES`, run this module,
open GraphiQL in a browser, and run the tests (the browser test included).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
MANIFEST = ASSETS / "manifest.json"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    #: Path inside the tarball -> file name under assets/.
    files: dict[str, str]
    #: Where the licence text is in the tarball (None: the licence is named in package.json).
    license_file: str | None = "package/LICENSE"


PACKAGES = (
    Package("react", "18.3.1", {"package/umd/react.production.min.js": "react.production.min.js"}),
    Package(
        "react-dom",
        "18.3.1",
        {"package/umd/react-dom.production.min.js": "react-dom.production.min.js"},
    ),
    Package(
        "graphiql",
        "3.8.3",
        {
            "package/graphiql.min.js": "graphiql.min.js",
            "package/graphiql.min.css": "graphiql.min.css",
        },
    ),
    Package(
        "@graphiql/plugin-explorer",
        "3.2.3",
        {
            "package/dist/index.umd.js": "plugin-explorer.umd.js",
            "package/dist/style.css": "plugin-explorer.css",
        },
        license_file=None,
    ),
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _npm(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["npm", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def fetch(package: Package, work: Path) -> dict[str, object]:
    spec = f"{package.name}@{package.version}"
    integrity = _npm("view", spec, "dist.integrity", cwd=work).strip()
    (packed,) = json.loads(_npm("pack", spec, "--json", cwd=work))
    tarball = (work / packed["filename"]).read_bytes()
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if algorithm != "sha512" or actual != expected:
        raise SystemExit(f"{spec}: tarball does not match the registry's integrity {integrity}")
    files: dict[str, str] = {}
    with tarfile.open(work / packed["filename"]) as archive:
        wanted = dict(package.files)
        safe = package.name.replace("/", "__").lstrip("@")
        if package.license_file:
            wanted[package.license_file] = f"licenses/{safe}.LICENSE.txt"
        wanted["package/package.json"] = f"licenses/{safe}.package.json"
        for member, name in wanted.items():
            extracted = archive.extractfile(member)
            if extracted is None:
                raise SystemExit(f"{spec}: {member} is missing from the tarball")
            data = extracted.read()
            (ASSETS / name).write_bytes(data)
            files[name] = sha256(data)
    return {"version": package.version, "integrity": integrity, "files": files}


def check() -> list[str]:
    """Problems with the committed assets (empty when every file matches the manifest)."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    problems = []
    for name, entry in manifest.items():
        for file_name, digest in entry["files"].items():
            path = ASSETS / file_name
            if not path.is_file():
                problems.append(f"{name}: {file_name} is missing")
            elif sha256(path.read_bytes()) != digest:
                problems.append(f"{name}: {file_name} differs from the vendored file")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description="Vendor GraphiQL's assets from npm.")
    parser.add_argument("--check", action="store_true", help="only verify the committed files")
    options = parser.parse_args()
    if options.check:
        problems = check()
        print("\n".join(problems) or "assets match manifest.json")
        sys.exit(1 if problems else 0)
    (ASSETS / "licenses").mkdir(parents=True, exist_ok=True)
    manifest: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            manifest[package.name] = fetch(package, Path(tmp))
            print(f"vendored {package.name}@{package.version}")
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

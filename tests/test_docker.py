"""docker/: there is no Docker engine here, so these tests parse the Dockerfile, compose.yaml,
nginx.conf and docker/README.md and check everything that can be checked without one: that they
agree with each other and with the code (settings, CLI commands, routes, the wheel's contents),
and the health check command itself against a real `cms serve`."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]
from typer.testing import CliRunner

from cms.app import ContentService, create_app
from cms.cli import app as cli_app
from tests.conftest import REPO, build_wheel, free_port

DOCKER = REPO / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
DOCKERIGNORE = DOCKER / "Dockerfile.dockerignore"
COMPOSE = DOCKER / "compose.yaml"
NGINX = DOCKER / "nginx.conf"
README = DOCKER / "README.md"

#: `cms serve` reads these as defaults for its options (cms/cli/__init__.py), not through
#: cms/settings.py.
SERVE_VARIABLES = {"CMS_HOST", "CMS_PORT", "CMS_WORKERS"}
#: The only secret compose.yaml may carry: the local-trial database password, documented.
DOCUMENTED_SECRET_DEFAULTS = {"POSTGRES_PASSWORD": "cms"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(?:^|_)KEY(?:$|_)|CREDENTIAL", re.IGNORECASE)
#: ``${NAME}``, ``${NAME:-default}`` or ``${NAME-default}``.
#: (``$${NAME}`` is a literal ``${NAME}`` for the container's shell, not an interpolation.)
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


# --- Dockerfile ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def _instructions() -> list[Instruction]:
    """Logical instructions: comments dropped, backslash continuations joined."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def _stages() -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for instruction in _instructions():
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, f"{instruction.keyword} before the first FROM"
        stages[-1].append(instruction)
    return stages


def _only(stage: list[Instruction], keyword: str) -> Instruction:
    (found,) = [i for i in stage if i.keyword == keyword]
    return found


def _exec_form(arguments: str) -> list[str]:
    """A JSON array (exec form); anything else would silently become a shell command."""
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def _env(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for word in shlex.split(instruction.arguments):
                key, sep, value = word.partition("=")
                assert sep, f"ENV {instruction.arguments}: use the KEY=value form"
                env[key] = value
    return env


def _healthcheck_argv() -> list[str]:
    arguments = _only(_stages()[-1], "HEALTHCHECK").arguments
    _options, sep, command = arguments.partition("CMD ")
    assert sep, arguments
    return _exec_form(command)


def test_dockerfile_is_multi_stage_on_a_pinned_python_slim() -> None:
    stages = _stages()
    assert len(stages) >= 2
    for stage in stages:
        image = stage[0].arguments.split()[0]
        # A full version pin (3.11.x), slim: the runtime has no compiler and no curl.
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-[a-z]+)?", image), image
    build, runtime = stages[0], stages[-1]
    build_name = build[0].arguments.split()[-1]
    assert " AS " in build[0].arguments.upper()
    assert any(c[0] == "wheel" for c in _pip_commands(build))
    (install,) = [i for i in runtime if i.keyword == "RUN" and "pip install" in i.arguments]
    assert f"from={build_name}" in install.arguments  # the wheels come from the build stage
    assert "python -m venv" in install.arguments


def _pip_commands(stage: list[Instruction]) -> list[list[str]]:
    """The pip commands a stage runs (``python -m pip ...`` or ``.../bin/pip ...``), each from
    its subcommand on."""
    commands: list[list[str]] = []
    for instruction in stage:
        if instruction.keyword != "RUN":
            continue
        segment: list[str] = []
        for word in [*shlex.split(instruction.arguments), "&&"]:
            if word not in {"&&", "||", ";"}:
                segment.append(word)
                continue
            for at, name in enumerate(segment):
                if name.endswith("/pip") or (name == "pip" and segment[at - 1 : at] == ["-m"]):
                    commands.append(segment[at + 1 :])
                    break
            segment = []
    return commands


def _fetching(stage: list[Instruction]) -> list[list[str]]:
    """The stage's pip commands that get packages."""
    return [c for c in _pip_commands(stage) if c[0] in {"install", "wheel", "download"}]


def _option(command: list[str], name: str) -> str:
    (value,) = [command[at + 1] for at, word in enumerate(command) if word == name]
    return value


def test_the_image_installs_the_locked_versions_checked_against_their_hashes() -> None:
    """Every dependency in the image is the version requirements/runtime.lock pins, its file
    checked against the lock's hash (twice: when downloaded, and when installed with no index),
    and built by the backend requirements/build.lock pins; only cms itself is installed without
    a lock, with --no-deps, so nothing is resolved that the lock does not name."""
    build, runtime = _stages()[0], _stages()[-1]
    build_name = build[0].arguments.split()[-1]
    copied = [word for i in build if i.keyword == "COPY" for word in i.arguments.split()[:-1]]
    assert {"requirements/build.lock", "requirements/runtime.lock"} <= set(copied)
    for stage in (build, runtime):
        for command in _fetching(stage):
            if "--require-hashes" in command:
                lock = Path(_option(command, "-r"))
                assert lock.parent.name == "requirements", command
                assert (REPO / "requirements" / lock.name).is_file(), command
            else:
                assert "--no-deps" in command, f"pip {' '.join(command)} resolves unlocked"
    commands = _fetching(build)
    backend = next(c for c in commands if c[0] == "install")
    assert _option(backend, "-r") == "requirements/build.lock"
    wheel = next(c for c in commands if c[0] == "wheel")
    assert commands.index(backend) < commands.index(wheel)
    assert {"--no-deps", "--no-build-isolation"} <= set(wheel)  # cms, with the locked backend
    download = next(c for c in commands if c[0] == "download")
    assert "--only-binary=:all:" in download  # nothing compiled: the files the lock hashed
    assert _option(download, "-r") == "requirements/runtime.lock"
    assert _option(download, "--dest") == _option(wheel, "--wheel-dir")
    dependencies, cms = _fetching(runtime)
    assert _pip_commands(runtime)[-1] == ["check"]  # and what is installed fits together
    assert "--no-index" in dependencies and "--no-index" in cms
    assert Path(_option(dependencies, "-r")).name == "runtime.lock"
    assert cms[-1].startswith(_option(wheel, "--wheel-dir") + "/cms-")
    (install,) = [i for i in runtime if i.keyword == "RUN" and "pip install" in i.arguments]
    workdir = _only(build, "WORKDIR").arguments
    lock_mount = f"from={build_name},source={workdir}/requirements,target="
    assert lock_mount + str(Path(_option(dependencies, "-r")).parent) in install.arguments


def test_runtime_stage_runs_as_a_fixed_non_root_user() -> None:
    runtime = _stages()[-1]
    user = _only(runtime, "USER").arguments
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, f"USER {user}: a fixed, numeric, non-root uid"
    assert any(i.keyword == "RUN" and f"--uid {uid}" in i.arguments for i in runtime)
    # USER comes after everything that needs root, and before what the container runs.
    keywords = [i.keyword for i in runtime]
    assert "RUN" not in keywords[keywords.index("USER") :]
    assert keywords.index("USER") < keywords.index("CMD")


def test_runtime_serves_on_the_exposed_port() -> None:
    runtime = _stages()[-1]
    env = _env(runtime)
    assert env["CMS_HOST"] == "0.0.0.0"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert _only(runtime, "EXPOSE").arguments == env["CMS_PORT"] == "8000"
    assert _exec_form(_only(runtime, "CMD").arguments) == ["cms", "serve"]


def _route_paths() -> set[str]:
    routes = [*ContentService().routes, *create_app().routes]
    return {path for route in routes if isinstance(path := getattr(route, "path", None), str)}


def test_healthcheck_asks_healthz_which_the_app_serves() -> None:
    argv = _healthcheck_argv()
    assert argv[:2] == ["python", "-c"]  # slim has no curl; the venv's python is on PATH
    (url,) = re.findall(r"http://127\.0\.0\.1:[^/]*(/\w+)", argv[2])
    assert url == "/healthz"
    # The port defaults to the one the image serves on.
    assert "os.environ.get('CMS_PORT', '8000')" in argv[2]
    assert "/healthz" in _route_paths(), "the app does not serve GET /healthz"


def _healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    argv = _healthcheck_argv()
    return subprocess.run(
        [sys.executable, *argv[1:]],
        env={**os.environ, "CMS_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=10,
    )


def test_healthcheck_command_passes_on_cms_serve_and_fails_without_it(tmp_path: Path) -> None:
    port = free_port()
    assert _healthcheck(port).returncode != 0  # nothing listens yet
    env = {
        **os.environ,
        # cms serve refuses a database it cannot serve: a migrated SQLite file of its own.
        "CMS_DATABASE_URL": f"sqlite://{tmp_path / 'health.sqlite3'}",
        "CMS_HOST": "127.0.0.1",
        "CMS_PORT": str(port),
    }
    subprocess.run(
        [sys.executable, "-m", "cms", "migrate"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "cms", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while (result := _healthcheck(port)).returncode != 0:
            answered = "HTTP Error" in result.stderr  # the server is up; the answer is wrong
            if answered or server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                output = server.communicate()[0].decode()
                pytest.fail(f"health check never passed: {result.stderr}\n{output}")
            time.sleep(0.2)
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_dockerignore_keeps_out_venvs_git_databases_and_caches() -> None:
    patterns = _dockerignore_patterns()
    for required in (".git", "**/.venv", "**/*.sqlite3", "**/__pycache__", ".mypy_cache"):
        assert required in patterns


def test_wheel_builds_from_exactly_what_the_dockerfile_copies(tmp_path: Path) -> None:
    build = _stages()[0]
    context = tmp_path / "context"
    copied: list[str] = []
    for instruction in build:
        if instruction.keyword == "COPY":
            words = instruction.arguments.split()
            assert not any(w.startswith("--from") for w in words)
            copied += words[:-1]
    patterns = [p.removeprefix("**/") for p in _dockerignore_patterns()]
    for name in copied:
        assert not any(fnmatch.fnmatch(name, p) for p in patterns), f"{name} is ignored"
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (context / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, context / name)
    wheel = build_wheel(context, tmp_path / "wheels")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "cms/migrations/0001_initial.py",
        "cms/_bundled/fixtures/seed.json",
        "cms/_bundled/schema/schema.graphql",
        "cms/graphiql/assets/manifest.json",
    ):
        assert required in names


# --- compose.yaml ----------------------------------------------------------------------------


@cache
def _compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _environment(service: str) -> dict[str, str]:
    environment = _services()[service].get("environment", {})
    assert isinstance(environment, dict), f"{service}: environment as a mapping"
    return {str(k): str(v) for k, v in environment.items()}


def _cms_services() -> list[str]:
    """Services that run the cms image."""
    return [name for name, s in _services().items() if s.get("image") == "cms:local"]


def test_cms_services_build_the_image_from_the_repository_root() -> None:
    assert set(_cms_services()) >= {"migrate", "app"}
    for name in _cms_services():
        build = _services()[name]["build"]
        context = (DOCKER / build["context"]).resolve()
        assert context == REPO
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE


def test_depends_on_chain_db_migrate_app_lb() -> None:
    services = _services()
    db, migrate, app, lb = (services[n] for n in ("db", "migrate", "app", "lb"))
    assert db["image"] == "postgres:15"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in _compose()["volumes"]  # a named volume
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert migrate["command"] == ["cms", "migrate"]
    assert migrate["restart"] == "no"
    assert app["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert lb["depends_on"] == {"app": {"condition": "service_healthy"}}
    # The app keeps the image's health check (the one tested above).
    assert "healthcheck" not in app


def test_two_app_replicas_behind_the_load_balancer() -> None:
    app = _services()["app"]
    assert app["deploy"]["replicas"] == 2
    assert "container_name" not in app and "ports" not in app  # replicas share nothing fixed


def _url_parts(url: str) -> tuple[str, ...] | None:
    """(scheme, user, password, host, port, database) of a URL with compose interpolations."""
    found: list[str] = []

    def protect(match: re.Match[str]) -> str:
        found.append(match.group(0))
        return f"\x00{len(found) - 1}\x00"

    match = re.fullmatch(
        r"(\w+)://([^:@/]+):([^:@/]+)@([\w.-]+):(\d+)/([^/]+)", INTERPOLATION.sub(protect, url)
    )
    if match is None:
        return None
    return tuple(re.sub(r"\x00(\d+)\x00", lambda m: found[int(m[1])], g) for g in match.groups())


def test_cms_services_use_postgres_in_the_db_service() -> None:
    db = _environment("db")
    for name in _cms_services():
        url = _environment(name)["CMS_DATABASE_URL"]
        assert _url_parts(url) == (
            "postgres",
            db["POSTGRES_USER"],
            db["POSTGRES_PASSWORD"],
            "db",
            "5432",
            db["POSTGRES_DB"],
        ), url
    app = _environment("app")
    assert {"CMS_DB_POOL_SIZE", "CMS_GRAPHIQL"} <= app.keys()


def _upstreams() -> dict[str, list[tuple[str, int, str]]]:
    """nginx upstream blocks: name -> [(host, port, parameters)]."""
    text = NGINX.read_text(encoding="utf-8")
    upstreams: dict[str, list[tuple[str, int, str]]] = {}
    for name, body in re.findall(r"^upstream\s+(\w+)\s*\{(.*?)^\}", text, re.M | re.S):
        servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)\s*([^;]*);", body, re.M)
        upstreams[name] = [(host, int(port), params) for host, port, params in servers]
    return upstreams


def test_nginx_proxies_to_the_app_service_on_its_container_port() -> None:
    text = NGINX.read_text(encoding="utf-8")
    upstreams = _upstreams()
    assert upstreams
    assert set(re.findall(r"proxy_pass\s+http://(\w+)\s*;", text)) == set(upstreams)
    exposed = int(_only(_stages()[-1], "EXPOSE").arguments)
    for servers in upstreams.values():
        assert servers
        for host, port, params in servers:
            assert host in _services(), f"upstream server {host} is not a compose service"
            assert _services()[host].get("image") == "cms:local"
            assert port == exposed == int(_env(_stages()[-1])["CMS_PORT"])
            assert "CMS_PORT" not in _environment(host)
            assert [str(exposed)] == _services()[host]["expose"]
            assert re.search(r"\bmax_fails=\d+", params)  # passive health checks
            assert "resolve" in params.split()  # scaled replicas are picked up


def test_nginx_passes_or_generates_x_request_id() -> None:
    text = NGINX.read_text(encoding="utf-8")
    (variable,) = re.findall(r"proxy_set_header\s+X-Request-ID\s+\$(\w+)\s*;", text)
    (mapping,) = re.findall(
        rf"map\s+\$http_x_request_id\s+\${variable}\s*\{{(.*?)\}}\s*$", text, re.M | re.S
    )
    assert "$http_x_request_id" in mapping
    assert re.search(r"default\s+\$request_id\s*;", mapping)


def test_load_balancer_publishes_a_port_to_nginx_listen() -> None:
    lb = _services()["lb"]
    assert lb["image"].startswith("nginx:1.27.")  # `resolve` in upstream needs >= 1.27.3
    (mount,) = lb["volumes"]
    source, target, mode = mount.split(":")
    assert (DOCKER / source).resolve() == NGINX
    assert target.startswith("/etc/nginx/") and mode == "ro"
    (published,) = lb["ports"]
    host, container = INTERPOLATION.sub(lambda m: m.group(2) or "", published).split(":")
    assert host.isdigit()
    listen = re.findall(r"^\s*listen\s+(\d+)\s*;", NGINX.read_text(encoding="utf-8"), re.M)
    assert listen == [container]


def test_every_cms_variable_is_read_by_the_service() -> None:
    settings_source = (REPO / "cms" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'"(CMS_[A-Z_]+)"', settings_source))
    cli_source = (REPO / "cms" / "cli" / "__init__.py").read_text(encoding="utf-8")
    for name in SERVE_VARIABLES:
        assert f'envvar="{name}"' in cli_source
    for path in (DOCKERFILE, COMPOSE, NGINX, README):
        used = set(re.findall(r"\bCMS_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
        unknown = used - read - SERVE_VARIABLES
        assert not unknown, f"{path.name} uses {sorted(unknown)}, which cms does not read"


def test_compose_variables_are_documented() -> None:
    readme = README.read_text(encoding="utf-8")
    for name, default in INTERPOLATION.findall(COMPOSE.read_text(encoding="utf-8")):
        row = re.search(rf"^\| `{name}` \| `([^`]*)` \|", readme, re.M)
        assert row, f"docker/README.md does not document {name}"
        assert row.group(1) == default, f"{name}: README says {row.group(1)}, compose {default}"


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def test_no_secrets_besides_the_documented_local_default() -> None:
    for service in _services():
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key):
                match = INTERPOLATION.fullmatch(value)
                assert match, f"{service}: {key} is a literal; take it from a variable"
                assert DOCUMENTED_SECRET_DEFAULTS.get(match.group(1)) == match.group(2)
            if "://" in value and "@" in value:
                parts = _url_parts(value)
                assert parts, f"{service}: {key} is not a URL this test understands"
                match = INTERPOLATION.fullmatch(parts[2])
                assert match, f"{service}: {key} has a literal password"
                assert DOCUMENTED_SECRET_DEFAULTS.get(match.group(1)) == match.group(2)
    for string in _strings(_compose()):
        assert not re.search(r"[A-Za-z0-9+/_-]{32,}", string), f"secret-looking: {string}"
    for instruction in _instructions():
        if instruction.keyword in {"ENV", "ARG"}:
            assert not SECRET_NAME.search(instruction.arguments), instruction
    readme = README.read_text(encoding="utf-8")
    for name, default in DOCUMENTED_SECRET_DEFAULTS.items():
        assert f"| `{name}` | `{default}` | " in readme
        assert "local trial only" in readme


# --- the cms commands they run ---------------------------------------------------------------


def _readme_commands() -> list[list[str]]:
    """Every `cms ...` in docker/README.md's shell code blocks, with the Compose service that
    runs it prepended (or "" when it runs on its own)."""
    commands: list[list[str]] = []
    readme = README.read_text(encoding="utf-8")
    for block in re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", readme, re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            lexer.commenters = "#"
            segment: list[str] = []
            for token in [*lexer, ";"]:
                if token and set(token) <= set("();<>|&"):
                    if "cms" in segment:
                        at = segment.index("cms")
                        before = segment[:at]
                        service = before[-1] if {"run", "exec"} & set(before) else ""
                        commands.append([service, *segment[at + 1 :]])
                    segment = []
                else:
                    segment.append(token)
    return commands


def _assert_cli_accepts(args: list[str]) -> None:
    # --help is eager: it succeeds once the command path and every option name parse.
    result = CliRunner().invoke(cli_app, [*args, "--help"])
    assert result.exit_code == 0, f"`cms {' '.join(args)}` is not a cms command:\n{result.output}"


def test_compose_and_dockerfile_run_cms_commands_that_exist() -> None:
    commands = [_exec_form(_only(_stages()[-1], "CMD").arguments)]
    for service in _services().values():
        if "command" in service:
            commands.append(service["command"])
    assert ["cms", "migrate"] in commands and ["cms", "fixtures", "load"] in commands
    for command in commands:
        assert command[0] == "cms"
        _assert_cli_accepts(command[1:])


def test_readme_cms_commands_exist_and_name_compose_services() -> None:
    commands = _readme_commands()
    assert ["migrate", "fixtures", "load"] in commands
    assert any(c[1:3] == ["tokens", "create"] for c in commands)
    for service, *args in commands:
        assert service in _services(), f"`cms {' '.join(args)}` runs in unknown {service!r}"
        _assert_cli_accepts(args)
    readme = README.read_text(encoding="utf-8")
    assert "docker compose -f docker/compose.yaml up --build\n" in readme
    assert "docker compose -f docker/compose.yaml run --rm migrate cms fixtures load\n" in readme

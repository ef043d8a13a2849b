"""deploy/: the image's package, the compose file and the Kubernetes manifests, checked against
what runs. No container runtime here: the wheel the Dockerfile installs is built and every role
is run from it outside the checkout; the compose services' commands run with their own
environment against the real servers (only the hosts are this machine's); the manifests must
name real commands, real settings, real probes and agree with the compose file."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from navio.cli import app as cli
from navio.kernel.pubsub import create_broadcast
from navio.main import build_registry, create_app
from navio.settings import Settings, known_variables, load_settings
from tests.conftest import PG_ADMIN_DSN, TEST_SECRET, make_settings, service_missing
from tests.factories.brokers import RABBITMQ_URL, new_namespace, reachable, remove_namespace
from tests.integration.processes import (
    ROOT,
    eventually,
    free_port,
    navio_env,
    processes,
    register_and_login,
    wait_ready,
)

DEPLOY = ROOT / "deploy"
IMAGE_SERVICES = ("migrate", "api", "worker", "demo")
# ${NAME}, ${NAME:-default}, ${NAME:?error}: the compose file's interpolation
INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::([?-])([^}]*))?\}")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if env.get(name):
            return env[name]
        if operator == "?":
            raise KeyError(f"{name}: {argument}")
        return argument if operator == "-" else ""

    return INTERPOLATION.sub(one, value)


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def service_environment(service: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    return {k: interpolate(str(v), env) for k, v in service["environment"].items()}


def manifests() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def kind(docs: list[dict[str, Any]], kind_: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind_ and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind_} {name}: {len(found)} found"
    return found[0]


def containers(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return found


# ------------------------------------------------------------------ the compose file


def test_compose_names_its_own_services_and_refuses_a_missing_secret() -> None:
    spec = compose()
    services = spec["services"]
    for name in IMAGE_SERVICES:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert (
            ROOT / "deploy" / services[name]["build"]["context"] / "deploy/Dockerfile"
        ).is_file()
    env = service_environment(services["api"], {"NAVIO_SECRET_KEY": TEST_SECRET})
    # every connection goes to a service of this file
    for variable, service in (
        ("NAVIO_DATABASE_URL", "postgres"),
        ("NAVIO_REDIS_URL", "redis"),
        ("NAVIO_BROKER_URL", "rabbitmq"),
    ):
        assert urlsplit(env[variable]).hostname == service
        assert service in services
    database = urlsplit(env["NAVIO_DATABASE_URL"])
    postgres = services["postgres"]["environment"]
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == interpolate(postgres["POSTGRES_PASSWORD"], {})
    assert database.path.lstrip("/") == postgres["POSTGRES_DB"]
    broker = urlsplit(env["NAVIO_BROKER_URL"])
    rabbitmq = services["rabbitmq"]["environment"]
    assert broker.username == rabbitmq["RABBITMQ_DEFAULT_USER"]
    assert broker.password == interpolate(rabbitmq["RABBITMQ_DEFAULT_PASS"], {})
    assert set(env) <= known_variables()
    with pytest.raises(KeyError, match="NAVIO_SECRET_KEY"):
        service_environment(services["api"], {})


@pytest.fixture
def compose_database() -> Iterator[str]:
    """An empty PostgreSQL database: the compose file's `migrate` service creates the schema."""
    name = f"navio_deploy_{uuid.uuid4().hex[:10]}"

    async def run(sql: str) -> None:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await admin.execute(sql)
        finally:
            await admin.close()

    try:
        asyncio.run(run(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        service_missing("PostgreSQL", exc)
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def local_command(command: list[str], port: int | None = None) -> list[str]:
    """A service's command as this machine runs it: `navio` from this interpreter, on a free
    port of the loopback interface."""
    args = list(command)
    if "--port" in args and port is not None:
        args[args.index("--port") + 1] = str(port)
    if "--host" in args:
        args[args.index("--host") + 1] = "127.0.0.1"
    return [sys.executable, "-m", "navio", *args]


def test_compose_services_run_as_written(compose_database: str, redis_url: str) -> None:
    asyncio.run(reachable(RABBITMQ_URL))
    services = compose()["services"]
    namespace = new_namespace()
    env = service_environment(services["api"], {"NAVIO_SECRET_KEY": TEST_SECRET})
    # the same environment, with this machine's servers for the compose file's
    local = navio_env(
        **{
            **env,
            "NAVIO_DATABASE_URL": compose_database,
            "NAVIO_REDIS_URL": redis_url,
            "NAVIO_BROKER_URL": RABBITMQ_URL,
            "NAVIO_BROKER_NAMESPACE": namespace,
        }
    )
    assert local["NAVIO_ENV"] == "production"
    try:
        migrated = subprocess.run(
            local_command(services["migrate"]["command"]),
            env=local,
            cwd=ROOT,
            capture_output=True,
            timeout=180,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr.decode()[-2000:]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with processes(
            (local_command(services["api"]["command"], port), local),
            (local_command(services["worker"]["command"]), local),
        ) as procs:
            wait_ready(base, procs)
            checks = httpx.get(f"{base}/health/ready").json()["checks"]
            assert checks == {"database": "ok", "cache": "ok", "broker": "ok"}
            user_id, headers = register_and_login(base, base)
            # UserRegistered: published by the worker to RabbitMQ, consumed by the worker
            eventually(
                lambda: (
                    httpx.get(f"{base}/api/v1/users/{user_id}/profile", headers=headers).json()[
                        "display_name"
                    ]
                    == "Scaled Traveller"
                )
            )
    finally:
        registry = build_registry(create_broadcast(None), Settings())
        asyncio.run(remove_namespace(RABBITMQ_URL, namespace, registry))


# ------------------------------------------------------------------ Kubernetes


def test_kubernetes_probes_and_ports_are_the_apis(sqlite_url: str) -> None:
    docs = manifests()
    (api,) = containers(kind(docs, "Deployment", "navio-api"))
    ports = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert ports["http"] == int(api["args"][api["args"].index("--port") + 1])
    assert api["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    with TestClient(create_app(make_settings(sqlite_url))) as served:
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert api[probe]["httpGet"]["port"] == "http"
            assert served.get(api[probe]["httpGet"]["path"]).status_code == 200, probe
    assert kind(docs, "Service", "navio-api")["spec"]["ports"][0]["targetPort"] in ports


def test_kubernetes_manifests_agree_with_the_app_and_the_compose_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = manifests()
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (DEPLOY / "k8s" / resource).is_file(), resource
    assert "secret.example.yaml" not in kustomization["resources"]  # never a shared secret

    # the settings they give are real settings, valid together in production
    config = kind(docs, "ConfigMap", "navio")["data"]
    secret = kind(docs, "Secret", "navio")["stringData"]
    assert set(config) | set(secret) <= known_variables()
    assert not set(config) & set(secret)
    for name in list(os.environ):
        if name.startswith("NAVIO_"):
            monkeypatch.delenv(name)
    for name, value in {**config, **secret}.items():
        monkeypatch.setenv(name, str(value))
    settings = load_settings()
    assert settings.env == "production"
    assert settings.broker_url is not None

    services = compose()["services"]
    runner = CliRunner()
    workloads = {
        "api": kind(docs, "Deployment", "navio-api"),
        "worker": kind(docs, "Deployment", "navio-worker"),
        "migrate": kind(docs, "Job", "navio-migrate"),
    }
    for role, workload in workloads.items():
        template = workload["spec"]["template"]
        if workload["kind"] == "Deployment":
            assert workload["spec"]["selector"]["matchLabels"].items() <= (
                template["metadata"]["labels"].items()
            )
        (container,) = containers(workload)
        args = container["args"]
        # the compose file runs the same command
        assert args == services[role]["command"], role
        # a real command, and every option it passes is one of that command's
        shown = runner.invoke(cli, [args[0], "--help"], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        for option in (a for a in args if a.startswith("--")):
            assert option in shown.output, (role, option)
        sources = sorted((ref, of["name"]) for s in container["envFrom"] for ref, of in s.items())
        assert sources == [("configMapRef", "navio"), ("secretRef", "navio")], role
        assert template["spec"]["securityContext"]["runAsUser"] == 10001  # the image's user

    # the API's Service, autoscaler and disruption budget select its pods
    service = kind(docs, "Service", "navio-api")
    labels = workloads["api"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    hpa = kind(docs, "HorizontalPodAutoscaler", "navio-api")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "navio-api"
    pdb = kind(docs, "PodDisruptionBudget", "navio-api")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    # read-only root file systems: what the processes write is mounted
    for role in ("api", "worker"):
        (container,) = containers(workloads[role])
        if container["securityContext"].get("readOnlyRootFilesystem"):
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert {"/app/var", "/tmp"} <= mounts, role


# ------------------------------------------------------------------ the image's package


def build_wheel(into: Path) -> Path:
    """The wheel `pip install .` builds in the Dockerfile, from a copy of what the image copies."""
    source = into / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.so", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    shutil.copytree(ROOT / "migrations", source / "migrations", ignore=ignore)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(into / "dist"),
            str(source),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr.decode()[-3000:]
    (wheel,) = (into / "dist").glob("navio-*.whl")
    return wheel


def files_under(path: Path) -> set[Path]:
    return {p.relative_to(path) for p in path.rglob("*")}


def test_the_installed_package_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    migrations = {p.name for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert {n.rsplit("/", 1)[1] for n in names if "/_migrations/versions/" in n} == migrations
    assert "navio/_migrations/env.py" in names
    assert any(re.fullmatch(r"navio/itinerary/_ils\..*\.so", n) for n in names)
    for page in (ROOT / "src/navio/web/templates").glob("*.html"):
        assert f"navio/web/templates/{page.name}" in names
    for asset in (ROOT / "src/navio/web/static").iterdir():
        assert f"navio/web/static/{asset.name}" in names

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    app_dir, home = tmp_path / "app", tmp_path / "home"
    (app_dir / "var").mkdir(parents=True)  # the image's /app, with its /app/var volume
    home.mkdir()
    env = navio_env(PYTHONPATH=str(site), HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import navio, navio.migrate as m; print(navio.__file__); print(m.script_location())",
        ],
        env=env,
        cwd=app_dir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(site)
    assert Path(where[1]) == site / "navio" / "_migrations"

    before_home = files_under(home)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = [sys.executable, "-m", "navio", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with processes((serve, env), cwd=app_dir) as procs:
        wait_ready(base, procs)  # migrated the embedded database from the packaged migrations
        home_page = httpx.get(f"{base}/")
        assert home_page.status_code == 200 and "text/html" in home_page.headers["content-type"]
        assert httpx.get(f"{base}/login").status_code == 200
        assert httpx.get(f"{base}/static/navio.css").status_code == 200
        register_and_login(base, base)
    worker = subprocess.run(
        [sys.executable, "-m", "navio", "worker", "--once"],
        env=env,
        cwd=app_dir,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    # a read-only root file system holds: nothing written outside /app/var (and /tmp)
    assert {p.parts[0] for p in files_under(app_dir)} == {"var"}
    assert files_under(home) == before_home

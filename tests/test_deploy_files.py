"""The deployment files, checked without a Docker engine (none runs here): hadolint on the Dockerfile, the
image's locks against pyproject.toml, deploy/compose.yaml against the Compose Specification's schema and
its own wiring, promtool on the Prometheus configuration and rules (with unit tests of the alerts), and
every metric named by an alert or a dashboard panel against the metrics the code defines."""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _tool(name: str) -> str:
    """A command-line tool from the virtualenv or PATH; missing it fails in CI (``./dev.sh test`` installs it)."""
    found = shutil.which(name, path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not installed (./dev.sh test installs it)")
    pytest.skip(f"{name} is not installed (./dev.sh test installs it)")


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60, cwd=ROOT)


# -- Dockerfile ---------------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _final_stage() -> list[tuple[str, str]]:
    steps = _instructions()
    start = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[start:]


def test_hadolint_finds_nothing() -> None:
    result = _run(_tool("hadolint"), "--config", ".hadolint.yaml", "Dockerfile")
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_image_is_built_in_stages_from_the_locks_and_runs_unprivileged() -> None:
    steps = _instructions()
    assert [args.split()[-1] for op, args in steps if op == "FROM"] == ["builder", "runtime"]
    installs = [args for op, args in steps if op == "RUN" and "--require-hashes" in args]
    assert any("-r deploy/requirements.lock" in run for run in installs)
    assert any("-r deploy/build-requirements.lock" in run for run in installs)
    assert not any(op == "RUN" and re.search(r" -e |--editable", args) for op, args in steps)

    final = _final_stage()
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in final
    user = [args for op, args in final if op == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    env = " ".join(args for op, args in final if op == "ENV")
    multiproc_dir = re.search(r"PROMETHEUS_MULTIPROC_DIR=(\S+)", env)
    assert multiproc_dir, "gunicorn's workers need a metrics directory from the start"
    # Created for, and owned by, the runtime user.
    assert any(op == "RUN" and "install -d -o billing" in args and multiproc_dir.group(1) in args for op, args in final)
    healthcheck = next(args for op, args in final if op == "HEALTHCHECK")
    assert "/healthz" in healthcheck
    cmd = json.loads(next(args for op, args in final if op == "CMD"))
    assert cmd == ["gunicorn", "-c", "python:billing.gunicorn_conf", "billing.wsgi:app"]


def test_build_context_holds_only_what_the_dockerfile_copies() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "an allowlist: everything else stays out"
    allowed = {p[1:] for p in patterns if p.startswith("!")}
    copied = {
        source
        for op, args in _instructions()
        if op == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    }
    assert copied == allowed
    assert all((ROOT / path).exists() for path in copied)


# -- the locks ------------------------------------------------------------------------------------------


def _lock(name: str) -> dict[str, Requirement]:
    """The lock's requirements by name; each must be an exact pin with hashes."""
    text = (DEPLOY / name).read_text()
    entries = re.split(r"\n(?=\S)", re.sub(r"^#.*\n", "", text, flags=re.M).strip())
    pins: dict[str, Requirement] = {}
    for entry in entries:
        spec, *hashes = [part.strip() for part in entry.split("\\\n")]
        hashes = [h.split("#")[0].strip() for h in hashes]
        assert hashes and all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", h) for h in hashes), spec
        req = Requirement(spec)
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", spec
        pins[canonicalize_name(req.name)] = req
    return pins


def _version(req: Requirement) -> str:
    return next(iter(req.specifier)).version


def test_locks_agree_with_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for name, wanted in (
        ("requirements.lock", pyproject["project"]["dependencies"]),
        ("build-requirements.lock", pyproject["build-system"]["requires"]),
    ):
        locked = _lock(name)
        for spec in wanted:
            req = Requirement(spec)
            pin = locked.get(canonicalize_name(req.name))
            assert pin is not None, f"{req.name} is not in deploy/{name}: run deploy/lock.sh"
            assert req.specifier.contains(_version(pin)), f"{spec} but deploy/{name} has {pin}: run deploy/lock.sh"


def test_lock_holds_every_dependency_of_what_it_holds() -> None:
    """Complete: whatever a locked package requires here (its installed metadata, markers for this
    platform, the extras asked for) is locked too, so ``pip install --require-hashes`` never needs more."""
    locked = _lock("requirements.lock")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras: dict[str, set[str]] = {}
    for spec in pyproject["project"]["dependencies"]:
        req = Requirement(spec)
        extras.setdefault(canonicalize_name(req.name), set()).update(req.extras)
    env = default_environment()
    missing = []
    for name, pin in locked.items():
        if pin.marker and not pin.marker.evaluate(env):
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:  # not in this virtualenv: nothing to read its needs from
            continue
        for spec in requires:
            dep = Requirement(spec)
            if dep.marker is None or any(
                dep.marker.evaluate({**env, "extra": extra}) for extra in ("", *extras.get(name, ()))
            ):
                if canonicalize_name(dep.name) not in locked:
                    missing.append(f"{dep.name} (for {name})")
                extras.setdefault(canonicalize_name(dep.name), set()).update(dep.extras)
    assert not missing, f"not in deploy/requirements.lock: {missing}; run deploy/lock.sh"


# -- compose ----------------------------------------------------------------------------------------


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_file_follows_the_compose_specification(tmp_path: Path) -> None:
    check = _tool("check-jsonschema")
    result = _run(check, "--builtin-schema", "vendor.compose-spec", DEPLOY / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    # The validator does look: a misspelt key is refused.
    broken = tmp_path / "compose.yaml"
    broken.write_text((DEPLOY / "compose.yaml").read_text().replace("    healthcheck:", "    healtcheck:", 1))
    assert _run(check, "--builtin-schema", "vendor.compose-spec", broken).returncode != 0


def _command(service: dict) -> list[str]:
    return service.get("command", [])[:2]


def test_compose_wiring() -> None:
    services = _compose()["services"]
    image = services["web"]["image"]
    billing = {name for name, s in services.items() if s.get("image") == image}
    for name, service in services.items():
        for dep in service.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown {dep}"
            # A default service cannot wait for one that only runs in a profile.
            assert set(services[dep].get("profiles", [])) <= set(service.get("profiles", [])), (name, dep)

    assert services["migrate"]["command"] == ["billing", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    for name in billing - {"migrate", "gateway-sim"}:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name

    web = services["web"]
    assert "/readyz" in " ".join(web["healthcheck"]["test"])
    assert "BILLING_WEB_WORKERS" in web["environment"]
    multiproc_dir = re.search(r"PROMETHEUS_MULTIPROC_DIR=(\S+)", (ROOT / "Dockerfile").read_text())
    assert multiproc_dir and multiproc_dir.group(1) in web["tmpfs"]

    engine = {
        name: s for name, s in services.items() if _command(s) in (["billing", "scheduler"], ["billing", "worker"])
    }
    assert sum(_command(s) == ["billing", "scheduler"] for s in engine.values()) >= 2
    assert sum(_command(s) == ["billing", "worker"] for s in engine.values()) >= 2
    for name, service in engine.items():
        assert service["environment"]["BILLING_METRICS_ADDRESS"] == "0.0.0.0", name
        assert service["environment"]["BILLING_METRICS_PORT"], name

    sim = services["gateway-sim"]
    assert sim["profiles"] == ["demo"] and _command(sim) == ["billing", "gateway-sim"]
    assert "--webhook-url=http://web:8000/api/v1/webhooks/stripe" in sim["command"]
    assert {services[name]["profiles"][0] for name in ("prometheus", "grafana")} == {"monitoring"}
    for service in services.values():
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (DEPLOY / volume.split(":")[0]).exists(), volume


def test_prometheus_scrapes_every_billing_process() -> None:
    services = _compose()["services"]
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for group in job["static_configs"] for t in group["targets"]}
    wanted = {"web:8000"} | {
        f"{name}:{s['environment']['BILLING_METRICS_PORT']}"
        for name, s in services.items()
        if "BILLING_METRICS_PORT" in s.get("environment", {})
    }
    assert targets == wanted


def test_secrets_come_only_from_the_env_file() -> None:
    """Every ${VAR} the compose file needs is in .env.example, whose secrets are placeholders."""
    text = (DEPLOY / "compose.yaml").read_text()
    needed = set(re.findall(r"\$\{(\w+)(?::\?[^}]*)?\}", text))
    example = dict(
        line.split("=", 1)
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert needed <= example.keys(), needed - example.keys()
    for name, value in example.items():
        if re.search(r"PASSWORD|SECRET", name):
            assert "change-me" in value, f"{name} in .env.example must be a placeholder"
    assert ".env" in (DEPLOY / ".gitignore").read_text().split()
    # No literal credentials in the compose file itself.
    for name, service in _compose()["services"].items():
        for key, value in service.get("environment", {}).items():
            if re.search(r"PASSWORD|SECRET|_KEY", key):
                assert str(value).startswith("${"), f"{name}: {key} is written in compose.yaml"


# -- Prometheus -------------------------------------------------------------------------------------


def test_promtool_accepts_the_configuration_and_rules() -> None:
    result = _run(_tool("promtool"), "check", "config", DEPLOY / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "alerts.yml" in result.stdout  # the rules were checked too


def test_alerts_fire_when_they_should() -> None:
    result = _run(_tool("promtool"), "test", "rules", DEPLOY / "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


_SUFFIXES = {
    "Counter": ("_total", "_created"),
    "CounterMetricFamily": ("_total",),
    "Histogram": ("_bucket", "_sum", "_count", "_created"),
    "Gauge": ("",),
    "GaugeMetricFamily": ("",),
}


def _defined_metrics() -> dict[str, set[str]]:
    """Every metric the code defines, by each name it is exposed under, with its label names."""
    found: dict[str, set[str]] = {}
    for path in [*ROOT.glob("billing/**/*.py"), *ROOT.glob("schedulers/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            kind = getattr(node.func, "id", getattr(node.func, "attr", None))
            if kind not in _SUFFIXES or not str(node.args[0].value).startswith("billing_"):
                continue
            labels: set[str] = set()
            label_arg = node.args[2] if len(node.args) > 2 else None
            for kw in node.keywords:
                if kw.arg in ("labelnames", "labels"):
                    label_arg = kw.value
            if isinstance(label_arg, ast.List):
                labels = {elt.value for elt in label_arg.elts if isinstance(elt, ast.Constant)}
            base = node.args[0].value.removesuffix("_total") if kind.startswith("Counter") else node.args[0].value
            for suffix in _SUFFIXES[kind]:
                found[base + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return found


def _family(name: str) -> str:
    return re.sub(r"_(total|created|bucket|sum|count)$", "", name)


def _expressions() -> list[tuple[str, str]]:
    """(where, PromQL) of every alert rule and every dashboard panel."""
    exprs = []
    for group in yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"]:
        exprs += [(f"alert {rule['alert']}", rule["expr"]) for rule in group["rules"]]
    for path in (DEPLOY / "grafana" / "dashboards").glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            exprs += [(f"{path.name}: {panel['title']}", t["expr"]) for t in panel.get("targets", [])]
    return exprs


def test_every_metric_in_the_alerts_and_dashboards_exists() -> None:
    defined = _defined_metrics()
    assert "billing_debit_attempts_total" in defined and "billing_http_request_seconds_bucket" in defined
    exprs = _expressions()
    assert len(exprs) > 20
    used = set()
    for where, expr in exprs:
        for name in re.findall(r"\bbilling_[a-z0-9_]+", expr):
            used.add(name)
            assert name in defined, f"{where}: {name} is not a metric of billing/ or schedulers/"
        # Labels in selectors are labels the metric has (job and instance are Prometheus's own).
        for name, matchers in re.findall(r"\b(billing_[a-z0-9_]+)\{([^}]*)\}", expr):
            for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers):
                assert label in defined[name] | {"job", "instance"}, f"{where}: {name} has no label {label}"
    # Every metric the code defines is watched somewhere.
    assert {_family(n) for n in defined} - {_family(n) for n in used} == set()


def test_dashboard_is_provisioned_from_the_compose_prometheus() -> None:
    datasource = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yaml").read_text())
    (source,) = datasource["datasources"]
    assert source["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/billing.yaml").read_text())["providers"][0]
    mounts = dict(v.split(":")[:2] for v in _compose()["services"]["grafana"]["volumes"] if v.startswith("./"))
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    for path in (DEPLOY / "grafana" / "dashboards").glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            assert panel.get("datasource", {"uid": source["uid"]})["uid"] == source["uid"], panel["title"]

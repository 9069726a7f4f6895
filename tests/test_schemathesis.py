"""schemathesis sends each operation of /openapi.json data made from the document, valid and not, on
SQLite with an admin token: no answer is a 5xx, and every answer has a documented content type and, for
JSON, matches the documented schema of its status (the problems included)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from billing import create_app
from billing.auth.models import Role
from billing.settings import Settings
from tests.api_routes import PATH_VALUES
from tests.conftest import empty_database
from tests.factories import auth, participant_body, token

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app on a module's own SQLite database (a sandbox, so the clock's endpoints check their input;
    no Chromium, so a PDF is a quick 503) with records numbered 1 for ids to find, made from the document's
    own examples, and an admin's header."""
    from billing.migrations import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'billing.sqlite3'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        log_json=False,
        log_level="CRITICAL",
        sandbox=True,
        report_chromium=str(Path("/nonexistent/chromium")),
    )
    app = create_app(settings)
    headers = auth(token(app, Role.admin))
    client = app.test_client()
    doc = client.get("/openapi.json").get_json()
    for path in ("/api/v1/participants", "/api/v1/sponsors", "/api/v1/mandates"):
        example = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"]
        resp = client.post(path, json=example, headers=headers)
        assert resp.status_code == 201, (path, resp.get_json())
    for _ in range(2):
        assert client.post("/api/v1/participants", json=participant_body(), headers=headers).status_code == 201
    yield app, headers
    app.extensions["billing.engine"].dispose()
    empty_database(url)


# Per operation and kind of data (valid, invalid): a bounded budget, about 40 s in all on 2 cores.
EXAMPLES = 20


def _fuzz(operation: Any, mode: schemathesis.GenerationMode, headers: dict[str, str], **fixed: Any) -> list[str]:
    """What went wrong with one operation, one line per distinct failure (and a request showing it)."""
    failures: dict[str, str] = {}

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    def run(case: schemathesis.Case) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (Failure, FailureGroup) as exc:
            found = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
            for failure in found:
                message = " | ".join(failure.message.strip().splitlines()[:8])
                failures[f"{operation.label} [{mode.value}] {failure.title}: {message}\n  {case.as_curl_command()}"] = (
                    None
                )

    run()
    return [f"{failure}\n  {curl}" for failure, curl in failures.items()]


@pytest.mark.slow
def test_api_answers_as_documented(fuzzed: tuple[Any, dict[str, str]]) -> None:
    app, headers = fuzzed
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40  # every operation of the document, none refused as invalid
    failures = []
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            failures += _fuzz(operation, mode, headers)
        # Random ids find nothing: valid data once more against the records that exist.
        ids = {p.name: PATH_VALUES.get(p.name, 1) for p in operation.path_parameters}
        if ids:
            failures += _fuzz(operation, schemathesis.GenerationMode.POSITIVE, headers, path_parameters=ids)
    assert not failures, "\n".join(failures)

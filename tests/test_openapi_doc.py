"""The API document tells every operation's errors as RFC 9457 problems (billing/openapi_doc.py), with an
example for each request body, the report formats, readable operation ids and the server it was read from."""

from typing import Any

import pytest
from pydantic import ValidationError

from billing.auth.guard import PUBLIC_ATTR
from billing.errors import PROBLEM_JSON
from billing.openapi_doc import body_model, openapi_path
from tests.api_routes import API_RULES, APP

DOC = APP.api_doc
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _operations() -> list[Any]:
    """(path, method, operation, view) of every documented operation."""
    found = []
    for rule in API_RULES:
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = DOC["paths"].get(openapi_path(rule), {}).get(method.lower())
            if op is not None:
                found.append(pytest.param(openapi_path(rule), method.lower(), op, APP.view_functions[rule.endpoint]))
    return found


OPERATIONS = _operations()


def test_every_route_is_documented() -> None:
    assert len(OPERATIONS) == sum(len(item) for item in DOC["paths"].values()) >= 40


@pytest.mark.parametrize(("path", "method", "op", "view"), OPERATIONS)
def test_errors_are_problems(path: str, method: str, op: dict[str, Any], view: Any) -> None:
    responses = op["responses"]
    errors = {int(s) for s in responses if int(s) >= 400}
    for status in errors:
        content = responses[str(status)]["content"]
        assert list(content) == [PROBLEM_JSON], (status, content)
        assert content[PROBLEM_JSON]["schema"] == PROBLEM_REF
        assert content[PROBLEM_JSON]["example"]["status"] == status
    assert 422 in errors
    public = getattr(view, PUBLIC_ATTR, False)
    assert ({401, 403} <= errors) is not public
    assert (op.get("security") == []) is public
    if any(p["in"] == "path" for p in op.get("parameters", [])):
        assert 404 in errors
    if "requestBody" in op:
        assert {400, 413, 415} <= errors
    if method in ("post", "patch", "put", "delete") and not public:
        assert 409 in errors


def test_the_problem_schema_replaces_pydantics() -> None:
    schemas = DOC["components"]["schemas"]
    assert "ValidationErrorModel" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "code", "instance"}
    assert schemas["Problem"]["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ProblemField"}


@pytest.mark.parametrize(("path", "method", "op", "view"), [p for p in OPERATIONS if "requestBody" in p.values[2]])
def test_every_request_body_has_an_example_its_model_accepts(
    path: str, method: str, op: dict[str, Any], view: Any
) -> None:
    content = op["requestBody"]["content"]
    if "multipart/form-data" in content:  # an upload: the file is a binary part of the form
        form = DOC["components"]["schemas"][content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]]
        assert any(p.get("format") == "binary" for p in form["properties"].values())
        assert op["responses"]["415"]["description"].endswith("multipart/form-data")
        return
    media = content["application/json"]
    assert "example" in media or "examples" in media
    model = body_model(view)
    if model is None:  # the webhook: raw bytes, described in the document
        assert getattr(view, PUBLIC_ATTR, False)
        return
    try:
        model.model_validate(media["example"])
    except ValidationError as exc:
        pytest.fail(f"{method} {path}: its example is refused: {exc}")
    # A body whose fields are all optional may be left out (an empty body reads as {}).
    assert op["requestBody"]["required"] is bool(model.model_json_schema().get("required"))


def test_the_webhook_documents_its_body_and_signature() -> None:
    op = DOC["paths"]["/api/v1/webhooks/stripe"]["post"]
    assert op["security"] == []
    assert {"401", "403", "409"}.isdisjoint(op["responses"])  # a duplicate event is answered 200
    assert op["requestBody"]["content"]["application/json"]["schema"]["required"] == ["id", "type", "data"]
    assert [p["name"] for p in op["parameters"] if p["in"] == "header"] == ["Stripe-Signature"]
    assert "400" in op["responses"]  # a bad signature


@pytest.mark.parametrize("report", ["coverage", "churn"])
def test_reports_document_their_formats(report: str) -> None:
    op = DOC["paths"][f"/api/v1/reports/{report}"]["get"]
    assert set(op["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
        "text/plain",
        "text/html",
        "application/pdf",
    }
    assert op["responses"]["503"]["content"][PROBLEM_JSON]["example"]["code"] == "pdf_unavailable"
    assert "404" in op["responses"]  # an unknown region


def test_operation_ids_are_the_views_names_and_unique() -> None:
    ids = [op["operationId"] for _, _, op, _ in (p.values for p in OPERATIONS)]
    assert len(ids) == len(set(ids))
    assert {"list_participants", "enrol", "get_participant", "sponsors_list_participants"} <= set(ids)
    for _, _, op, view in (p.values for p in OPERATIONS):
        assert op["operationId"].endswith(view.__name__)


def test_servers_name_the_host_the_document_was_read_from(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/openapi.json", base_url="https://billing.example.go.id").get_json()
    assert doc["servers"] == [{"url": "https://billing.example.go.id"}]
    assert client.get("/docs/openapi.json").get_json()["servers"] == [{"url": "http://localhost"}]

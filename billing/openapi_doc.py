"""The API document as the service really answers: flask-openapi3 documents a 2xx and a pydantic 422 list;
this fills in, once for every operation of every blueprint, the RFC 9457 problems it can answer (one shared
``Problem`` schema), who needs no token, an example for each request body, the report formats, readable
operation ids and the server the document was read from. A view names only what no rule can know, as an
error status without content in its ``responses`` (``{404: None}``): the rule fills in the problem."""

import copy
import re
import typing
from collections.abc import Iterator
from typing import Any

from flask import has_request_context, request
from flask_openapi3 import OpenAPI
from flask_openapi3.utils import HTTP_STATUS
from pydantic import BaseModel
from werkzeug.routing import Rule

from billing.auth.guard import PUBLIC_ATTR
from billing.errors import (
    PROBLEM_JSON,
    TYPE_BASE,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from billing.reports.pdf import PdfUnavailable
from billing.reports.render import MEDIA_TYPES
from billing.requests import MalformedJson, UnsupportedMediaType

REF = "#/components/schemas/"
WRITES = {"post", "put", "patch", "delete"}

PROBLEM_FIELD = {
    "title": "ProblemField",
    "type": "object",
    "description": "Satu kolom yang bermasalah / One field at fault (more keys may name records involved)",
    "required": ["message"],
    "properties": {
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "Dotted path, e.g. programs.1"},
        "message": {"type": "string"},
        "type": {"type": "string", "description": "Machine-readable kind, e.g. missing"},
    },
    "additionalProperties": True,
}
PROBLEM = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details, sent as application/problem+json. `code` is stable: branch on it.",
    "required": ["type", "title", "status", "detail", "code", "instance"],
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": [TYPE_BASE + "invalid_input"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "Bahasa Indonesia, then ' / ' and English"},
        "code": {"type": "string", "examples": ["invalid_input"]},
        "instance": {"type": "string", "description": "The request's path"},
        "errors": {
            "type": "array",
            "items": {"$ref": REF + "ProblemField"},
            "description": "The fields at fault (mostly with 422)",
        },
    },
    "additionalProperties": False,
}

_MISSING = {"field": "nik", "message": "Field required", "type": "missing"}
_TOO_LARGE = "Data terlalu besar / Payload too large"


class Described(typing.NamedTuple):
    """What one error status means, and the problem its example shows."""

    description: str
    code: str
    title: str
    errors: list[dict[str, Any]] | None = None


PROBLEMS = {
    400: Described(
        "Tidak dapat dibaca (JSON rusak…) / Unreadable (broken JSON…)", MalformedJson.code, MalformedJson.title
    ),
    401: Described(
        "Token tidak ada atau tidak sah / Missing or invalid token", Unauthenticated.code, Unauthenticated.title
    ),
    403: Described("Peran ini tidak boleh / The token's role may not", "role_not_allowed", Forbidden.title),
    404: Described("Tidak ditemukan / Not found", NotFound.code, NotFound.title),
    409: Described("Bertentangan dengan keadaan saat ini / Conflicts with the state", Conflict.code, Conflict.title),
    413: Described("Badan permintaan terlalu besar / Body over the size limit", "payload_too_large", _TOO_LARGE),
    415: Described(
        "Bukan application/json / Not application/json", UnsupportedMediaType.code, UnsupportedMediaType.title
    ),
    422: Described(
        "Data tidak valid; lihat 'errors' / Invalid; see 'errors'", InvalidInput.code, InvalidInput.title, [_MISSING]
    ),
    429: Described(
        "Batas tercapai; lihat Retry-After / A limit was reached; see Retry-After",
        TooManyRequests.code,
        TooManyRequests.title,
    ),
    503: Described(
        "Layanan pendukung tidak ada / A service it needs is down", PdfUnavailable.code, PdfUnavailable.title
    ),
}

# Fields with no example of their own get these (by name), else one made from their type.
FIELD_EXAMPLES: dict[str, Any] = {
    "full_name": "Siti Aminah",
    "declared_income": 2_500_000,
    "amount": 16_800,
    "reason": "Permintaan peserta",
    "debit_day": 5,
    "months": 3,
    "days": 1,
}


class BillingOpenAPI(OpenAPI):
    """flask-openapi3's app, its document finished by :func:`finish` once all blueprints are in."""

    def generate_spec_json(self) -> None:
        super().generate_spec_json()
        finish(self, self.spec_json)

    @property
    def api_doc(self) -> dict:
        doc = super().api_doc
        if not has_request_context():
            return doc
        # The server is whoever the reader reached: the document works behind any host name.
        return {**doc, "servers": [{"url": request.url_root.rstrip("/")}]}


def openapi_path(rule: Rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def _views(app: OpenAPI) -> dict[tuple[str, str], str]:
    """(document path, method) -> endpoint."""
    found = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            found[(openapi_path(rule), method.lower())] = rule.endpoint
    return found


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def problem_response(status: int) -> dict[str, Any]:
    description, code, title, errors = PROBLEMS[status]
    example: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": description,
        "code": code,
        "instance": "/api/v1/participants",
    }
    if errors:
        example["errors"] = errors
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": REF + "Problem"}, "example": example}},
    }


def body_model(view: Any) -> type[BaseModel] | None:
    """The pydantic model of a view's ``body`` argument (flask-openapi3 wraps the function)."""
    func = getattr(view, "__wrapped__", view)
    model = typing.get_type_hints(func).get("body")
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _value(name: str, schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    if schema.get("examples"):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    if name in FIELD_EXAMPLES:
        return FIELD_EXAMPLES[name]
    if schema.get("default") is not None:
        return schema["default"]
    schema = _resolve(schema, defs)
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return _value(name, options[0], defs) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return object_example(schema, defs)
    if kind == "array":
        return [_value(name, schema.get("items", {}), defs)] * schema.get("minItems", 1)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-05-01"
    if schema.get("format") == "date-time":
        return "2026-05-01T08:00:00+07:00"
    return "contoh"[: schema.get("maxLength", 6)].ljust(schema.get("minLength", 0), "x")


def object_example(schema: dict[str, Any], defs: dict[str, Any], extra: int = 0) -> dict[str, Any]:
    """Every required property, those with an example of their own, and the first ``extra`` others
    (at least one when none is required)."""
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    chosen = [n for n, p in props.items() if n in required or p.get("examples") or "example" in p]
    others = [n for n in props if n not in chosen]
    chosen += others[: max(extra, 0 if chosen else 1)]
    return {n: _value(n, props[n], defs) for n in props if n in chosen}


def body_example(model: type[BaseModel]) -> dict[str, Any]:
    """The model's own example (``json_schema_extra={"examples": [...]}``), else one from its fields that
    the model accepts: optional fields are added one by one until it does (``participant_id`` when a
    mandate needs an owner)."""
    schema = model.model_json_schema(mode="validation")
    if schema.get("examples"):
        return schema["examples"][0]
    defs = schema.get("$defs", {})
    candidates = [object_example(schema, defs, extra) for extra in range(len(schema.get("properties", {})) + 1)]
    for example in candidates:
        try:
            model.model_validate(example)
        except Exception:  # ValidationError, or a validator that needs a request: try the next
            continue
        return example
    return candidates[0]


def _query_formats(op: dict[str, Any]) -> list[str]:
    """The choices of a ``format`` query parameter (the reports): each is a media type of the 200."""
    for param in op.get("parameters", []):
        if param.get("in") == "query" and param["name"] == "format":
            options = param["schema"].get("anyOf", [param["schema"]])
            return [v for o in options for v in o.get("enum", [])]
    return []


def _refers_by_id(op: dict[str, Any], model: type[BaseModel] | None) -> bool:
    """Whether a record is named by id: in the path, or by a body field (``sponsor_id``)."""
    if any(p.get("in") == "path" for p in op.get("parameters", [])):
        return True
    return model is not None and any(n.endswith("_id") for n in model.model_fields)


def _error_statuses(method: str, op: dict[str, Any], view: Any) -> set[int]:
    public = getattr(view, PUBLIC_ATTR, False)
    model = body_model(view)
    has_body = "requestBody" in op
    statuses = {422}
    if not public:
        statuses |= {401, 403}
    if _refers_by_id(op, model):
        statuses.add(404)
    # Any write with a token may meet a state that forbids it. A public write has nothing to conflict with
    # (the webhook answers an event seen before with 200); one that does declares its 409.
    if method in WRITES and not public:
        statuses.add(409)
    if has_body:
        statuses |= {400, 413, 415}
    if "pdf" in _query_formats(op):
        statuses.add(503)
    # What the view declared itself (``{409: None}``): an error status without content.
    statuses |= {int(s) for s, r in op["responses"].items() if s[0] in "45" and not r.get("content")}
    return statuses


def _document_formats(op: dict[str, Any]) -> None:
    formats = [f for f in _query_formats(op) if f != "json"]
    if not formats:
        return
    content = op["responses"]["200"].setdefault("content", {})
    for fmt in formats:
        media = MEDIA_TYPES[fmt].split(";")[0]
        schema = {"type": "string", "format": "binary"} if fmt == "pdf" else {"type": "string"}
        content[media] = {"schema": schema}


def _operation_ids(entries: list[tuple[str, str, dict[str, Any], str, Any]]) -> None:
    """The view's name (``list_participants``); where two blueprints share one, the more deeply nested
    path gets its blueprint's name in front (``sponsors_list_participants``)."""
    by_name: dict[str, list[tuple[str, str, dict[str, Any], str, Any]]] = {}
    for entry in entries:
        by_name.setdefault(entry[4].__name__, []).append(entry)
    taken: set[str] = set()
    for name, group in sorted(by_name.items()):
        group.sort(key=lambda e: (e[0].count("/"), e[0], e[1]))
        for i, (_, method, op, endpoint, _view) in enumerate(group):
            op_id = name if i == 0 else f"{endpoint.split('.')[0]}_{name}"
            if op_id in taken:
                op_id = f"{op_id}_{method}"
            taken.add(op_id)
            op["operationId"] = op_id


def finish(app: OpenAPI, doc: dict[str, Any]) -> None:
    """Rewrite ``doc`` (flask-openapi3's document) in place."""
    views = _views(app)
    schemas = doc["components"]["schemas"]
    schemas["Problem"] = copy.deepcopy(PROBLEM)
    schemas["ProblemField"] = copy.deepcopy(PROBLEM_FIELD)
    entries = []
    for path, method, op in _operations(doc):
        endpoint = views[(path, method)]
        view = app.view_functions[endpoint]
        entries.append((path, method, op, endpoint, view))
        if getattr(view, PUBLIC_ATTR, False):
            op["security"] = []
        model = body_model(view)
        if model is not None:
            body = op["requestBody"]
            body["required"] = bool(model.model_json_schema().get("required"))
            body["content"]["application/json"]["example"] = body_example(model)
        _document_formats(op)
        responses = op["responses"]
        upload = "multipart/form-data" in op.get("requestBody", {}).get("content", {})
        for status in sorted(_error_statuses(method, op, view)):
            response = problem_response(status)
            # A view's own description is kept; flask-openapi3's stock one ("Not Found") is not.
            given = responses.get(str(status), {}).get("description")
            if given and given != HTTP_STATUS.get(str(status)):
                response["description"] = given
            elif upload and status == 415:
                response["description"] = "Bukan multipart/form-data / Not multipart/form-data"
            responses[str(status)] = response
        doc["paths"][path][method]["responses"] = dict(sorted(responses.items()))
    _operation_ids(entries)
    schemas.pop("ValidationErrorModel", None)

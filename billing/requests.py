"""Input guards that run before validation: 415 for a wrong content type, 400 for broken JSON,
422 when the JSON is not an object or any text holds a NUL character, and ``<int:…>`` URL parts
bounded to what a BIGINT holds. 413 comes from Flask's MAX_CONTENT_LENGTH, or for a view marked
``@accepts_upload`` (a file sent as multipart/form-data) from ``BILLING_MAX_UPLOAD_BYTES``."""

import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from flask import Flask, Request, current_app, request
from werkzeug.routing import IntegerConverter, Map

from billing.columns import BIGINT_MAX
from billing.errors import BillingError, InvalidInput


class UnsupportedMediaType(BillingError):
    status = 415
    code = "unsupported_media_type"
    title = "Jenis konten tidak didukung / Unsupported media type"


class MalformedJson(BillingError):
    status = 400
    code = "malformed_json"
    title = "JSON rusak / Malformed JSON"


F = TypeVar("F", bound=Callable[..., Any])
UPLOAD_ATTR = "_billing_upload"
MULTIPART = "multipart/form-data"

NUL_DETAIL = "Teks tidak boleh berisi karakter NUL (\\u0000). / Text must not contain the NUL character (\\u0000)."


def _nul_fields(value: Any, field: str | None = None) -> Iterator[str | None]:
    """The dotted paths (``programs.1``) of strings, keys included, that hold a NUL character."""
    if isinstance(value, str):
        if "\x00" in value:
            yield field
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            if "\x00" in str(key):
                yield name
            yield from _nul_fields(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nul_fields(item, f"{field}.{i}" if field else str(i))


def _refuse_nul(fields: list[str | None]) -> None:
    # PostgreSQL cannot store a NUL in text (psycopg refuses to send it): refused up front, on every
    # backend, for every endpoint, rather than failing at the database.
    if fields:
        raise InvalidInput(
            NUL_DETAIL,
            code="nul_character",
            errors=[{"field": f, "message": "contains a NUL character", "type": "nul_character"} for f in fields],
        )


def check_url() -> None:
    """No NUL character in the path or the query string (keys or values)."""
    fields: list[str | None] = [None] if "\x00" in request.path else []
    for key, values in request.args.lists():
        fields.extend(_nul_fields({key: values[0] if len(values) == 1 else values}))
    _refuse_nul(fields)


class Int64Converter(IntegerConverter):
    """``<int:…>`` that does not match numbers no database column can hold: 404, not a driver overflow."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        if len(args) < 3:  # (fixed_digits, min, max) given positionally keep their own max
            kwargs.setdefault("max", BIGINT_MAX)
        super().__init__(map, *args, **kwargs)


class ApiRequest(Request):
    """An empty POST/PUT/PATCH body reads as ``{}``: ``POST …/suspend`` needs no body when every field
    is optional, and a body model with required fields still answers 422 naming them."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if self.method in ("POST", "PUT", "PATCH") and not self.get_data(cache=True):
            return {}
        return super().get_json(force=force, silent=silent, cache=cache)


def accepts_upload(fn: F) -> F:
    """The view takes a file as multipart/form-data, up to ``max_upload_bytes`` (not the JSON limit)."""
    setattr(fn, UPLOAD_ATTR, True)
    return fn


def _takes_upload() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, UPLOAD_ATTR, False))


def _upload_limit() -> None:
    # Before anything reads the body (the CSRF check reads the form): the limit applies from the first byte.
    if _takes_upload():
        request.max_content_length = current_app.extensions["billing.settings"].max_upload_bytes


def init_app(app: Flask) -> None:
    """Before any route is added: the converter applies to the rules as they are built. The upload
    limit is the first thing every request runs."""
    app.url_map.converters["int"] = Int64Converter
    app.request_class = ApiRequest
    app.before_request(_upload_limit)


def check_body() -> None:
    # An unknown URL or method answers 404/405 whatever its body.
    if request.routing_exception is not None or request.method not in ("POST", "PUT", "PATCH"):
        return
    if _takes_upload() and request.mimetype != "application/json":
        # Its form is read (and its fields validated) by the view; JSON is refused there as a missing file.
        if request.mimetype != MULTIPART and request.content_length:
            raise UnsupportedMediaType(
                "Kirim berkas sebagai multipart/form-data. / Send the file as multipart/form-data.",
                code="unsupported_media_type",
            )
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            "Kirim badan permintaan sebagai application/json. / Send the body as application/json."
        )
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise MalformedJson("JSON terlalu bersarang. / The JSON is nested too deeply.", code="json_too_deep") from exc
    except ValueError as exc:
        raise MalformedJson("Badan permintaan bukan JSON yang sah. / The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise InvalidInput(
            "Badan permintaan harus objek JSON. / The body must be a JSON object.", code="body_not_object"
        )
    _refuse_nul(list(_nul_fields(data)))

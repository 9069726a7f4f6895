"""One error base class, one handler: every error is RFC 9457 ``application/problem+json``."""

from typing import Any

from flask import Flask, Response, json, request
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://bpu-autodebit.example/problems/"


class BillingError(Exception):
    """A business or input error with a stable ``code``; ``detail`` is Indonesian first, then English."""

    status = 400
    code = "bad_request"
    title = "Permintaan tidak valid / Bad request"

    def __init__(self, detail: str, *, code: str | None = None, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.errors = errors


class InvalidInput(BillingError):
    status = 422
    code = "invalid_input"
    title = "Data tidak valid / Invalid input"


class Unauthenticated(BillingError):
    status = 401
    code = "unauthenticated"
    title = "Perlu autentikasi / Authentication required"


class Forbidden(BillingError):
    status = 403
    code = "forbidden"
    title = "Akses ditolak / Forbidden"


class NotFound(BillingError):
    status = 404
    code = "not_found"
    title = "Tidak ditemukan / Not found"


class Conflict(BillingError):
    status = 409
    code = "conflict"
    title = "Bertentangan dengan keadaan saat ini / Conflict with the current state"


class TooManyRequests(BillingError):
    """A limit of sends or tries was reached; ``retry_after`` seconds go out as ``Retry-After``."""

    status = 429
    code = "too_many_requests"
    title = "Terlalu banyak permintaan / Too many requests"

    def __init__(self, detail: str, *, code: str | None = None, retry_after: int | None = None):
        super().__init__(detail, code=code)
        self.retry_after = retry_after


def problem(status: int, code: str, title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    resp = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="billing"'
    return resp


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as ``{field, message, type}``, field paths dotted (``programs.1``)."""
    out = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = [str(p) for p in err["loc"] if p != "__root__"]
        out.append({"field": ".".join(loc) or None, "message": err["msg"], "type": err["type"]})
    return out


def validation_problem(exc: ValidationError) -> Response:
    return problem(
        422,
        "invalid_input",
        InvalidInput.title,
        "Beberapa kolom tidak valid; lihat 'errors'. / Some fields are invalid; see 'errors'.",
        field_errors(exc),
    )


INTERNAL_DETAIL = "Terjadi kesalahan pada server; tidak ada data yang diubah. / The server failed; nothing was changed."

_HTTP_CODES = {
    400: (
        "bad_request",
        "Permintaan tidak valid / Bad request",
        "Permintaan tidak dapat diproses. / The request is invalid.",
    ),
    404: ("not_found", NotFound.title, "Alamat ini tidak ada. / There is nothing at this URL."),
    405: (
        "method_not_allowed",
        "Metode tidak diizinkan / Method not allowed",
        "Metode ini tidak berlaku untuk alamat ini; lihat header Allow. / This method is not allowed here; see Allow.",
    ),
    413: (
        "payload_too_large",
        "Data terlalu besar / Payload too large",
        "Badan permintaan melebihi batas ukuran. / The request body is over the size limit.",
    ),
    415: (
        "unsupported_media_type",
        "Jenis konten tidak didukung / Unsupported media type",
        "Kirim badan permintaan sebagai application/json. / Send the body as application/json.",
    ),
    # Flask's own 500, for an error raised outside the view (an after-request hook): still a bug.
    500: ("internal_error", "Kesalahan internal / Internal error", INTERNAL_DETAIL),
}


# SQLSTATEs after which the same request, sent again, succeeds: two transactions locked the same rows in
# opposite orders (the database broke the tie by rolling this one back), or the server is away.
_TRY_AGAIN = {"40P01", "40001"}
_AWAY = ("08", "57P")


def database_problem(exc: DBAPIError) -> Response | None:
    """503 with ``Retry-After`` when the database refused this transaction only for now; None for any
    other database error, which is a bug. A deadlock or serialization failure is a certain rollback. A
    connection lost before the commit loses the transaction; lost during it (``billing.db.commit``), the
    server may have committed before the answer was lost, so the client is told to look first."""
    state = str(getattr(exc.orig, "sqlstate", "") or "")
    if state in _TRY_AGAIN:
        code, detail = (
            "try_again",
            (
                "Permintaan lain mengubah data yang sama; tidak ada yang diubah, kirim lagi. / Another request "
                "changed the same records; nothing was changed, send it again."
            ),
        )
    elif (exc.connection_invalidated or state.startswith(_AWAY)) and getattr(exc, "during_commit", False):
        code, detail = (
            "outcome_unknown",
            (
                "Basis data terputus saat menyimpan; perubahan mungkin sudah tersimpan. Periksa dulu sebelum "
                "mengirim lagi. / The database went away while saving; the change may have been saved. Check "
                "before sending it again."
            ),
        )
    elif exc.connection_invalidated or state.startswith(_AWAY):
        code, detail = (
            "database_unavailable",
            (
                "Basis data sedang tidak terjangkau; tidak ada yang diubah, coba lagi. / The database cannot be "
                "reached; nothing was changed, try again."
            ),
        )
    else:
        return None
    resp = problem(503, code, "Coba lagi / Try again", detail)
    resp.headers["Retry-After"] = "1" if code == "try_again" else "5"
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BillingError)
    def _billing_error(exc: BillingError) -> Response:
        resp = problem(exc.status, exc.code, exc.title, exc.detail, exc.errors)
        if isinstance(exc, TooManyRequests) and exc.retry_after is not None:
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError) -> Response:
        return validation_problem(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        # flask-openapi3 aborts with a ready-made response (our validation problem): pass it through.
        if exc.response is not None:
            return exc.response
        # The request's commit (an after_request hook) failed: Flask hands that over as a 500.
        if isinstance(exc, InternalServerError) and isinstance(exc.original_exception, DBAPIError):
            found = database_problem(exc.original_exception)
            if found is not None:
                return found
        status = exc.code or 500
        code, title, detail = _HTTP_CODES.get(status, ("http_error", exc.name, exc.name))
        # werkzeug's stock descriptions are English only; a description given to abort() is kept.
        if exc.description and exc.description != type(exc).description:
            detail = exc.description
        resp = problem(status, code, title, detail)
        # Keep the exception's own headers (``Allow`` on a 405 is required by RFC 9110).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> Response:
        from billing import db

        db.rollback_session()
        found = database_problem(exc)
        if found is None:
            return _unexpected(exc)
        app.logger.warning("database_refused_request: %s", type(exc.orig).__name__)
        return found

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        from billing import db

        app.logger.exception("unhandled error")
        # A failed flush leaves the session unusable (and its rows expired) until it is rolled back:
        # the rest of the request (the access log line) must not trip over it.
        db.rollback_session()
        code, title, detail = _HTTP_CODES[500]
        return problem(500, code, title, detail)

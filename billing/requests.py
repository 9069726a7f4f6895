"""Body checks before validation: 415 for a wrong content type, 400 for broken JSON,
422 when the JSON is not an object. 413 comes from Flask's MAX_CONTENT_LENGTH."""

import json

from flask import request

from billing.errors import BillingError, InvalidInput


class UnsupportedMediaType(BillingError):
    status = 415
    code = "unsupported_media_type"
    title = "Jenis konten tidak didukung / Unsupported media type"


class MalformedJson(BillingError):
    status = 400
    code = "malformed_json"
    title = "JSON rusak / Malformed JSON"


def check_body() -> None:
    if request.method not in ("POST", "PUT", "PATCH"):
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
    except ValueError as exc:
        raise MalformedJson("Badan permintaan bukan JSON yang sah. / The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise InvalidInput(
            "Badan permintaan harus objek JSON. / The body must be a JSON object.", code="body_not_object"
        )

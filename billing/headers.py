"""Security headers on every response: no MIME sniffing, no caching of the API's personal data, and
for HTML pages (the API docs, report pages) a content security policy that forbids framing."""

import base64
import hashlib
import re

from flask import Flask, Response, request

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
# Styles may be inline: Swagger UI writes style attributes into its markup, and a style cannot run code.
_POLICY = (
    "default-src 'none'; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(html: str) -> str:
    """The policy for one page: its own inline scripts (Swagger UI's start-up script) are allowed by
    their hash, nothing else inline."""
    hashes = sorted(
        {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in _INLINE_SCRIPT.findall(html)}
    )
    return _POLICY.format(scripts="".join(f" 'sha256-{h}'" for h in hashes))


def init_app(app: Flask, api_prefix: str) -> None:
    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers["X-Content-Type-Options"] = "nosniff"
        if request.path.startswith(api_prefix + "/"):
            # NIKs, names and phone numbers: no browser or proxy keeps a copy.
            resp.headers["Cache-Control"] = "no-store"
        if resp.mimetype == "text/html" and not resp.is_streamed:
            resp.headers["Content-Security-Policy"] = content_security_policy(resp.get_data(as_text=True))
            resp.headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers without CSP 3
        return resp

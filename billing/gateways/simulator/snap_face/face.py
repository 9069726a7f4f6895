"""The part of a SNAP provider's API that the SNAP adapter uses, answered by the simulated bank.

Pure request handling, no I/O: ``app.py`` puts it on HTTP. Every call is checked as a provider would:
the access token request's SHA256withRSA signature against the partner's public key; then on each
transaction the bearer token, ``X-PARTNER-ID``, ``CHANNEL-ID``, ``X-TIMESTAMP``, the HMAC-SHA512
signature and an ``X-EXTERNAL-ID`` not seen before that day. A request that fails a check is refused
(401/400/409) and reaches no account.

Payments are idempotent by ``partnerReferenceNo`` through the bank itself: a replay of a recorded
reference answers the first outcome; one with another amount or account is ``409xx01``. Answers the
bank never processed (injected 429s and 500s, timeouts before the charge) are not recorded, so the
same reference may be sent again. A binding's ``bankCardToken`` is ``snaptok_<binding reference>``;
any other token is the bank's own account token (``sim_ok``, population tokens)."""

import html
import json
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as clock_time
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives.asymmetric import rsa

from billing.gateways.base import (
    ChargeRequest,
    ChargeStatus,
    IdempotencyMismatch,
    RefundStatus,
    ReversalKind,
    SetupRequest,
    SetupStatus,
)
from billing.gateways.simulator import setups
from billing.gateways.simulator.bank import Bank
from billing.gateways.simulator.store import REF_PREFIX, ChargeRecord, SetupRecord
from billing.gateways.snap import signing, wire
from billing.gateways.snap.client import (
    BINDING_INQUIRY_PATH,
    BINDING_PATH,
    PAYMENT_PATH,
    REFUND_PATH,
    STATUS_PATH,
    TOKEN_PATH,
    UNBINDING_PATH,
)

RECORDS_PATH = "/sim/v1.0/debit/transactions"  # not SNAP: what ``ledger verify`` reads
BIND_PAGE = "/bind/"
TOKEN_PREFIX = "snaptok_"
REFUND_PREFIX = "sim_rf_"
UNBOUND = "unbound"
KEPT = 100_000
WIB_OFFSET_S = 7 * 3600
SERVICES = {
    TOKEN_PATH: "73",
    PAYMENT_PATH: "54",
    STATUS_PATH: "55",
    REFUND_PATH: "58",
    BINDING_PATH: "07",
    BINDING_INQUIRY_PATH: "08",
    UNBINDING_PATH: "09",
    RECORDS_PATH: "99",
}
# Test payment methods that debit like a slow bank: accepted as in progress (202), settled later.
PROCESSING_METHODS = frozenset({"sim_processing_ok"})
_SUCCESS = ChargeStatus.succeeded


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | None = None
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False  # a "timeout": the answer is held back longer than a client waits
    notifies: list[dict[str, Any]] = field(default_factory=list)  # notify callbacks to send once answered
    settle: str | None = None  # a payment in progress to finish later


def _snap(status: int, service: str, case: str, message: str, **fields: Any) -> Answer:
    return Answer(status, {"responseCode": f"{status}{service}{case}", "responseMessage": message, **fields})


class SnapFace:
    def __init__(
        self,
        bank: Bank,
        *,
        client_id: str,
        client_secret: str,
        client_public_key: rsa.RSAPublicKey,
        private_key: rsa.RSAPrivateKey,
        processing_s: float = 0.0,
        token_ttl_s: int = 900,
        max_skew_s: int = 300,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.bank = bank
        self.client_id = client_id
        self._secret = client_secret
        self._client_key = client_public_key
        self.private_key = private_key
        self.processing_s = processing_s
        self.token_ttl_s = token_ttl_s
        self.max_skew_s = max_skew_s
        self.now = now
        self.tokens: dict[str, float] = {}  # access token → when it expires
        self._external: tuple[int, set[str]] = (0, set())  # today's X-EXTERNAL-IDs
        self.requests = 0
        self.payments: Counter[str] = Counter()  # payment requests per partnerReferenceNo
        self.refusals: Counter[str] = Counter()  # refused requests per reason
        self.throttle_next = 0  # the next N transaction requests get a 429 (for tests)
        self.in_progress: dict[str, str] = {}  # partnerReferenceNo → its reference, while in progress
        self.notified: deque[dict[str, Any]] = deque(maxlen=KEPT)  # every notify the face emitted
        self._base_url = ""

    # -- entry point -------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes, base_url: str) -> Answer:
        self.requests += 1
        self._base_url = base_url  # where the holder's browser finds the binding pages
        route = path.split("?", 1)[0]
        if route.startswith(BIND_PAGE):
            return self._bind_page(method, route.removeprefix(BIND_PAGE), body)
        service = SERVICES.get(route)
        if service is None or method != "POST":
            return _snap(404, "00", "00", "Not Found")
        if route == TOKEN_PATH:
            return self._token(headers)
        refused = self._check(path, headers, body, service)
        if refused is not None:
            self.refusals[refused.body["responseMessage"] if refused.body else "?"] += 1
            return refused
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return _snap(429, service, "00", "Too Many Requests")
        try:
            params = wire_json(body)
        except ValueError:
            return _snap(400, service, "00", "Bad Request. The body is not a JSON object")
        handler = {
            PAYMENT_PATH: self._payment,
            STATUS_PATH: self._status,
            REFUND_PATH: self._refund,
            BINDING_INQUIRY_PATH: self._binding_inquiry,
            UNBINDING_PATH: self._unbinding,
            RECORDS_PATH: self._records,
        }.get(route)
        if handler is not None:
            return handler(params)
        return self._binding(params)

    # -- security ----------------------------------------------------------------------------------

    def _token(self, headers: Mapping[str, str]) -> Answer:
        h = {k.lower(): v for k, v in headers.items()}
        client, stamp, signature = h.get("x-client-key", ""), h.get("x-timestamp", ""), h.get("x-signature", "")
        if client != self.client_id:
            self.refusals["unknown client"] += 1
            return _snap(401, "73", "00", "Unauthorized. Unknown client")
        if not self._fresh(stamp):
            return _snap(400, "73", "01", "Invalid Field Format X-TIMESTAMP")
        if not signing.rsa_verify(self._client_key, signing.token_string(client, stamp), signature):
            self.refusals["token signature"] += 1
            return _snap(401, "73", "00", "Unauthorized. Signature")
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.now() + self.token_ttl_s
        return _snap(
            200, "73", "00", "Successful", accessToken=token, tokenType="Bearer", expiresIn=str(self.token_ttl_s)
        )

    def _fresh(self, stamp: str) -> bool:
        try:
            moment = wire.parse_timestamp(stamp).timestamp()
        except ValueError:
            return False
        return abs(self.now() - moment) <= self.max_skew_s

    def _check(self, path: str, headers: Mapping[str, str], body: bytes, service: str) -> Answer | None:
        h = {k.lower(): v for k, v in headers.items()}
        scheme, _, token = h.get("authorization", "").partition(" ")
        expires = self.tokens.get(token) if scheme == "Bearer" else None
        if expires is None or expires < self.now():
            return _snap(401, service, "01", "Invalid Token (B2B)")
        if h.get("x-partner-id") != self.client_id:
            return _snap(401, service, "00", "Unauthorized. Unknown partner")
        stamp = h.get("x-timestamp", "")
        if not self._fresh(stamp):
            return _snap(400, service, "01", "Invalid Field Format X-TIMESTAMP")
        message = signing.transaction_string("POST", path, token, body, stamp)
        if not signing.hmac_verify(self._secret, message, h.get("x-signature", "")):
            return _snap(401, service, "00", "Unauthorized. Signature")
        if not h.get("channel-id"):
            return _snap(400, service, "02", "Invalid Mandatory Field CHANNEL-ID")
        external = h.get("x-external-id", "")
        if not external or len(external) > 36:
            return _snap(400, service, "02", "Invalid Mandatory Field X-EXTERNAL-ID")
        today = int(self.now() + WIB_OFFSET_S) // 86_400  # the WIB day, as a number
        if self._external[0] != today:
            self._external = (today, set())
        seen = self._external[1]
        if external in seen:
            return _snap(409, service, "00", "Conflict. X-EXTERNAL-ID already used today")
        seen.add(external)
        return None

    # -- direct debit ------------------------------------------------------------------------------

    def _account(self, token: str) -> str | None:
        """The bank account a ``bankCardToken`` debits; None when the token is unbound or unknown."""
        if not token.startswith(TOKEN_PREFIX):
            return token
        record = self.bank.store.get_setup(token.removeprefix(TOKEN_PREFIX))
        if record is None or record.status != SetupStatus.succeeded.value or record.failure_code == UNBOUND:
            return None
        return record.payment_method

    def _payment(self, p: dict[str, Any]) -> Answer:
        key, token = p.get("partnerReferenceNo"), p.get("bankCardToken")
        if not isinstance(key, str) or not key or len(key) > 64 or not isinstance(token, str) or not token:
            return _snap(400, "54", "02", "Invalid Mandatory Field partnerReferenceNo/bankCardToken")
        try:
            amount, currency = wire.rupiah(p.get("amount"))
        except ValueError:
            return _snap(400, "54", "01", "Invalid Field Format amount")
        self.payments[key] += 1
        before = self.bank.store.get(key)
        account = before.payment_method if before is not None else self._account(token)
        if account is None:
            return _snap(401, "54", "02", "Invalid Customer Token", partnerReferenceNo=key)
        req = ChargeRequest(amount=amount, currency=currency, payment_method=account, idempotency_key=key)
        try:
            result = self.bank.charge(req)
        except IdempotencyMismatch:
            return _snap(409, "54", "01", "Duplicate partnerReferenceNo", partnerReferenceNo=key)
        record = self.bank.store.get(key)
        new = before is None and record is not None
        if record is not None and new and account in PROCESSING_METHODS and record.moved_money:
            self.in_progress[key] = REF_PREFIX + key
        # A new outcome is notified at once; a debit in progress, when it settles.
        notifies = [self.notify_body(record, new)] if record is not None and new and key not in self.in_progress else []
        ref = REF_PREFIX + key if record is not None else None
        fields = {"partnerReferenceNo": key, **({"referenceNo": ref} if ref else {})}
        if result.status is ChargeStatus.unknown:
            answer = _snap(504, "54", "00", "Timeout", **fields)
            answer.stall, answer.notifies = True, notifies
            return answer
        if key in self.in_progress:
            answer = _snap(202, "54", "00", "Request In Progress", **fields)
            answer.notifies, answer.settle = notifies, key
            return answer
        code = result.raw_code or "5005401"
        answer = Answer(int(code[:3]), {"responseCode": code, "responseMessage": result.message, **fields})
        if result.status is _SUCCESS:
            answer.body = {**(answer.body or {}), "responseMessage": "Successful"}
        answer.notifies = notifies
        return answer

    def finish(self, key: str) -> dict[str, Any] | None:
        """A payment in progress settles (its money already moved at the bank): the notify to send."""
        if self.in_progress.pop(key, None) is None:
            return None
        record = self.bank.store.get(key)
        return self.notify_body(record) if record is not None else None

    def _key_of(self, p: dict[str, Any]) -> str | None:
        key, ref = p.get("originalPartnerReferenceNo"), p.get("originalReferenceNo")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            from_ref = ref.removeprefix(REF_PREFIX)
            return from_ref if not isinstance(key, str) or key == from_ref else None
        if isinstance(ref, str) and ref:
            return None  # not one of this bank's references
        return key if isinstance(key, str) and key else None

    def transaction(self, record: ChargeRecord, new: bool = False) -> dict[str, Any]:
        """A payment as the status inquiry, the notify and the list of transactions report it (a
        ``new`` one has no refunds yet)."""
        key = record.idempotency_key
        if not record.moved_money:
            status = "06"
        elif key in self.in_progress:
            status = "03"
        elif not new and self.bank.held(key) == 0 and any(r.charge_key == key for r in self.bank.reversals()):
            status = "04"
        else:
            status = "00"
        desc = {"00": "Success", "03": "Pending", "04": "Refunded", "06": "Failed"}[status]
        result = record.result
        body: dict[str, Any] = {
            "originalPartnerReferenceNo": key,
            "originalReferenceNo": REF_PREFIX + key,
            "serviceCode": "54",
            "latestTransactionStatus": status,
            "transactionStatusDesc": desc,
            "originalResponseCode": record.raw_code,
            "originalResponseMessage": result.message,
            "amount": wire.amount(record.amount, record.currency),
        }
        if record.moved_money:
            body["paidTime"] = wire.timestamp(datetime.combine(record.day, clock_time(12), wire.WIB))
        return body

    def notify_body(self, record: ChargeRecord, new: bool = False) -> dict[str, Any]:
        body = {**self.transaction(record, new), "additionalInfo": {}}
        del body["serviceCode"]
        self.notified.append(body)
        return body

    def sign_notify(self, body: dict[str, Any], path: str, stamp: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The callback as the bank POSTs it to ``path``: the minified body and its signed headers."""
        payload = wire.minify(body)
        stamp = stamp or wire.timestamp(datetime.fromtimestamp(self.now(), wire.WIB))
        headers = {
            "Content-Type": "application/json",
            "X-TIMESTAMP": stamp,
            "X-SIGNATURE": signing.sign_notify(self.private_key, "POST", path, payload, stamp),
            "X-PARTNER-ID": self.client_id,
            "X-EXTERNAL-ID": wire.external_id(),
            "CHANNEL-ID": "95221",
        }
        return payload, headers

    def _status(self, p: dict[str, Any]) -> Answer:
        key = self._key_of(p)
        record = self.bank.store.get(key) if key else None
        if record is None:
            return _snap(404, "55", "01", "Transaction Not Found")
        return _snap(200, "55", "00", "Successful", **self.transaction(record))

    def _refund(self, p: dict[str, Any]) -> Answer:
        key, refund_key = self._key_of(p), p.get("partnerRefundNo")
        if not isinstance(refund_key, str) or not refund_key or len(refund_key) > 64:
            return _snap(400, "58", "02", "Invalid Mandatory Field partnerRefundNo")
        try:
            amount, _ = wire.rupiah(p.get("refundAmount"))
        except ValueError:
            return _snap(400, "58", "01", "Invalid Field Format refundAmount")
        if key is None or self.bank.store.get(key) is None:
            return _snap(404, "58", "01", "Transaction Not Found")
        try:
            done = self.bank.reverse(key, amount, refund_key, ReversalKind.refund)
        except IdempotencyMismatch:
            return _snap(409, "58", "01", "Duplicate partnerRefundNo")
        if done.status is not RefundStatus.succeeded:
            return _snap(404, "58", "13", f"Invalid Amount. {done.message}")
        return _snap(
            200,
            "58",
            "00",
            "Successful",
            originalPartnerReferenceNo=key,
            originalReferenceNo=REF_PREFIX + key,
            refundNo=REFUND_PREFIX + refund_key,
            partnerRefundNo=refund_key,
            refundAmount=wire.amount(amount),
            refundTime=wire.timestamp(datetime.fromtimestamp(self.now(), wire.WIB)),
        )

    def _records(self, p: dict[str, Any]) -> Answer:
        cursor, limit = p.get("cursor", 0), p.get("limit", 500)
        if type(cursor) is not int or type(limit) is not int or cursor < 0 or not 1 <= limit <= 1000:
            return _snap(400, "99", "01", "Invalid Field Format cursor/limit")
        items: list[dict[str, Any]]
        if p.get("kind") == "refunds":
            wanted = p.get("originalReferenceNo")
            items = [
                {
                    "refundNo": REFUND_PREFIX + r.key,
                    "originalReferenceNo": REF_PREFIX + r.charge_key,
                    "partnerRefundNo": r.key,
                    "refundAmount": wire.amount(r.amount),
                    "kind": r.kind,
                }
                for r in self.bank.reversals()
                if wanted is None or REF_PREFIX + r.charge_key == wanted
            ]
        else:
            items = [self.transaction(r) for r in self.bank.charges()]
        chunk = items[cursor : cursor + limit]
        following = cursor + limit if cursor + limit < len(items) else None
        return _snap(200, "99", "00", "Successful", items=chunk, nextCursor=following)

    # -- account binding ---------------------------------------------------------------------------

    def _binding(self, p: dict[str, Any]) -> Answer:
        key, back = p.get("partnerReferenceNo"), p.get("redirectUrl")
        info = p.get("additionalInfo") if isinstance(p.get("additionalInfo"), dict) else {}
        assert isinstance(info, dict)
        try:
            max_amount, _ = wire.rupiah(info.get("maxAmount"))
            day = int(str(info.get("debitDay", "")))
        except ValueError:
            return _snap(400, "07", "01", "Invalid Field Format additionalInfo")
        if not isinstance(key, str) or not key or not isinstance(back, str) or not back:
            return _snap(400, "07", "02", "Invalid Mandatory Field partnerReferenceNo/redirectUrl")
        req = SetupRequest(
            customer=str(info.get("customerId", "")),
            channel=str(info.get("channel", "bank")),
            provider=str(info.get("provider", "")),
            max_amount=max_amount,
            debit_day=day,
            return_url=back,
            idempotency_key=key,
        )
        reference = setups.start(self.bank.store, req).reference
        return _snap(
            200,
            "07",
            "00",
            "Successful",
            referenceNo=reference,
            partnerReferenceNo=key,
            redirectUrl=f"{self._base_url}{BIND_PAGE}{reference}",
        )

    def _binding_inquiry(self, p: dict[str, Any]) -> Answer:
        ref = p.get("originalReferenceNo")
        record = self.bank.store.get_setup(ref) if isinstance(ref, str) and ref else None
        if record is None:
            return _snap(404, "08", "01", "Transaction Not Found")
        info: dict[str, Any] = {"bindingStatus": _binding_status(record)}
        fields: dict[str, Any] = {"referenceNo": record.reference, "partnerReferenceNo": record.idempotency_key}
        if info["bindingStatus"] == "SUCCESS":
            fields["bankCardToken"] = TOKEN_PREFIX + record.reference
            info["accountDisplay"] = record.display
        elif info["bindingStatus"] == "PENDING":
            fields["redirectUrl"] = f"{self._base_url}{BIND_PAGE}{record.reference}"
        else:
            info["failureReason"] = record.failure_code
        return _snap(200, "08", "00", "Successful", **fields, additionalInfo=info)

    def _unbinding(self, p: dict[str, Any]) -> Answer:
        token = p.get("bankCardToken")
        ref = token.removeprefix(TOKEN_PREFIX) if isinstance(token, str) and token.startswith(TOKEN_PREFIX) else ""
        record = self.bank.store.get_setup(ref) if ref else None
        if record is None or _binding_status(record) not in ("SUCCESS", "UNBOUND"):
            return _snap(404, "09", "11", "Invalid Card/Account/Customer")
        if record.failure_code != UNBOUND:
            self.bank.store.save_setup(record._replace(failure_code=UNBOUND))
        return _snap(200, "09", "00", "Successful", referenceNo=record.reference)

    def _bind_page(self, method: str, reference: str, body: bytes) -> Answer:
        """The bank's page where the account holder picks the account and types the OTP (shown here:
        there is no phone). Unauthenticated, like the page a bank opens in the holder's browser."""
        record = self.bank.store.get_setup(reference)
        if record is None:
            return Answer(404, html=_page("Tidak ditemukan / Not found", ""))
        if method == "GET":
            return Answer(200, html=_bind_form(record, wrong=False))
        form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
        if form.get("decision") == "decline":
            setups.decline(self.bank.store, reference)
        else:
            answered = setups.confirm(self.bank.store, reference, form.get("code", ""), form.get("account", ""))
            if answered is not None and answered.status == SetupStatus.requires_action.value:
                return Answer(422, html=_bind_form(answered, wrong=True))
        return Answer(303, headers={"Location": record.return_url})


def _binding_status(record: SetupRecord) -> str:
    if record.status == SetupStatus.succeeded.value:
        return "UNBOUND" if record.failure_code == UNBOUND else "SUCCESS"
    return "PENDING" if record.status == SetupStatus.requires_action.value else "FAILED"


def wire_json(body: bytes) -> dict[str, Any]:
    parsed = json.loads(body or b"{}")
    if not isinstance(parsed, dict):
        raise ValueError("not a JSON object")
    return parsed


def _page(title: str, content: str) -> str:
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{content}</body></html>"
    )


def _bind_form(record: SetupRecord, wrong: bool) -> str:
    if record.status != SetupStatus.requires_action.value:
        back = html.escape(record.return_url)
        return _page("Permintaan selesai / Request closed", f'<p><a href="{back}">Kembali / Back</a></p>')
    options = "".join(
        f'<option value="{html.escape(a.token)}">{html.escape(a.label)}</option>' for a in setups.ACCOUNTS
    )
    alert = '<p role="alert">Kode OTP salah. / Wrong OTP.</p>' if wrong else ""
    content = (
        f"<p>{html.escape(record.provider)} · Rp {record.max_amount:,} · {record.debit_day}</p>{alert}"
        '<form method="post"><select name="account">' + options + "</select>"
        '<input name="code" inputmode="numeric" maxlength="6" required>'
        f'<p>OTP: <strong id="bank-otp">{html.escape(record.otp)}</strong></p>'
        '<button name="decision" value="approve">Setujui / Approve</button></form>'
        '<form method="post"><button name="decision" value="decline">Tolak / Decline</button></form>'
    )
    return _page("Konfirmasi autodebet / Confirm the auto-debit", content)

"""Bulk actions over a filtered selection of the queue: rules as data, one registry.

An action is registered once, by key::

    BULK_ACTIONS["remind"] = BulkAction(
        label_id="Kirim pengingat",
        label_en="Send a reminder",
        roles=frozenset({Role.finance, Role.admin}),
        apply=send_reminder,  # (session, contribution_id, actor, reason, params) -> None
        params=None,  # or a pydantic model of the action's own form fields
    )

``apply`` does the action to ONE month in the transaction it is handed, audits what it did
(``billing.audit.service.record``), and refuses by raising a ``billing.errors.BillingError``: the month's
writes are then rolled back (a savepoint) and its code and detail reported; the other months keep
theirs. ``params`` is the model of its fields (validated once, before any month), passed to ``apply``.

A run has two steps. ``preview`` reads the selection (the months the filter selects at that moment):
their count, total rupiah and a fingerprint of their ids, latest attempts and amounts. ``run`` is the
confirmation, with a required reason and that fingerprint: it reads the selection again and, when the
fingerprint differs (a month joined or left the queue, was tried again or partly paid meanwhile),
refuses the whole run (409 ``selection_changed``) and changes nothing, so that exactly the months
previewed are acted on, or none. A selection of more than ``MAX_MONTHS`` months is refused: narrow
the filter."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlmodel import Session

from billing.audit.service import record
from billing.auth.models import ApiUser, Role
from billing.casework import actions
from billing.columns import RowId
from billing.errors import BillingError, Conflict, Forbidden, InvalidInput, NotFound, field_errors
from billing.failed_debits import assignment, service
from billing.failed_debits.schemas import QueueFilter

MAX_MONTHS = 5000

Apply = Callable[[Session, int, ApiUser, str, Any], None]


@dataclass(frozen=True)
class BulkAction:
    label_id: str
    label_en: str
    roles: frozenset[Role]
    apply: Apply
    params: type[BaseModel] | None = None


class AssignParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: RowId | None = None  # None: unassign


def _assign(session: Session, contribution_id: int, actor: ApiUser, reason: str, params: AssignParams) -> None:
    assignment.assign(session, [contribution_id], params.assignee_id, actor, reason)


def _case(act: Callable[..., actions.Outcome]) -> Apply:
    """A case action (``billing.casework.actions``) done to each month of the selection. A bulk retry
    only plans the attempts: the debit workers send them."""

    def apply(session: Session, contribution_id: int, actor: ApiUser, reason: str, params: Any) -> None:
        act(session, contribution_id, actor, reason)

    return apply


_FINANCE = frozenset({Role.finance, Role.admin})

BULK_ACTIONS: dict[str, BulkAction] = {
    "assign": BulkAction(
        label_id="Tugaskan ke petugas",
        label_en="Assign to a staff member",
        roles=frozenset(assignment.ASSIGNABLE),
        apply=_assign,
        params=AssignParams,
    ),
    "retry": BulkAction("Coba debit lagi sekarang", "Retry the debit now", _FINANCE, _case(actions.retry)),
    "remind": BulkAction("Kirim pengingat", "Send a reminder", _FINANCE, _case(actions.send_reminder)),
    "suspend": BulkAction("Tangguhkan mandat", "Suspend the mandate", _FINANCE, _case(actions.suspend_mandate)),
    "resume": BulkAction("Lanjutkan mandat", "Resume the mandate", _FINANCE, _case(actions.resume_mandate)),
    # Above the approval limit each month becomes a waiver request for a second user (maker-checker).
    "waive": BulkAction("Hapuskan iuran", "Waive the contribution", _FINANCE, _case(actions.waive)),
    "note": BulkAction("Tambah catatan (alasan)", "Add a note (the reason)", _FINANCE, _case(actions.add_note)),
}


@dataclass(frozen=True)
class Preview:
    action: str
    months: int
    amount: int
    fingerprint: str

    @property
    def too_many(self) -> bool:
        return self.months > MAX_MONTHS


@dataclass
class Result:
    action: str
    done: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (month id, code, detail)


def action(key: str, actor: ApiUser) -> BulkAction:
    found = BULK_ACTIONS.get(key)
    if found is None:
        raise NotFound(f"Tindakan '{key}' tidak dikenal. / Unknown bulk action '{key}'.", code="unknown_bulk_action")
    if actor.role not in found.roles:
        raise Forbidden(
            f"Peran Anda tidak boleh melakukan '{key}'. / Your role may not do '{key}'.", code="role_not_allowed"
        )
    return found


def parse_params(act: BulkAction, raw: dict[str, Any]) -> Any:
    if act.params is None:
        return None
    try:
        return act.params.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(
            "Isian tindakan tidak valid; lihat 'errors'. / The action's fields are invalid; see 'errors'.",
            errors=field_errors(exc),
        ) from None


def preview(session: Session, key: str, f: QueueFilter, ctx: service.Context, actor: ApiUser) -> Preview:
    action(key, actor)
    chosen = service.select_months(session, f, ctx)
    return Preview(key, len(chosen.ids), chosen.amount, chosen.fingerprint)


def run(
    session: Session,
    key: str,
    f: QueueFilter,
    ctx: service.Context,
    actor: ApiUser,
    reason: str,
    raw_params: dict[str, Any],
    fingerprint: str,
) -> Result:
    """Apply the action to each month of the selection previewed, each in its own savepoint; audited
    month by month (refusals too) and as a whole."""
    act = action(key, actor)
    reason = assignment.checked_reason(reason)
    params = parse_params(act, raw_params)
    chosen = service.select_months(session, f, ctx)
    if len(chosen.ids) > MAX_MONTHS:
        raise Conflict(
            f"Terlalu banyak bulan ({len(chosen.ids)}; paling banyak {MAX_MONTHS}); persempit saringan. / "
            f"Too many months ({len(chosen.ids)}; at most {MAX_MONTHS}); narrow the filter.",
            code="selection_too_large",
        )
    if chosen.fingerprint != fingerprint:
        raise Conflict(
            f"Pilihan berubah sejak pratinjau (kini {len(chosen.ids)} bulan, Rp {chosen.amount:,}); tinjau lagi. / "
            f"The selection changed since the preview (now {len(chosen.ids)} months, Rp {chosen.amount:,}); "
            "review it again.",
            code="selection_changed",
        )
    result = Result(key)
    for cid in chosen.ids:
        savepoint = session.begin_nested()
        try:
            act.apply(session, cid, actor, reason, params)
            savepoint.commit()
            result.done += 1
        except BillingError as exc:
            savepoint.rollback()
            result.refused.append((cid, exc.code, exc.detail))
            record(
                session,
                action="queue.bulk_refused",
                target=("contribution", cid),
                after={"action": key, "code": exc.code},
                reason=reason,
                user=actor,
            )
    record(
        session,
        action="queue.bulk",
        after={
            "action": key,
            "params": raw_params,
            "filter": f.args(),
            "months": len(chosen.ids),
            "amount": chosen.amount,
            "fingerprint": fingerprint,
            "done": result.done,
            "refused": len(result.refused),
        },
        reason=reason,
        user=actor,
    )
    return result

"""A stateful property test of the money: hypothesis interleaves the engine's steps (planning, a worker
claiming, checking and handing off a batch, charging, resolving, dying between any two of them; the
settlement job) with what people do through the API (cash receipts, prepayments, waivers, revoking,
suspending, resuming and rebinding mandates, leaving) and with what the gateway says and does
(webhooks duplicated, late and out of order; payments completed after a decline; refunds made at the
gateway; disputes opened and won). The gateway is the Stripe adapter in front of the simulator's
Stripe face, in-process.

After every step the books are consistent and agree with the gateway: every debit receipt has its
success there, and every success there is a receipt or a debit still in flight. At the end, with
everything in flight settled and every event delivered, ``ledger verify`` against the gateway's own
records passes: each charge is once in the books and once at the bank (or its excess is credit)."""

import json
import os
from datetime import date, timedelta

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from billing.debits import execution
from billing.debits.execution import Batch, charge_metadata, charge_requests, claim, take
from billing.debits.policy import from_settings as retry_policy
from billing.debits.resolve import AttemptRow, resolve
from billing.debits.service import start_debit_run
from billing.gateways.base import ChargeResult, ChargeStatus
from billing.gateways.simulator.stripe_face import build
from billing.gateways.stripe import signature
from billing.gateways.stripe.client import StripeGateway
from billing.gateways.stripe.settings import StripeSettings
from billing.ledger.verify import verify
from billing.timeutil import utcnow
from schedulers import jobs
from tests.conftest import empty_database
from tests.debits.world import enrol, rows
from tests.factories import auth, token

SECRET = "whsec_machine"
START = date(2024, 6, 5)
PEOPLE = 3
METHODS = ["sim_ok", "sim_processing_ok", "sim_timeout_then_ok", "sim_timeout_before_charge", "sim_insufficient_funds"]
LEASE = timedelta(seconds=120)
# Bounded for CI: examples per backend (raise with MONEY_MACHINE_EXAMPLES for a longer search).
EXAMPLES = int(os.environ.get("MONEY_MACHINE_EXAMPLES", "20"))


def _transport(face, events: list[dict]):  # type: ignore[no-untyped-def,type-arg]
    """The face in-process: its events are kept for the test to deliver when it chooses."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            answer = face.post(request.url.path, request.content, request.headers.get("Idempotency-Key"))
        else:
            answer = face.get(request.url.path, dict(request.url.params))
        events.extend(answer.events)
        if answer.stall:
            raise httpx.ReadTimeout("the face held its answer", request=request)
        return httpx.Response(answer.status, json=answer.body, headers=answer.headers)

    return httpx.MockTransport(handle)


class Worker:
    """One ``billing worker`` process, one step at a time; what it holds in memory dies with it."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.forget()

    def forget(self) -> None:
        self.batch: Batch | None = None
        self.to_send: list[AttemptRow] | None = None  # checked and handed off, not yet charged
        self.answers: tuple[list[AttemptRow], list[ChargeResult]] = ([], [])  # what the gateway said
        self.charged = False


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_money_is_once_in_the_books_and_once_at_the_bank(db_url, app, engine, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    monkeypatch.setenv("BILLING_STRIPE_WEBHOOK_SECRETS", json.dumps([SECRET]))
    clock = {"today": START}
    for module in ("contributions", "mandates", "participants", "payments"):
        monkeypatch.setattr(f"billing.{module}.api.today", lambda: clock["today"])
    policy = retry_policy(settings)

    class Money(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            empty_database(db_url)
            self.events: list[dict] = []  # type: ignore[type-arg]
            self.cfg = build(clock=lambda: clock["today"], webhook_secret=SECRET)
            self.face = self.cfg.face
            self.gateway = StripeGateway(
                StripeSettings(base_url="http://face", max_retries=0, webhook_secrets=[SECRET]),
                transport=_transport(self.face, self.events),
            )
            monkeypatch.setattr("billing.webhooks.api.app_gateway", lambda name: self.gateway)
            monkeypatch.setattr("billing.payments.api.app_gateway", lambda name: self.gateway)
            clock["today"] = START
            self.workers = [Worker("w0"), Worker("w1")]
            self.staff = {role: auth(token(app, role)) for role in ("admin", "finance")}
            self.people: list[int] = []
            self.receipts = 0
            # Keys of attempts not yet sent when a person's act settled their month or stopped their
            # mandate: the gateway must never see them.
            self.stopped: set[str] = set()

        @initialize(methods=st.lists(st.sampled_from(METHODS), min_size=PEOPLE, max_size=PEOPLE))
        def enrol_people(self, methods: list[str]) -> None:
            for method in methods:
                self.people.append(enrol(engine, date(2024, 6, 1), method, gateway="stripe"))
            jobs.generate_contributions(jobs.JobContext(settings, engine), START)
            start_debit_run(engine, settings, START)

        def teardown(self) -> None:
            if self.people:  # the example ran: whatever it left in flight must end in agreement
                self.everything_settles()
            self.gateway.close()

        # -- the engine ------------------------------------------------------------------------

        @rule(w=st.integers(0, 1), steps=st.integers(1, 4))
        def worker_steps(self, w: int, steps: int) -> None:
            for _ in range(steps):
                self._step(self.workers[w])

        def _step(self, worker: Worker) -> None:
            """One step of a worker: claim a batch, check and hand it off, charge it, resolve it."""
            if worker.batch is None:
                worker.batch = claim(engine, worker.owner, LEASE)
            elif worker.to_send is None:
                self._hand_off(worker, worker.batch)
            elif not worker.charged:
                worker.answers[0].extend(worker.to_send)
                worker.answers[1].extend(self.gateway.charge_many(charge_requests(worker.to_send)))
                worker.charged = True
            else:
                with engine.begin() as conn:
                    resolve(conn, *worker.answers, worker.batch.run_date, policy)
                    conn.execute(
                        text("UPDATE debit_batch SET status = 'done' WHERE id = :b AND lease_owner = :o"),
                        {"b": worker.batch.id, "o": worker.owner},
                    )
                worker.forget()

        def _hand_off(self, worker: Worker, batch: Batch) -> None:
            taken = take(engine, batch, worker.owner, batch.run_date)
            if taken is not None and taken.ask_first:
                # A batch a dead worker had handed off: ask the gateway before sending anything again.
                unseen = set()
                for a in taken.ask_first:
                    found = self.gateway.lookup(a.idempotency_key, charge_metadata(a))
                    if found is None or (found.status is ChargeStatus.unknown and found.gateway_reference is None):
                        unseen.add(a.id)
                    else:
                        worker.answers[0].append(a)
                        worker.answers[1].append(found)
                taken = take(engine, batch, worker.owner, batch.run_date, only=unseen)
            if taken is None:  # the lease went to another worker
                worker.forget()
            else:
                worker.to_send = taken.send

        @rule(w=st.integers(0, 1))
        def kill(self, w: int) -> None:
            """The worker dies between two steps: its lease runs out, another may take the batch over."""
            worker = self.workers[w]
            if worker.batch is not None:
                with engine.begin() as conn:
                    conn.execute(
                        text("UPDATE debit_batch SET lease_expires_at = :t WHERE id = :b AND lease_owner = :o"),
                        {"b": worker.batch.id, "o": worker.owner, "t": utcnow() - timedelta(seconds=1)},
                    )
            worker.forget()

        @property
        def ctx(self) -> jobs.JobContext:
            return jobs.JobContext(settings, engine, self.gateway)

        @rule()
        def settle(self) -> None:
            jobs.settle_unknown_outcomes(self.ctx, clock["today"], now=utcnow() + timedelta(hours=2))

        @precondition(lambda self: clock["today"] < START + timedelta(days=40))
        @rule()
        def a_week_later(self) -> None:
            """The next week's jobs: new months, credit applied, the debit run planned."""
            clock["today"] += timedelta(days=7)
            jobs.generate_contributions(jobs.JobContext(settings, engine), clock["today"])
            start_debit_run(engine, settings, clock["today"])

        # -- people, through the API -----------------------------------------------------------

        def _due(self, i: int) -> tuple[int, int] | None:
            found = rows(
                engine,
                "SELECT id, amount_due - amount_paid FROM contribution WHERE participant_id = :p AND status = 'due'"
                " ORDER BY period LIMIT 1",
                p=self.people[i],
            )
            return found[0] if found else None

        def _post(self, url: str, body: dict, role: str = "finance") -> None:  # type: ignore[type-arg]
            resp = client.post(url, json=body, headers=self.staff[role])
            assert resp.status_code < 500, resp.get_json()

        @rule(
            i=st.integers(0, PEOPLE - 1),
            action=st.sampled_from(
                ["cash", "prepay", "waive", "revoke", "suspend", "resume", "activate", "new_account", "leave"]
            ),
            method=st.sampled_from(METHODS),
        )
        def person_acts(self, i: int, action: str, method: str) -> None:
            pid = self.people[i]
            unsent = self._unsent(pid)
            self._act(i, action, method)
            self.stopped |= self._no_longer_sendable(unsent)

        def _unsent(self, pid: int) -> list[int]:
            return [
                aid
                for (aid,) in rows(
                    engine,
                    "SELECT a.id FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id"
                    " JOIN debit_batch b ON b.run_id = a.run_id"
                    " AND a.id BETWEEN b.first_attempt_id AND b.last_attempt_id"
                    " WHERE c.participant_id = :p AND a.status = 'pending' AND b.sent_at IS NULL",
                    p=pid,
                )
            ]

        def _no_longer_sendable(self, attempt_ids: list[int]) -> set[str]:
            # Written out here, not taken from billing.debits.guards: the rule the guards must keep.
            found = rows(
                engine,
                "SELECT a.id, a.idempotency_key, c.status, p.status, m.status, m.payment_method, a.payment_method"
                " FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id"
                " JOIN participant p ON p.id = c.participant_id JOIN mandate m ON m.id = a.mandate_id",
            )
            return {
                key
                for aid, key, month, person, mandate, method, planned_on in found
                if aid in attempt_ids
                and (month != "due" or person in ("ended", "cancelled") or mandate != "active" or method != planned_on)
            }

        def _act(self, i: int, action: str, method: str) -> None:
            pid = self.people[i]
            due = self._due(i)
            self.receipts += 1
            number = f"KW-{self.receipts}"
            if action == "cash" and due is not None:
                body = {"receipt_number": number, "channel": "agent", "amount": due[1], "paid_on": str(clock["today"])}
                self._post(f"/api/v1/contributions/{due[0]}/offline-payment", body)
            elif action == "prepay":
                # The amount must be what the months owe: asked first (a wrong amount is refused whole).
                url = f"/api/v1/participants/{pid}/prepayments"
                body = {"months": 2, "receipt_number": number, "amount": 1}
                refused = client.post(url, json=body, headers=self.staff["finance"]).get_json()
                if refused["code"] == "amount_mismatch":
                    self._post(url, {**body, "amount": int(refused["errors"][0]["message"].split()[-1])})
            elif action == "waive" and due is not None:
                self._post(f"/api/v1/contributions/{due[0]}/waive", {"reason": "bencana banjir"}, "admin")
            elif action == "leave":
                self._post(f"/api/v1/participants/{pid}/cancel", {"reason": "pindah kerja"})
            for (mid,) in rows(engine, "SELECT id FROM mandate WHERE participant_id = :p", p=pid):
                if action == "new_account":
                    resp = client.patch(
                        f"/api/v1/mandates/{mid}", json={"payment_method": method}, headers=self.staff["finance"]
                    )
                    assert resp.status_code < 500
                elif action in ("revoke", "suspend", "resume", "activate"):
                    self._post(f"/api/v1/mandates/{mid}/{action}", {})

        # -- the gateway -----------------------------------------------------------------------

        @precondition(lambda self: bool(self.events))
        @rule(k=st.integers(0, 10_000))
        def deliver(self, k: int) -> None:
            """Any event the face emitted: again, late, or out of order."""
            self._deliver(self.events[k % len(self.events)])

        def _deliver(self, event: dict) -> None:  # type: ignore[type-arg]
            payload = json.dumps(event).encode()
            headers = {signature.HEADER: signature.header(payload, [SECRET]), "Content-Type": "application/json"}
            resp = client.post("/api/v1/webhooks/stripe", data=payload, headers=headers)
            assert resp.status_code == 200, resp.get_json()

        def _intents(self, status: str) -> list[str]:
            return sorted(pi for pi, intent in self.face.intents.items() if intent["status"] == status)

        def _left(self, pi: str) -> int:
            return self.face.bank.held(self.face._bank_key[pi])

        @rule(
            k=st.integers(0, 100),
            action=st.sampled_from(
                ["settle_processing", "complete", "refund", "refund_part", "dispute", "dispute_won"]
            ),
        )
        def gateway_acts(self, k: int, action: str) -> None:
            """The bank settles a processing debit; a payer completes a declined one; someone refunds at
            the gateway; a payer's bank disputes a charge (and loses or wins)."""
            if action == "settle_processing":
                pending = [pi for pi in self._intents("processing") if pi in self.face._finals]
                if pending:
                    self.events.append(self.face.finish(pending[k % len(pending)]))
            elif action == "complete":
                declined = self._intents("requires_payment_method")
                if declined:
                    self.events.append(self.face.complete(declined[k % len(declined)]))
            elif action in ("refund", "refund_part"):
                paid = [pi for pi in self._intents("succeeded") if self._left(pi) > 0]
                if paid:
                    pi = paid[k % len(paid)]
                    self.events.extend(self.face.refund_outside(pi, self._left(pi) if action == "refund" else 100))
            else:
                whole = [
                    pi for pi in self._intents("succeeded") if self._left(pi) == self.face.intents[pi]["amount"] // 100
                ]
                if whole:
                    opened = self.face.dispute(whole[k % len(whole)])
                    self.events.append(opened)
                    if action == "dispute_won":
                        self.events.append(self.face.close_dispute(opened["data"]["object"]["id"], won=True))

        # -- what must always hold -------------------------------------------------------------

        @invariant()
        def books_agree_with_the_gateway(self) -> None:
            with engine.connect() as conn:
                result = verify(conn)
                assert result.ok, result.problems
                attempts = {
                    key: (status, sent)
                    for key, status, sent in conn.execute(
                        text(
                            "SELECT a.idempotency_key, a.status, b.sent_at IS NOT NULL FROM debit_attempt a"
                            " LEFT JOIN debit_batch b ON b.run_id = a.run_id"
                            " AND a.id BETWEEN b.first_attempt_id AND b.last_attempt_id"
                        )
                    )
                }
                receipts = {
                    k
                    for (k,) in conn.execute(
                        text(
                            "SELECT a.idempotency_key FROM ledger_transfer l"
                            " JOIN debit_attempt a ON a.id = l.attempt_id WHERE l.kind = 'debit'"
                        )
                    )
                }
            sent = {c.idempotency_key.split(":")[0] for c in self.face.bank.charges()}
            assert not (self.stopped & sent), self.stopped & sent  # nothing sent that should not be
            at_gateway = {c.idempotency_key for c in self.gateway.charges()}
            assert receipts <= at_gateway, receipts - at_gateway  # nothing recorded without moving
            for key in at_gateway - receipts:
                status, sent = attempts[key]
                # Money that moved is a receipt, or a debit still in flight (its answer or event not in yet).
                assert status in ("unknown", "failed") or (status == "pending" and sent), (key, status, sent)

        def drain(self) -> None:
            """Every worker dies, another finishes their batches; processing debits end; every event
            arrives; what is still unknown is settled (twice: a replay may answer ``processing``)."""
            for w in range(len(self.workers)):
                self.kill(w)
            for _ in range(2):
                execution.work(engine, self.gateway, policy, LEASE)
                for pi in [pi for pi in self._intents("processing") if pi in self.face._finals]:
                    self.events.append(self.face.finish(pi))
                for event in list(self.events):
                    self._deliver(event)
                # The scheduled job: unknown outcomes, and events that named a charge not resolved yet.
                jobs.settle_unknown_outcomes(self.ctx, clock["today"], now=utcnow() + timedelta(days=2))

        def everything_settles(self) -> None:
            self.drain()
            with engine.connect() as conn:
                result = verify(conn, self.gateway)
            assert result.ok, result.problems
            assert rows(engine, "SELECT COUNT(*) FROM debit_attempt WHERE status IN ('pending', 'unknown')") == [(0,)]

    run_state_machine_as_test(
        Money,
        settings=hsettings(
            max_examples=EXAMPLES,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=bool(os.environ.get("CI")),
        ),
    )

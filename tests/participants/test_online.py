"""Enrolment confirmed by a code to the worker's phone, as an agent's flow would use it (source
``agent``): the details wait with the code; only the right code gives them back, once; the consent to
debit and its binding record the agent as the source."""

from datetime import UTC, date, datetime

from sqlalchemy import Engine

from billing.auth.models import Role
from billing.auth.service import create_user
from billing.db import unit_of_work
from billing.gateways.registry import load_gateway
from billing.gateways.simulator import setups
from billing.gateways.simulator.gateway import SimulatorGateway
from billing.mandates import binding
from billing.mandates.models import ConsentSource, ConsentStatus, MandateChannel
from billing.otp.models import OtpChallenge
from billing.otp.senders import ConsoleSender
from billing.otp.service import Refusal
from billing.participants import online
from billing.participants import service as participants
from billing.participants.models import EnrolmentSource
from billing.participants.schemas import ParticipantCreate
from billing.settings import Settings
from tests.factories import participant_body

NOW = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
DAY = date(2026, 5, 4)


def test_an_agent_enrols_a_worker_who_confirms_on_their_own_phone(engine: Engine, settings: Settings) -> None:
    sender = ConsoleSender(reveal=True)
    data = ParticipantCreate(**participant_body(phone="0812-7777-8888"))
    with unit_of_work(engine) as s:
        asked = online.ask_code(s, settings, sender, data, EnrolmentSource.agent, "10.1.1.1", NOW)
        assert isinstance(asked, OtpChallenge)
        challenge_id = asked.id
    with unit_of_work(engine) as s:
        shown = online.waiting(s, challenge_id)
        assert shown is not None and shown.nik == data.nik and shown.enrolment_source is EnrolmentSource.agent
        assert online.confirm(s, settings, challenge_id, "000000", NOW) == Refusal("wrong_code", left=4)
    code = sender.last_code("+6281277778888")
    assert code is not None
    with unit_of_work(engine) as s:
        confirmed = online.confirm(s, settings, challenge_id, code, NOW)
    assert isinstance(confirmed, ParticipantCreate)
    with unit_of_work(engine) as s:
        assert online.confirm(s, settings, challenge_id, code, NOW) == Refusal("used")
        participant = participants.enrol(s, confirmed, DAY)
        assert participant.enrolment_source is EnrolmentSource.agent and participant.id is not None
        pid, name = participant.id, participant.full_name

    gateway = load_gateway("simulator")
    assert isinstance(gateway, SimulatorGateway)
    ask = binding.ConsentAsk(pid, MandateChannel.ewallet, "DANA", 7, 8_400, ConsentSource.agent, "10.1.1.1")
    with unit_of_work(engine) as s:
        consent_id = binding.give(s, ask, "simulator").id
    assert consent_id is not None
    started = binding.begin(engine, gateway, consent_id, name, "http://agent.example/back")
    record = gateway.bank.store.get_setup(started.reference)
    assert record is not None
    setups.confirm(gateway.bank.store, started.reference, record.otp, "sim_ok")
    with unit_of_work(engine) as s:
        agent, _ = create_user(s, role=Role.finance, name="Perisai agent")  # until the agent role exists
    done = binding.finish(engine, gateway, consent_id, agent, DAY)
    assert done.status is ConsentStatus.bound and str(done.source) == "agent"

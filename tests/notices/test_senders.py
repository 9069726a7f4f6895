"""The logging sender never writes a phone number or NIK in clear; senders are found by name."""

import json
import logging

import pytest
from structlog.testing import capture_logs

from billing.notices.models import NoticeKind
from billing.notices.senders import LoggingSender, OutgoingNotice, UnknownSender, known_senders, load_sender
from billing.observability import configure_logging

PHONE, NIK = "+6281234567890", "1971015508950001"
NOTICE = OutgoingNotice(id=7, participant_id=3, kind=NoticeKind.debit_failed, phone=PHONE, dedupe_key="debit_failed:9")
# A text that (wrongly) carries personal data: the sender masks it all the same.
TEXT = f"Peserta NIK {NIK}, telp 0812-3456-7890: saldo tidak cukup. / Insufficient balance."


def test_the_event_itself_is_masked() -> None:
    with capture_logs() as logs:
        LoggingSender().send(NOTICE, TEXT)
    (event,) = logs
    assert event["event"] == "notice_sent"
    assert (event["notice_id"], event["participant_id"], event["kind"]) == (7, 3, "debit_failed")
    assert event["to"] == "+62812******90"
    assert (
        event["text"] == "Peserta NIK 1971********0001, telp 0812******90: saldo tidak cukup. / Insufficient balance."
    )
    dumped = json.dumps(event)
    for secret in ("81234567890", "8123456789", "3456-7890", NIK, "55089500"):
        assert secret not in dumped


def test_the_written_log_line_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    # `billing simulate`, which other tests run in this process, turns this logger down for good.
    notices = logging.getLogger("billing.notices")
    level = notices.level
    notices.setLevel(logging.NOTSET)
    try:
        configure_logging("INFO", json_logs=True)
        LoggingSender().send(NOTICE, TEXT)
    finally:
        notices.setLevel(level)
    err = capsys.readouterr().err
    line = json.loads(err.strip().splitlines()[-1])
    assert line["event"] == "notice_sent" and line["to"] == "+62812******90"
    assert "81234567890" not in err and "3456-7890" not in err and NIK not in err


def test_senders_are_found_by_name() -> None:
    assert "logging" in known_senders()
    assert isinstance(load_sender("logging"), LoggingSender)
    with pytest.raises(UnknownSender, match=r"known senders: .*logging"):
        load_sender("carrier-pigeon")

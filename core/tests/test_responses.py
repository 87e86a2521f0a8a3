import pytest
from django.core.signals import request_finished
from django.db import close_old_connections

from core.responses import JsonAnswerThen


@pytest.fixture
def finished():
    """Each request_finished signal, recorded. Django's own receiver (closing the database
    connections) is off meanwhile, as the test client does: a connection left open by an
    earlier test would be checked, and this test may not use the database."""
    signalled = []

    def on_finished(**_kwargs):
        signalled.append(True)

    request_finished.disconnect(close_old_connections)
    request_finished.connect(on_finished)
    try:
        yield signalled
    finally:
        request_finished.disconnect(on_finished)
        request_finished.connect(close_old_connections)


def test_the_work_runs_when_the_answer_is_closed_once_and_not_before(finished):
    ran = []
    answer = JsonAnswerThen({"ok": True}, then=lambda: ran.append(len(finished)))
    assert answer.content == b'{"ok": true}' and ran == []
    answer.close()
    answer.close()
    assert ran == [0]  # once, before the request's end is signalled
    assert finished == [True, True]


def test_the_answer_is_closed_even_when_the_work_fails(finished):
    def broken():
        raise RuntimeError("broker away")

    answer = JsonAnswerThen({}, then=broken)
    with pytest.raises(RuntimeError):
        answer.close()
    assert finished == [True]

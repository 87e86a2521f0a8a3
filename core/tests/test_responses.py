import pytest
from django.core.signals import request_finished

from core.responses import JsonAnswerThen


def test_the_work_runs_when_the_answer_is_closed_once_and_not_before():
    ran, finished = [], []
    answer = JsonAnswerThen({"ok": True}, then=lambda: ran.append(len(finished)))

    def on_finished(**_kwargs):
        finished.append(True)

    request_finished.connect(on_finished)
    try:
        assert answer.content == b'{"ok": true}' and ran == []
        answer.close()
        answer.close()
    finally:
        request_finished.disconnect(on_finished)
    assert ran == [0]  # once, before the request's end is signalled
    assert finished == [True, True]


def test_the_answer_is_closed_even_when_the_work_fails():
    finished = []

    def broken():
        raise RuntimeError("broker away")

    def on_finished(**_kwargs):
        finished.append(True)

    request_finished.connect(on_finished)
    try:
        answer = JsonAnswerThen({}, then=broken)
        with pytest.raises(RuntimeError):
            answer.close()
    finally:
        request_finished.disconnect(on_finished)
    assert finished == [True]

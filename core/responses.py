"""A JSON answer with work to do once it is sent."""

from collections.abc import Callable
from typing import Any

from django.http import JsonResponse


class JsonAnswerThen(JsonResponse):
    """A JSON answer that runs `then()` when the server closes it. A WSGI server closes a
    response after writing its body, so `then` (queueing a task, say) is not in the time the
    caller waits for the answer."""

    def __init__(self, data: Any, *, then: Callable[[], object], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self._then: Callable[[], object] | None = then

    def close(self) -> None:
        then, self._then = self._then, None
        try:
            if then is not None:
                then()
        finally:
            super().close()

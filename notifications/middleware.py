"""Each request publishes within one budget (notifications/broker.py), and says how long it
spent in a `Server-Timing` header, so that it can be measured from outside."""

from collections.abc import Callable

from celery import current_app
from django.http import HttpRequest, HttpResponse

from notifications.broker import prepare, publishing_budget


class PublishBudgetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        prepare(current_app)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with publishing_budget() as budget:
            response = self.get_response(request)
        timing = f"publish;dur={budget.spent * 1000:.1f}"
        existing = response.get("Server-Timing")
        response["Server-Timing"] = f"{existing}, {timing}" if existing else timing
        return response

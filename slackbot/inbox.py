"""Declarations from Slack: stored as sent, answered at once, checked and declared by a worker.

Slack waits at most 3 s for the answer to the declare modal's submission, and a busy
workspace submits many at once. So the answer (`received`) does only what needs neither the
database nor Slack: it reads the answers, refuses the mistakes they show on their own (their
errors come back under the fields at once), stores them as one `SlackDeclaration` row and
answers "Declaring…". The task is queued once the answer is sent.

The worker (`declare`) then finds the member's account, makes every other check and declares,
in the transaction that settles the row, so a retried task or a replayed submission never
declares twice. A field it refuses shows the form again, filled in, with the errors under
their fields; declaring it again is a new submission (a new row). A row left pending (the
broker was down, the worker died) is queued again by the periodic sweep."""

import logging
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from celery import Task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from slack_sdk.errors import SlackApiError

from incidents import services
from incidents.models import IncidentSource
from notifications.broker import try_publish
from notifications.channels.slack import slack_configured
from notifications.rendering import slack_escaped
from slackbot import declare as modal
from slackbot import replies
from slackbot.client import SlackUnavailable, call
from slackbot.context import SlackContext, member_context
from slackbot.forms import Answer, values_of
from slackbot.models import SlackDeclaration, SlackDeclarationState
from slackbot.payload import VIEW_ID, SlackInputError, identifier, mapping, text
from slackbot.replies import Block
from slackbot.users import SLACK_LANGUAGES

logger = logging.getLogger(__name__)
# What runs once a row is settled and committed (showing the outcome in the modal).
Then = Callable[[SlackDeclaration], object]


def received(
    slack_user_id: str, view: Mapping[str, object], *, queue: Callable[[int], object]
) -> JsonResponse:
    """The answer to a declare modal's submission, made without the database beyond storing
    it; `queue(row id)` runs once the answer is sent (and the row committed)."""
    view_id = identifier(view.get("id"), "view.id", VIEW_ID, required=True)
    view_hash = text(view.get("hash"), "view.hash")[:64]
    answers = mapping(mapping(view.get("state"), "view.state").get("values"), "view.state.values")
    language = _language(view.get("private_metadata"))
    with override(language):
        try:
            values = values_of(view)
            errors = modal.form_errors(values)
        except SlackInputError as error:
            errors = error.errors
        if errors:
            return replies.modal_errors(errors)
        row, new = _stored(view_id, view_hash, slack_user_id, language, answers)
        if not new:
            return _replayed(row, slack_user_id, view_hash)
        assert row is not None  # new: stored just now
        then = partial(transaction.on_commit, partial(queue, row.pk))
        return replies.modal_update(_declaring_view(values), then=then)


def _language(private_metadata: object) -> str:
    """The member's language, which the modal was built in (its private metadata)."""
    return private_metadata if private_metadata in SLACK_LANGUAGES else "en"


def _stored(
    view_id: str, view_hash: str, slack_user_id: str, language: str, answers: dict[str, object]
) -> tuple[SlackDeclaration, Literal[True]] | tuple[SlackDeclaration | None, Literal[False]]:
    """(the submission's row, whether it is new): a retry of this submission, or another
    submission of the view while one is pending, finds the row stored first."""
    # Outside a transaction the INSERT alone: no BEGIN and COMMIT, two round trips fewer on
    # Slack's clock. Inside one, a savepoint, so that a duplicate leaves it usable.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            row = SlackDeclaration.objects.create(
                view_id=view_id,
                view_hash=view_hash,
                slack_user_id=slack_user_id,
                language=language,
                answers=answers,
            )
    except IntegrityError:
        rows = SlackDeclaration.objects.filter(view_id=view_id)
        first = rows.filter(Q(view_hash=view_hash) | Q(state=SlackDeclarationState.PENDING))
        return first.order_by("created_at").first(), False
    return row, True


def _replayed(row: SlackDeclaration | None, slack_user_id: str, view_hash: str) -> JsonResponse:
    if row is None or row.slack_user_id != slack_user_id:  # say nothing of another's row
        return replies.modal_errors({"title": _("This form was already submitted.")})
    if row.view_hash != view_hash:
        return replies.modal_errors({"title": _("Beacon is still declaring it: a moment.")})
    return replies.modal_update(view_of(row))


def declare(row_id: int, *, then: Then) -> str | None:
    """Check and declare a pending row's incident, once; `then(row)` after commit (to show
    the outcome in the modal). Returns the row's state, or None when it was not pending."""
    if not _attempt(row_id, then):
        return None
    slack_user_id = SlackDeclaration.objects.values_list("slack_user_id", flat=True).get(pk=row_id)
    ctx, not_linked = member_context(slack_user_id)  # may ask Slack: before any lock
    with transaction.atomic():
        row = SlackDeclaration.objects.select_for_update().filter(pk=row_id).first()
        if row is None or row.state != SlackDeclarationState.PENDING:
            return None
        if ctx is None:
            assert not_linked is not None  # member_context's reply when there is no context
            row.state, row.refusal = SlackDeclarationState.REFUSED, not_linked
        elif _declared_already(row):  # its modal shows that declaration: leave it be
            row.state, row.refusal = SlackDeclarationState.REFUSED, _("Submitted again.")
            then = _leave_the_modal
        else:
            row.user, row.language = ctx.user, ctx.language
            with override(ctx.language):
                _declared(row, ctx)
        _settle(row, then)
    return row.state


def _declared_already(row: SlackDeclaration) -> bool:
    declared = SlackDeclaration.objects.filter(state=SlackDeclarationState.DECLARED)
    return declared.filter(view_id=row.view_id).exists()


def _leave_the_modal(row: SlackDeclaration) -> None:
    pass


def _declared(row: SlackDeclaration, ctx: SlackContext) -> None:
    """Settle the row: declared, refused for its fields (`errors`) or refused outright."""
    row.state = SlackDeclarationState.REFUSED
    declaration, row.errors = modal.declaration_of(ctx, _values(row))
    if row.errors:
        return
    try:
        row.incident = services.incident_declare(
            actor=ctx.user, source=IncidentSource.SLACK, **declaration
        )
        row.state = SlackDeclarationState.DECLARED
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            row.errors = modal.field_errors(error)
        else:
            row.refusal = " ".join(error.messages)
    except PermissionDenied as error:
        row.refusal = str(error)


def _values(row: SlackDeclaration) -> dict[str, Answer]:
    return values_of({"state": {"values": row.answers}})


def _attempt(row_id: int, then: Then) -> bool:
    """Count a try before it starts (an unexpected error rolls the declaration back, not
    this); a row that failed that way too often is refused, and the declarer told. False when
    there is nothing (left) to declare."""
    with transaction.atomic():
        row = SlackDeclaration.objects.select_for_update().filter(pk=row_id).first()
        if row is None or row.state != SlackDeclarationState.PENDING:
            return False
        if row.attempts >= settings.BEACON_SLACK_DECLARATION_MAX_ATTEMPTS:
            logger.error("Slack declaration %s failed %s times: refused", row.pk, row.attempts)
            with override(row.language):
                row.state = SlackDeclarationState.REFUSED
                row.refusal = _("Beacon could not declare it (the error is logged).")
            _settle(row, then)
            return False
        row.attempts += 1
        row.save(update_fields=["attempts", "updated_at"])
    return True


def _settle(row: SlackDeclaration, then: Then) -> None:
    fields = ["state", "incident", "refusal", "errors", "user", "language", "updated_at"]
    row.save(update_fields=fields)
    transaction.on_commit(partial(then, row))


def show_later(row: SlackDeclaration, task: Task[[int], object]) -> None:
    """Queue `task(row id)`, which shows the outcome: the answer "Declaring…" may still be on
    its way to Slack, and an update that lands before it is overwritten by it, so the modal is
    updated a moment after the submission (a countdown: no worker waits)."""
    age = (timezone.now() - row.created_at).total_seconds()
    delay = max(0.0, settings.SLACK_DECLARED_VIEW_DELAY_SECONDS - age)
    if not try_publish(task, (row.pk,), countdown=delay or None):
        logger.warning("Slack declaration %s: the modal's update could not be queued", row.pk)


def show(row_id: int) -> None:
    """Update the modal with the row's outcome. A view Slack no longer has (closed, expired)
    or Slack away is only logged: the declarer hears of the incident through its messages."""
    if not slack_configured():
        return
    row = SlackDeclaration.objects.select_related("incident", "user").get(pk=row_id)
    with override(row.language):
        view = view_of(row)
    try:
        call("views_update", view_id=row.view_id, view=view)
    except (SlackApiError, SlackUnavailable) as error:
        logger.warning("Slack declaration %s: the modal could not be updated (%s)", row.pk, error)


def pending_ids(*, now: datetime | None = None) -> list[int]:
    """Rows still pending after the sweep's grace: their task was lost or never queued."""
    grace = (now or timezone.now()) - timedelta(
        seconds=settings.SLACK_DECLARATION_SWEEP_GRACE_SECONDS
    )
    rows = SlackDeclaration.objects.filter(
        state=SlackDeclarationState.PENDING, created_at__lte=grace
    )
    return list(rows.order_by("created_at").values_list("pk", flat=True))


def view_of(row: SlackDeclaration) -> Block:
    """What the declarer's modal shows of the row (only ever shown to them)."""
    if row.state == SlackDeclarationState.DECLARED:
        assert row.incident is not None  # set with the state, in one save
        return declared_view(row.incident.reference, row.incident.channel_name)
    if row.state == SlackDeclarationState.REFUSED and row.errors and row.user is not None:
        ctx = SlackContext(user=row.user, slack_user_id=row.slack_user_id, language=row.language)
        return modal.form_again(ctx, row.answers, row.errors)
    if row.state == SlackDeclarationState.REFUSED:
        return replies.notice_view(
            _("Not declared"),
            _("The incident was not declared: %(refusal)s\nRun `%(command)s declare` again.")
            % {"refusal": slack_escaped(row.refusal), "command": settings.SLACK_COMMAND},
        )
    return _declaring_view(_values(row))


def _declaring_view(values: Mapping[str, Answer]) -> Block:
    return replies.notice_view(
        _("Declaring"),
        _("Declaring *%(title)s*… You will see its reference here.")
        % {"title": slack_escaped(values.get("title", ""))},
    )


def declared_view(reference: str, channel: str) -> Block:
    return replies.notice_view(
        _("Incident declared"),
        _(
            "*%(ref)s* is declared. Beacon is creating #%(channel)s, inviting people and "
            "broadcasting; the commander will be reminded to post updates."
        )
        % {"ref": reference, "channel": channel},
    )

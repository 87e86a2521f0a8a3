"""Declarations from Slack, answered at once and declared by a worker.

The declare modal's submission is checked (the field errors come back at once), stored as one
`SlackDeclaration` row and answered with a "Declaring…" view; a task on the pages queue then
declares from the row, in the transaction that marks it declared, so a retried task or a
replayed submission never declares twice. A row left pending (the broker was down, the worker
died) is queued again by the periodic sweep. After the declaration the modal is updated with
the reference, or with the refusal when the service refused meanwhile."""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from slack_sdk.errors import SlackApiError

from incidents import services
from incidents.models import (
    IncidentSource,
    IncidentType,
    SeverityLevel,
    SlackDeclaration,
    SlackDeclarationState,
)
from notifications.broker import try_publish
from notifications.channels.slack import slack_configured
from playbooks.models import Service

from . import replies
from .client import SlackUnavailable, call

logger = logging.getLogger(__name__)

# The declaration's related rows, kept as primary keys.
ONE = {
    "incident_type": IncidentType,
    "severity": SeverityLevel,
    "commander": None,
    "responder": None,
}
MANY = {"invitees": None, "services": Service}


def _model(model):
    return model or get_user_model()


def inputs_of(declaration):
    """`incident_declare`'s arguments as JSON: related rows by primary key."""
    inputs = dict(declaration)
    for field in ONE:
        inputs[field] = inputs[field].pk if inputs.get(field) is not None else None
    for field in MANY:
        inputs[field] = [row.pk for row in inputs.get(field) or ()]
    inputs["slack_participants"] = [list(pair) for pair in inputs.get("slack_participants", ())]
    return inputs


def arguments_of(inputs):
    """The inverse of `inputs_of`, read again now (a row gone meanwhile is None or left out)."""
    arguments = dict(inputs)
    for field, model in ONE.items():
        pk = inputs.get(field)
        arguments[field] = _model(model).objects.filter(pk=pk).first() if pk else None
    for field, model in MANY.items():
        arguments[field] = list(_model(model).objects.filter(pk__in=inputs.get(field) or ()))
    arguments["slack_participants"] = [tuple(p) for p in inputs.get("slack_participants", ())]
    return arguments


def of_view(view_id):
    return SlackDeclaration.objects.select_related("incident").filter(view_id=view_id).first()


def submitted(ctx, view_id, declaration):
    """(the row of this submission, whether it is new): a concurrent delivery of the same
    submission may have stored it first."""
    try:
        with transaction.atomic():
            row = SlackDeclaration.objects.create(
                view_id=view_id,
                user=ctx.user,
                language=ctx.language,
                inputs=inputs_of(declaration),
            )
    except IntegrityError:
        return of_view(view_id), False
    return row, True


def declare(row_id, *, then):
    """Declare a pending row's incident, once; `then(row)` after commit (to show the outcome
    in the modal). Returns the row's state, or None when it was not pending (declared or
    refused already)."""
    if not _attempt(row_id, then):
        return None
    with transaction.atomic():
        row = SlackDeclaration.objects.select_for_update().filter(pk=row_id).first()
        if row is None or row.state != SlackDeclarationState.PENDING:
            return None
        with override(row.language):
            try:
                row.incident = services.incident_declare(
                    actor=row.user, source=IncidentSource.SLACK, **arguments_of(row.inputs)
                )
                row.state = SlackDeclarationState.DECLARED
            except (ValidationError, PermissionDenied) as error:  # the policy changed meanwhile
                row.state, row.refusal = SlackDeclarationState.REFUSED, refusal_of(error)
        _settle(row, then)
    return row.state


def _attempt(row_id, then):
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


def _settle(row, then):
    row.save(update_fields=["state", "incident", "refusal", "updated_at"])
    transaction.on_commit(partial(then, row))


def show_later(row, task):
    """Queue `task(row id)`, which shows the outcome: the answer "Declaring…" may still be on
    its way to Slack, and an update that lands before it is overwritten by it, so the modal is
    updated a moment after the submission (a countdown: no worker waits)."""
    age = (timezone.now() - row.created_at).total_seconds()
    delay = max(0.0, settings.SLACK_DECLARED_VIEW_DELAY_SECONDS - age)
    if not try_publish(task, (row.pk,), countdown=delay or None):
        logger.warning("Slack declaration %s: the modal's update could not be queued", row.pk)


def refusal_of(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def show(row_id):
    """Update the modal with the row's outcome. A view Slack no longer has (closed, expired)
    or Slack away is only logged: the declarer hears of the incident through its messages."""
    if not slack_configured():
        return
    row = SlackDeclaration.objects.select_related("incident").get(pk=row_id)
    with override(row.language):
        view = view_of(row)
    try:
        call("views_update", view_id=row.view_id, view=view)
    except (SlackApiError, SlackUnavailable) as error:
        logger.warning("Slack declaration %s: the modal could not be updated (%s)", row.pk, error)


def pending_ids(*, now=None):
    """Rows still pending after the sweep's grace: their task was lost or never queued."""
    grace = (now or timezone.now()) - timedelta(
        seconds=settings.SLACK_DECLARATION_SWEEP_GRACE_SECONDS
    )
    rows = SlackDeclaration.objects.filter(
        state=SlackDeclarationState.PENDING, created_at__lte=grace
    )
    return list(rows.order_by("created_at").values_list("pk", flat=True))


def view_of(row):
    """What the declarer's modal shows of the row (only ever shown to them)."""
    if row.state == SlackDeclarationState.DECLARED:
        return declared_view(row.incident.reference, row.incident.channel_name)
    if row.state == SlackDeclarationState.REFUSED:
        return replies.notice_view(
            _("Not declared"),
            _("The incident was not declared: %(refusal)s\nRun `%(command)s declare` again.")
            % {"refusal": _escaped(row.refusal), "command": settings.SLACK_COMMAND},
        )
    return replies.notice_view(
        _("Declaring"),
        _("Declaring *%(title)s*… You will see its reference here.")
        % {"title": _escaped(row.inputs.get("title", ""))},
    )


def declared_view(reference, channel):
    return replies.notice_view(
        _("Incident declared"),
        _(
            "*%(ref)s* is declared. Beacon is creating #%(channel)s, inviting people and "
            "broadcasting; the commander will be reminded to post updates."
        )
        % {"ref": reference, "channel": channel},
    )


def _escaped(value):
    """Slack's mrkdwn control characters, as Slack asks them escaped."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

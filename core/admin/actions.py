"""What every admin's bulk actions share: call a service once per selected object and report
(`apply_each`), and ask for an action's input on an intermediate page first."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin, helpers
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.template.response import TemplateResponse

from core.admin.refusals import REFUSALS, refusal_messages


def apply_each(
    modeladmin: ModelAdmin[Any],
    request: HttpRequest,
    queryset: Iterable[Any],
    change: Callable[[Any], object],
    done: str | None,
    *,
    name: Callable[[Any], str] = attrgetter("reference"),
    names: str = "refs",
    refusal: Callable[[Any, str], str] | None = None,
    **params: Any,
) -> list[Any]:
    """Call `change(obj)` for each selected object, all-or-nothing per object, and report.

    The successes go in one message, `done` % params with `count` and, under `names`, the
    changed objects as `name` calls them (no message when `done` is None); each refusal in the
    service's own words, passed through `refusal(obj, message)` where a message must say which
    object it is about. Returns the changed objects as they were selected (the services save
    fresh copies of them).
    """
    changed: list[Any] = []
    for obj in queryset:
        try:
            with transaction.atomic():
                change(obj)
        except REFUSALS as error:
            for message in refusal_messages(error):
                shown = refusal(obj, message) if refusal else message
                modeladmin.message_user(request, shown, messages.ERROR)
        else:
            changed.append(obj)
    if changed and done:
        params.update(count=len(changed), **{names: ", ".join(name(obj) for obj in changed)})
        modeladmin.message_user(request, done % params, messages.SUCCESS)
    return changed


def prefixed(name: Callable[[Any], str]) -> Callable[[Any, str], str]:
    """A refusal `apply_each` shows as "<the object's name>: <the service's message>"."""
    return lambda obj, message: f"{name(obj)}: {message}"


def submitted(request: HttpRequest) -> QueryDict | None:
    """The intermediate page's data once it was submitted; None while it is first shown."""
    return request.POST if "apply" in request.POST else None


def intermediate_page(
    modeladmin: ModelAdmin[Any],
    request: HttpRequest,
    queryset: Iterable[Any],
    form: forms.BaseForm,
    *,
    title: str,
    template: str = "action_form",
) -> TemplateResponse:
    """The page asking for an action's input, for the selected objects: the model's
    `admin/<app>/<model>/<template>.html`, which extends admin/incidents/action_form.html."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "objects": queryset,
        "form": form,
        "media": modeladmin.media + form.media,
        "action": request.POST["action"],
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(
        request, f"admin/{opts.app_label}/{opts.model_name}/{template}.html", context
    )

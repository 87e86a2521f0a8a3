"""Admin forms that call their service as the last step of validation: a refusal must re-render
the form with its errors, and the admin only re-renders a form that failed validation. The
admin runs the whole request in one transaction, so a refused service call saves nothing."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from core.admin.refusals import REFUSALS, Refusal, refusal_messages

# ModelForm and ModelAdmin are generic to the type checker only (not subscriptable at run time).
if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Any]
    _InlineFormSet = BaseInlineFormSet[Any, Any, Any]
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelForm = forms.ModelForm
    _InlineFormSet = BaseInlineFormSet
    _ModelAdminBase = object  # a mixin: the ModelAdmin comes after it in the bases


class ServiceModelForm(_ModelForm):
    """A model form whose validation ends with a service call; `result` is what it returned."""

    # The signed-in user, set by the admin on the form class it builds per request.
    actor: AbstractBaseUser | AnonymousUser | None = None

    result: Any  # whatever the service returns: the admin saves it as the changed object

    def call_service(self) -> Any:
        raise NotImplementedError

    def _post_clean(self) -> None:
        # After the field and model checks, like django.contrib.auth's UserCreationForm.
        super()._post_clean()  # type: ignore[misc]  # private in Django, so not in django-stubs
        self._call_service_when_valid()

    def _call_service_when_valid(self) -> None:
        if self.errors:
            return
        try:
            self.result = self.call_service()
        except REFUSALS as error:
            self._add_refusal(error)

    def _add_refusal(self, error: Refusal) -> None:
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, refusal_messages(error))


class SavedByServiceAdmin(_ModelAdminBase):
    """For a ModelAdmin whose form is a ServiceModelForm: the form's service call saved the
    object while the form validated, so the admin saves nothing more. An admin whose changes,
    unlike its additions, are plain saves says so in `saved_by_service`."""

    def saved_by_service(self, change: bool) -> bool:
        return True

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[ServiceModelForm]:
        form = cast(type[ServiceModelForm], super().get_form(request, obj, change=change, **kwargs))
        form.actor = request.user  # a class built for this request only
        return form

    def save_form(self, request: HttpRequest, form: ServiceModelForm, change: bool) -> Any:
        if not self.saved_by_service(change):
            return super().save_form(request, form, change)
        return form.result

    def save_model(
        self, request: HttpRequest, obj: Any, form: ServiceModelForm, change: bool
    ) -> None:
        if not self.saved_by_service(change):
            super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: ServiceModelForm, formsets: Any, change: bool
    ) -> None:
        if not self.saved_by_service(change):
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:  # nothing saved: the change message names nothing of theirs
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class DeletedByServiceAdmin(SavedByServiceAdmin):
    """A SavedByServiceAdmin that also deletes one object (the delete page) or several (the bulk
    action) through `remove_service(actor=<the user>, <remove_argument>=<the object>)`."""

    remove_service: Callable[..., object] | None = None  # staticmethod(services.<entity>_delete)
    remove_argument = ""  # its keyword for the object

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        assert self.remove_service is not None, type(self).__name__
        self.remove_service(actor=request.user, **{self.remove_argument: obj})

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class PartsFormSet(_InlineFormSet):
    """An inline's rows that the parent's ServiceModelForm hands to its service, which saves
    the parent and its parts at once: registered by model in the page's `page`, the dict the
    admin gives the form and the formsets it builds for one request (PartsAdmin)."""

    def __init__(
        self, *args: Any, page: dict[type[Model], "PartsFormSet"] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        assert self.model is not None  # an inline formset always has its model
        self.page = {} if page is None else page
        self.page[self.model] = self

    def kept(self) -> list[Any]:
        """The rows as saving would leave them; each form's instance carries its values."""
        return [
            form.instance
            for form in self.forms
            if (form.instance.pk or form.has_changed()) and form not in self.deleted_forms
        ]


class PartsAdmin(SavedByServiceAdmin):
    """A SavedByServiceAdmin whose form's service saves the rows of its PartsFormSet inlines
    too: the admin builds the formsets before it validates the form, and the form finds them
    in its `page`, by model."""

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[ServiceModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.page = self._page(request)  # type: ignore[attr-defined]  # a class for this request
        return form

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if issubclass(inline.formset, PartsFormSet):
            kwargs["page"] = self._page(request)
        return kwargs

    def _page(self, request: HttpRequest) -> dict[type[Model], PartsFormSet]:
        page: dict[type[Model], PartsFormSet]
        page = request.__dict__.setdefault("_service_parts_formsets", {})
        return page

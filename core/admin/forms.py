"""Admin forms that call their service as the last step of validation: a refusal must re-render
the form with its errors, and the admin only re-renders a form that failed validation. The
admin runs the whole request in one transaction, so a refused service call saves nothing."""

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.admin.refusals import REFUSALS, Refusal, refusal_messages

# ModelForm and ModelAdmin are generic to the type checker only (not subscriptable at run time).
if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Any]
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelForm = forms.ModelForm
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

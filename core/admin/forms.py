"""Admin forms that call their service as the last step of validation: a refusal must re-render
the form with its errors, and the admin only re-renders a form that failed validation. The
admin runs the whole request in one transaction, so a refused service call saves nothing."""

from django import forms

from core.admin.refusals import REFUSALS, refusal_messages


class ServiceModelForm(forms.ModelForm):
    """A model form whose validation ends with a service call; `result` is what it returned."""

    actor = None  # the signed-in user, set by the admin on the form class it builds per request

    def call_service(self):
        raise NotImplementedError

    def _post_clean(self):
        # After the field and model checks, like django.contrib.auth's UserCreationForm.
        super()._post_clean()
        self._call_service_when_valid()

    def _call_service_when_valid(self):
        if self.errors:
            return
        try:
            self.result = self.call_service()
        except REFUSALS as error:
            self._add_refusal(error)

    def _add_refusal(self, error):
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, refusal_messages(error))


class SavedByServiceAdmin:
    """For a ModelAdmin whose form is a ServiceModelForm: the form's service call saved the
    object while the form validated, so the admin saves nothing more."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user  # a class built for this request only
        return form

    def save_form(self, request, form, change):
        return form.result

    def save_model(self, request, obj, form, change):
        """Nothing left to save: the service saved while the form validated."""

    def save_related(self, request, form, formsets, change):
        """Nothing left to save: see save_model."""

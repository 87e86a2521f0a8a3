"""The form every people model's admin builds on: it saves through a service."""

from django.forms import ValidationError
from django.forms.models import construct_instance

from core.admin.forms import ServiceModelForm


class PeopleServiceForm(ServiceModelForm):
    """A ServiceModelForm whose service checks uniqueness."""

    def _post_clean(self):
        """ModelForm's, with the model's field checks only, then the service call.

        The constraints and uniqueness are the service's to refuse, in its own words ("Rank 2
        of … is already held by Pat") rather than Django's ("Constraint … is violated").
        """
        exclude = self._get_validation_exclusions()
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as error:
            self._update_errors(error)
        try:
            self.instance.full_clean(
                exclude=exclude, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            self._update_errors(error)
        self._call_service_when_valid()

    def _changes(self):
        return {field: self.cleaned_data[field] for field in self.changed_data}

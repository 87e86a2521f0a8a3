from django import forms

from core.forms import ListField, ServiceErrorsMixin


class NamesForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(required=False)
    names = ListField(required=False)


def test_a_list_field_reads_names_separated_by_commas_or_new_lines():
    form = NamesForm({"names": " eu-west, us-east\n\n,ap-south "})
    assert form.is_valid()
    assert form.cleaned_data["names"] == ["eu-west", "us-east", "ap-south"]
    assert form["names"].value() == " eu-west, us-east\n\n,ap-south "
    assert NamesForm(initial={"names": ["a", "b"]})["names"].value() == "a, b"


def test_a_service_error_goes_on_its_field_or_the_form_and_the_first_field_gets_focus():
    form = NamesForm({"title": "x"})
    assert form.is_valid()
    form.add_service_errors(
        forms.ValidationError({"names": "Unknown region.", "elsewhere": "Not on this form."})
    )
    assert form.errors["names"] == ["Unknown region."]
    assert form.non_field_errors() == ["Not on this form."]
    assert form.fields["names"].widget.attrs.get("autofocus") is True
    assert "autofocus" not in form.fields["title"].widget.attrs

"""An escalation chain typed as lines, one stage a line: `<minutes> <who> [function]`, e.g.

    0 commander
    5 next_delegate
    10 executive

The service checks the stages (order, targets, functions); this field only reads the lines."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from policy.models import StageTarget


class ChainField(forms.Field):
    widget = forms.Textarea(attrs={"rows": 4, "cols": 40})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _(
                "One stage a line: minutes, who (%(targets)s) and, for a holder or a next "
                "delegate, a function's slug. Empty: the default chain."
            )
            % {"targets": ", ".join(StageTarget.values)},
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if not isinstance(value, list):
            return value
        lines = [f"{s['after_minutes']} {s['notify']} {s.get('function', '')}" for s in value]
        return "\n".join(line.strip() for line in lines)

    def to_python(self, value):
        if isinstance(value, list):
            return value
        stages, errors = [], []
        lines = [line.strip() for line in (value or "").splitlines()]
        for number, line in enumerate((line for line in lines if line), start=1):
            parts = line.split()
            if len(parts) not in (2, 3):
                errors.append(
                    _("Line %(number)d: write the minutes, who, and maybe a function.")
                    % {"number": number}
                )
                continue
            stage = {"after_minutes": parts[0], "notify": parts[1]}
            if len(parts) == 3:
                stage["function"] = parts[2]
            stages.append(stage)
        if errors:
            raise ValidationError(errors)
        return stages

"""The approve and reject buttons of a playbook version's admin page.

Each asks for its input (forms.py) on a page of its own, then calls the service once; a refusal
about one of the form's fields shows on that form, any other goes back to the version's page
reported as the actions report it (actions.py).
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from core.admin.refusals import REFUSALS
from core.names import display_name
from playbooks import services

from . import actions
from .forms import ApproveForm, RejectForm


class DecisionButtonsMixin:
    """For `PlaybookVersionAdmin`: the pages behind its approve and reject buttons."""

    def get_urls(self):
        def view(method):
            return self.admin_site.admin_view(method)

        return [
            path(
                "<path:object_id>/approve/",
                view(self.approve_view),
                name="playbooks_playbookversion_approve",
            ),
            path(
                "<path:object_id>/reject/",
                view(self.reject_view),
                name="playbooks_playbookversion_reject",
            ),
            *super().get_urls(),
        ]

    def approve_view(self, request, object_id):
        def approve(version, data):
            done = services.playbook_version_approve(
                actor=request.user, version=version, comment=data["comment"]
            )
            actions.report_approvals(self, request, [done])

        return self._decision_view(request, object_id, ApproveForm, approve, _("Approve"))

    def reject_view(self, request, object_id):
        def reject(version, data):
            done = services.playbook_version_reject(
                actor=request.user, version=version, reason=data["reason"]
            )
            self.message_user(
                request, _("Rejected %(version)s.") % {"version": done}, messages.SUCCESS
            )

        return self._decision_view(request, object_id, RejectForm, reject, _("Reject"))

    def _decision_view(self, request, object_id, form_class, decide, title):
        version = self.get_object(request, unquote(object_id))
        if version is None:
            raise Http404
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        change_url = reverse("admin:playbooks_playbookversion_change", args=[version.pk])
        form = form_class(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                with transaction.atomic():
                    decide(version, form.cleaned_data)
            except REFUSALS as error:
                fields = getattr(error, "error_dict", {})
                if fields and all(field in form.fields for field in fields):
                    for field, problems in error.message_dict.items():
                        form.add_error(field, problems)
                else:
                    actions.report_refusal(self, request, version, error)
                    return HttpResponseRedirect(change_url)
            else:
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{title}: {version}",
            "verb": title,
            "original": version,
            "form": form,
            "change_url": change_url,
            "approvals": [display_name(a.approver) for a in version.approvals.all()],
            "needed": services.approvals_required(version.playbook.service),
        }
        return TemplateResponse(request, "admin/playbooks/playbookversion/decide.html", context)

from django.utils.translation import gettext as _

from incidents.models import Incident


def outbound_name(incident: Incident) -> str:
    """How an incident is named in whatever leaves Beacon (messages, channel topics,
    webhooks): its title, or for a private incident its reference only."""
    if incident.is_private:
        return _("%(ref)s (private incident)") % {"ref": incident.reference}
    return incident.title

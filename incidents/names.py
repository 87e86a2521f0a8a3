from django.utils.translation import gettext as _


def outbound_name(incident):
    """How an incident is named in whatever leaves Beacon (messages, channel topics,
    webhooks): its title, or for a private incident its reference only."""
    if incident.is_private:
        return _("%(ref)s (private incident)") % {"ref": incident.reference}
    return incident.title

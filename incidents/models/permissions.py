"""Direct-FK object permissions (guardian): faster than generic ones and leave no orphans."""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .incident import Incident


class IncidentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)

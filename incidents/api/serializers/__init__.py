"""The incidents API's serializers, one module per topic: the declaration's input, the incident
and the changes of its state, its timeline, and its response checklists (exit criteria and
playbook steps). Input serializers parse what a service takes; output serializers render what
it returns."""

from .declaration import IncidentDeclareSerializer
from .incident import (
    CancelSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    ResolveSerializer,
    SeverityChangeSerializer,
    StatusChangeSerializer,
)
from .response import (
    CriterionCheckSerializer,
    CriterionSerializer,
    CriterionWaiveSerializer,
    PlaybookStepCompleteSerializer,
    PlaybookStepSerializer,
)
from .timeline import (
    NoteSerializer,
    StatusUpdateInputSerializer,
    StatusUpdateSerializer,
    TimelineEventSerializer,
)

__all__ = [
    "CancelSerializer",
    "CriterionCheckSerializer",
    "CriterionSerializer",
    "CriterionWaiveSerializer",
    "IncidentDeclareSerializer",
    "IncidentDetailSerializer",
    "IncidentSerializer",
    "NoteSerializer",
    "PlaybookStepCompleteSerializer",
    "PlaybookStepSerializer",
    "ResolveSerializer",
    "SeverityChangeSerializer",
    "StatusChangeSerializer",
    "StatusUpdateInputSerializer",
    "StatusUpdateSerializer",
    "TimelineEventSerializer",
]

"""What the people viewsets share: input through a serializer, output re-read for rendering."""

from rest_framework import serializers, status, viewsets
from rest_framework.response import Response


def slug_of(model, **kwargs):
    return serializers.SlugRelatedField(slug_field="slug", queryset=model.objects.all(), **kwargs)


class ServiceViewSet(viewsets.GenericViewSet):
    def _input(self, serializer_class, data=None, **kwargs):
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.get_serializer_context(),
            **kwargs,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _render(self, instance, status_code=status.HTTP_200_OK):
        # Re-read through the queryset: the service's copy lacks the annotations and prefetches.
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=status_code)

import django.db.models.deletion
from django.db import migrations, models


def name_the_services(apps, schema_editor):
    CatalogEvent = apps.get_model("catalog", "CatalogEvent")
    for event in CatalogEvent.objects.select_related("service"):
        CatalogEvent.objects.filter(pk=event.pk).update(service_name=event.service.name)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="catalogevent",
            name="service_name",
            field=models.CharField(default="", max_length=100, verbose_name="service"),
            preserve_default=False,
        ),
        migrations.RunPython(name_the_services, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="catalogevent",
            name="service",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="events",
                to="catalog.service",
                verbose_name="service",
            ),
        ),
        migrations.AlterField(
            model_name="catalogevent",
            name="kind",
            field=models.CharField(
                choices=[("created", "Created"), ("updated", "Updated"), ("deleted", "Deleted")],
                max_length=8,
                verbose_name="kind",
            ),
        ),
    ]

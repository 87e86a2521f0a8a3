import django.db.models.deletion
from django.db import migrations, models


def name_the_plans(apps, schema_editor):
    ResponsePlanEvent = apps.get_model("response", "ResponsePlanEvent")
    for event in ResponsePlanEvent.objects.select_related("plan"):
        ResponsePlanEvent.objects.filter(pk=event.pk).update(plan_name=event.plan.name)


class Migration(migrations.Migration):
    dependencies = [
        ("response", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="responseplanevent",
            name="plan_name",
            field=models.CharField(default="", max_length=120, verbose_name="plan"),
            preserve_default=False,
        ),
        migrations.RunPython(name_the_plans, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="responseplanevent",
            name="plan",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="events",
                to="response.responseplan",
            ),
        ),
        migrations.AlterField(
            model_name="responseplanevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("activated", "Activated"),
                    ("deactivated", "Deactivated"),
                    ("created", "Created"),
                    ("edited", "Edited"),
                    ("steps", "Steps changed"),
                    ("methods", "Communication methods changed"),
                    ("deleted", "Deleted"),
                ],
                max_length=12,
                verbose_name="kind",
            ),
        ),
    ]

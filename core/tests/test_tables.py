import pytest
from django.template import Context, Template, TemplateSyntaxError


def render(source, **context):
    return " ".join(Template("{% load tables %}" + source).render(Context(context)).split())


def test_table_head_gives_each_heading_a_column_cell_with_its_class():
    shown = render(
        '{% table_head _("Service") _("Cost")|column_class:"num" _("Remove")|hidden_column %}'
    )
    assert shown == (
        '<thead> <tr> <th scope="col">Service</th> <th scope="col" class="num">Cost</th> '
        '<th scope="col"><span class="visually-hidden">Remove</span></th> </tr> </thead>'
    )


def test_data_table_wraps_its_body_under_the_headings():
    shown = render(
        '{% data_table "data report" _("Severity") heading %}<tbody>{{ cell }}</tbody>'
        "{% end_data_table %}",
        heading="<b>",
        cell="<i>",
    )
    assert shown == (
        '<div class="table-wrap"> <table class="data report"> <thead> <tr> '
        '<th scope="col">Severity</th> <th scope="col">&lt;b&gt;</th> </tr> </thead> '
        "<tbody>&lt;i&gt;</tbody> </table> </div>"
    )


def test_data_table_needs_its_classes_and_headings():
    with pytest.raises(TemplateSyntaxError):
        Template('{% load tables %}{% data_table "data" %}{% end_data_table %}')

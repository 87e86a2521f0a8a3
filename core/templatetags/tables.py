"""Template tags for the tables of the portal and the admin pages: one row of column headings,
and the scrollable table that holds it above its rows."""

from dataclasses import dataclass, replace

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.text import smart_split

register = template.Library()


@dataclass(frozen=True)
class Column:
    label: str
    css: str = ""
    hidden: bool = False


def _column(value: Column | str) -> Column:
    return value if isinstance(value, Column) else Column(label=value)


@register.filter
def column_class(value: Column | str, css: str) -> Column:
    """A column heading with a CSS class on its cell: `_("Cost")|column_class:"num"`."""
    return replace(_column(value), css=css)


@register.filter
def hidden_column(value: Column | str) -> Column:
    """A column heading only screen readers read."""
    return replace(_column(value), hidden=True)


def _headings(parser: Parser, token: Token) -> tuple[str, list[FilterExpression]]:
    # Not token.split_contents(): it breaks on a translated heading given a filter,
    # `_("Cost")|column_class:"num"`, which smart_split keeps whole.
    name, *bits = smart_split(token.contents)
    return name, [parser.compile_filter(bit) for bit in bits]


class TableHeadNode(template.Node):
    template_name = "core/table_head.html"

    def __init__(self, columns: list[FilterExpression]) -> None:
        self.columns = columns

    def extra(self, context: Context) -> dict[str, object]:
        return {}

    def render(self, context: Context) -> SafeString:
        columns = [_column(column.resolve(context)) for column in self.columns]
        return render_to_string(self.template_name, {"columns": columns, **self.extra(context)})


class DataTableNode(TableHeadNode):
    template_name = "core/data_table.html"

    def __init__(
        self, css: FilterExpression, columns: list[FilterExpression], nodelist: NodeList
    ) -> None:
        super().__init__(columns)
        self.css, self.nodelist = css, nodelist

    def extra(self, context: Context) -> dict[str, object]:
        return {"css": self.css.resolve(context), "body": self.nodelist.render(context)}


@register.tag
def table_head(parser: Parser, token: Token) -> TableHeadNode:
    """`{% table_head _("Service") _("Cost")|column_class:"num" %}`: `<thead>`, one
    `<th scope="col">` a heading, in the order given."""
    return TableHeadNode(_headings(parser, token)[1])


@register.tag
def data_table(parser: Parser, token: Token) -> DataTableNode:
    """`{% data_table "css classes" heading… %}<tbody>…</tbody>{% end_data_table %}`: a table
    that scrolls sideways on a narrow screen, its headings as `table_head` takes them."""
    name, bits = _headings(parser, token)
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{name} takes the table's classes and headings")
    nodelist = parser.parse(("end_data_table",))
    parser.delete_first_token()
    return DataTableNode(bits[0], bits[1:], nodelist)

"""Table cells of the semicon-nl site (Datasette plugin, loaded with ``--plugins-dir``).

``render_cell``: every ``source_quote`` links to that passage of the letter (``/letter``, in
``semicon_pages.py``); amounts are shown with thousands separators and their currency (never
converted).
"""

from __future__ import annotations

from urllib.parse import quote as urlquote

from datasette import hookimpl
from markupsafe import Markup

AMOUNT_COLUMNS = {"amount", "amount_low", "amount_high"}


def format_amount(value, currency) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return f"{number} {currency}".strip() if currency else number
    return str(value)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None:
        return None
    if column == "source_quote" and isinstance(value, str) and value:
        href = "/letter?quote=" + urlquote(value[:600]) + "#quote"
        return Markup(
            '<q class="source-quote" lang="nl">{}</q> <a class="source-link" href="{}">'
            "in the letter&nbsp;&rarr;</a>"
        ).format(value, href)
    if column in AMOUNT_COLUMNS:
        try:
            currency = row["currency"]
        except (KeyError, IndexError):
            currency = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Markup('<span class="amount" data-value="{}">{}</span>').format(
                value, format_amount(value, currency)
            )
    return None

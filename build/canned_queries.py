"""Canned Datasette queries answering the letter's main questions.

Each query lists the tables it reads; ``canned_queries`` keeps only those whose tables exist in
the package, so a smaller package (tests, synthetic data) still gets valid metadata.
Amounts are never converted: every amount is shown with its own currency.
"""

from __future__ import annotations

from typing import Any

QUERIES: dict[str, dict[str, Any]] = {
    "beethoven_by_payer": {
        "title": "Beethoven impulse: who pays",
        "description": "The Beethoven investment impulse (total first), then its breakdown by "
        "payer: national government versus region and sector, with each share of the total. "
        "The letter rounds the parts, so they need not add up exactly.",
        "tables": ["funding_allocations"],
        "sql": """
with total as (
  select * from funding_allocations
  where parent_id is null and title like 'Beethoven%'
)
select a.allocation_id, a.title, a.funder, a.amount, a.currency, a.rounding,
  round(100.0 * a.amount / t.amount, 1) as share_of_total_pct,
  a.period_start_year, a.period_end_year, a.status, a.source_quote
from funding_allocations a join total t
  on a.allocation_id = t.allocation_id
  or (a.parent_id = t.allocation_id and a.breakdown = 'payer')
order by a.parent_id is not null, a.amount desc
""",
    },
    "talent_plan": {
        "title": "Talent plan: the money",
        "description": "The talent plan's one-off and structural funds and the grants paid out "
        "of them, with amount, recurrence and period. An empty amount means the letter names "
        "the grant without a figure.",
        "tables": ["funding_allocations"],
        "sql": """
with recursive talent(allocation_id, depth) as (
  select allocation_id, 0 from funding_allocations where title like 'Talent plan%'
  union
  select f.allocation_id, t.depth + 1
  from funding_allocations f join talent t on f.parent_id = t.allocation_id
)
select f.allocation_id, f.parent_id, f.title, f.amount, f.currency, f.recurrence,
  f.period_start_year, f.period_end_year, f.status, f.funder, f.recipient, f.source_quote
from funding_allocations f join (select allocation_id, min(depth) as depth from talent
  group by allocation_id) t using (allocation_id)
order by t.depth, f.recurrence, f.amount desc
""",
    },
    "international_comparison": {
        "title": "The Netherlands and Europe beside the United States, Japan and China",
        "description": "Top-level amounts by country or bloc as the letter cites them: public "
        "programmes and, for the Netherlands, the sector's own commitments too (see funder). "
        "Each amount keeps its own currency (EUR or USD): nothing is converted, so "
        "compare within a currency only. Europe's figure is a range (amount_low–amount_high).",
        "tables": ["funding_allocations"],
        "sql": """
select funder_country, funder, title, amount, amount_low, amount_high, currency, rounding,
  period_start_year, period_end_year, status, source_quote
from funding_allocations
where parent_id is null
  and funder_country in ('NL', 'EU', 'US', 'JP', 'CN')
  and title not like 'Talent plan%'
order by case funder_country
  when 'NL' then 1 when 'EU' then 2 when 'US' then 3 when 'JP' then 4 when 'CN' then 5
  else 6 end, coalesce(amount, amount_high) desc
""",
    },
    "semicon_coalition_members": {
        "title": "Semicon Coalition members",
        "description": "Member states of the European Semicon Coalition and their role.",
        "tables": ["coalitions", "coalition_members"],
        "sql": """
select c.name as coalition, m.country_code, m.country_name, m.country_name_nl, m.role,
  m.source_quote
from coalition_members m join coalitions c on c.coalition_id = m.coalition_id
where c.name like '%Semicon Coalition%'
order by m.role, m.country_name
""",
    },
    "ipcei_ast_members": {
        "title": "IPCEI AST members",
        "description": "Member states named in the letter as taking part in the IPCEI on "
        "Advanced Semiconductor Technologies, with the number of members the letter reports.",
        "tables": ["coalitions", "coalition_members"],
        "sql": """
select c.name as coalition, c.member_count_reported, m.country_code, m.country_name,
  m.country_name_nl, m.role, m.source_quote
from coalition_members m join coalitions c on c.coalition_id = m.coalition_id
where c.name like '%IPCEI%AST%'
order by m.role, m.country_name
""",
    },
    "semicon_board_nl": {
        "title": "Semicon Board NL",
        "description": "Who sits on the Semicon Board NL: the chair, the permanent government "
        "members and the companies and organisations for the sector.",
        "tables": ["board_members"],
        "sql": """
select name, name_en, kind, role, represents, source_quote
from board_members
order by case role when 'chair' then 1 when 'permanent-member' then 2 else 3 end,
  kind, member_id
""",
    },
    "partnerships_by_country": {
        "title": "International partnerships by country",
        "description": "The Netherlands' international semiconductor partnerships (MoUs, "
        "dialogues, talent and market programmes), grouped by partner country.",
        "tables": ["partnerships"],
        "sql": """
select partner_country,
  count(*) over (partition by partner_country) as partnerships_with_country,
  name, kind, partner, focus, lead, source_quote
from partnerships
order by partnerships_with_country desc, partner_country, kind, name
""",
    },
    "timeline": {
        "title": "Timeline",
        "description": "Events named in the letter in date order. date_precision says how "
        "exact the date is (a 'season' or 'year' date is the start of that period) and "
        "date_text gives the letter's own words; status says whether it happened or is "
        "expected.",
        "tables": ["events"],
        "sql": """
select date, date_precision, date_text, title, actor, status, source_quote
from events
order by date, event_id
""",
    },
}


def canned_queries(tables: set[str]) -> dict[str, dict[str, str]]:
    """Datasette ``queries`` metadata for the canned queries whose tables all exist."""
    out = {}
    for name, q in QUERIES.items():
        if set(q["tables"]) <= set(tables):
            out[name] = {
                "title": q["title"],
                "description": q["description"],
                "sql": q["sql"].strip(),
            }
    return out

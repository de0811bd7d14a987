"""Item search: across months, case and accents ignored, on SQLite and on
PostgreSQL (the ``session`` fixture runs each test on both)."""

from __future__ import annotations

import pytest

from enews.compose.items import count_items, find_items
from enews.store.db import fold_text
from tests.factories import make_item

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_web import app as app
from tests.helpers_web import issue as issue
from tests.helpers_web import item_id, order, version
from tests.helpers_web import tab as tab


@pytest.fixture
def stored(session):
    rows = [
        ("Interview", "Lucía Pérez on housing co-ops", "2020-10-05", None),
        ("News", "LUCIA network meets in Quito", "2019-03-01", None),
        ("News", "Forum opens", "2020-11-02", "Zoë Ångström chairs the ÉCOLE panel."),
        ("Entrevista", "Ñandú farmers", "2021-01-15", None),
        ("News", "Nothing to see", "2020-10-06", "Plain words only."),
    ]
    for kind, title, date, summary in rows:
        make_item(session, kind=kind, title=title, date=date, summary=summary)
    session.flush()
    return session


def titles(session, **filters) -> list[str]:
    return [item.title for item in find_items(session, **filters)]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("lucia", ["Lucía Pérez on housing co-ops", "LUCIA network meets in Quito"]),
        ("LUCÍA", ["Lucía Pérez on housing co-ops", "LUCIA network meets in Quito"]),
        ("perez", ["Lucía Pérez on housing co-ops"]),
        ("zoe angstrom", ["Forum opens"]),  # in the summary
        ("ecole", ["Forum opens"]),
        ("nandu", ["Ñandú farmers"]),
        ("100%", []),  # % is a character, not a wildcard
    ],
)
def test_search_ignores_case_and_accents_across_months(stored, word, expected):
    assert titles(stored, text=word) == expected
    assert count_items(stored, text=word) == len(expected)


def test_a_month_still_narrows_a_search(stored):
    assert titles(stored, text="lucia", month="2019-03") == [
        "LUCIA network meets in Quito"
    ]


def test_the_kind_filter_ignores_case_and_accents_too(stored):
    assert titles(stored, kind="ENTREVISTA") == ["Ñandú farmers"]
    assert titles(stored, kind="interview") == ["Lucía Pérez on housing co-ops"]


def test_fold_text_is_one_letter_for_one():
    # PostgreSQL's translate() maps one character to one: the SQL and the
    # Python fold agree only if that holds for every letter of the table.
    sample = "ÀÉÎÕÜÇÑÝàéîõüçñýÿĀăĘěŁłßæø"
    assert len(fold_text(sample)) == len(sample)
    assert fold_text("ÀÉÎÕÜÇÑÝ") == "aeiou" + "cny"


# -- the workspace's item list ---------------------------------------------------


def test_the_items_page_searches_every_month_unless_one_is_chosen(tab, workspace):
    with workspace.transaction() as session:
        make_item(session, title="Lucía Pérez on housing", date="2020-10-05")
        make_item(session, title="LUCIA network meets", date="2019-03-01")
        make_item(session, title="Newest news", date="2021-02-01")
    newest = tab.get("/items").get_data(as_text=True)
    assert "Newest news" in newest and "Lucía" not in newest  # the newest month
    found = tab.get("/items?q=lucia").get_data(as_text=True)
    assert "Lucía Pérez on housing" in found and "LUCIA network meets" in found
    assert "Newest news" not in found and "all months" in found
    one = tab.get("/items?q=lucia&month=2019-03").get_data(as_text=True)
    assert "LUCIA network meets" in one and "Lucía Pérez" not in one


def test_the_composer_finds_and_includes_an_item_of_another_month(
    tab, workspace, issue
):
    with workspace.transaction() as session:
        make_item(session, title="Année coopérative report", date="2019-12-02")
    found = tab.get(f"/issues/{issue}/find?q=annee cooperative")
    body = found.get_data(as_text=True)
    assert found.status_code == 200 and "Année coopérative report" in body
    assert (
        tab.get(f"/issues/{issue}/find?q=News of day")
        .get_data(as_text=True)
        .count("<li")
        == 0
    )  # those are in the issue already
    target = item_id(workspace, "Année coopérative report")
    response = tab.post(
        f"/issues/{issue}/include/{target}", {"version": version(workspace)}
    )
    assert response.status_code == 200
    assert order(workspace)[-1] == "Année coopérative report"
    again = tab.get(f"/issues/{issue}/find?q=annee").get_data(as_text=True)
    assert "Nothing found" in again  # included: no longer outside the issue

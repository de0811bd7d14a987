"""[sections.aliases] end to end: free-text kinds from a news page go to the
section they mean when an issue is drafted or an item added, in the CLI."""

from __future__ import annotations

from tests.helpers_cli import Run, data, ok

# Fixtures, found by pytest under these names (``as``: a deliberate re-export).
from tests.helpers_cli import initialised as initialised
from tests.helpers_cli import run as run
from tests.helpers_cli import ws as ws

ALIASES = """
[sections.aliases]
interview = "Interviews"
"press release" = "News"
"""


def add(run: Run, kind: str, title: str, day: int) -> None:
    url = f"https://coop.example/{day}"
    ok(
        run(
            "item",
            "add",
            "--kind",
            kind,
            "--title",
            title,
            "--date",
            f"2020-10-{day:02}",
            "--url",
            url,
        )
    )


def sections(run: Run) -> dict[str, list[str]]:
    shown = data(run("issue", "show", "2020-10", "--json"))
    return {s["name"]: [i["title"] for i in s["items"]] for s in shown["sections"]}


def test_kinds_go_to_the_section_their_alias_names(run: Run, initialised):
    toml = initialised / "enews.toml"
    toml.write_text(toml.read_text() + ALIASES)
    add(run, "ILO COOP 100 Interview", "Lucía on housing", 20)
    add(run, "Interview", "Tomás on coffee", 19)
    add(run, "Joint press release", "Forum opens", 18)
    add(run, "Podcast", "Episode 4", 17)  # no alias: a section of its own
    ok(run("issue", "new", "October issue", "--month", "2020-10"))
    assert sections(run) == {
        "News": ["Forum opens"],
        "Interview": ["Lucía on housing", "Tomás on coffee"],
        "Podcast": ["Episode 4"],
    }
    add(run, "Partner interview", "Late addition", 21)
    ok(run("issue", "add", "2020-10", "5"))
    assert sections(run)["Interview"][-1] == "Late addition"
    ok(run("build", "2020-10", "--force"))
    html = (initialised / "issues" / "2020-10" / "index.html").read_text()
    assert html.count(">Interviews</h2>") == 1


def test_without_aliases_every_kind_is_its_own_section(run: Run, initialised):
    add(run, "ILO COOP 100 Interview", "Lucía on housing", 20)
    add(run, "Interview", "Tomás on coffee", 19)
    ok(run("issue", "new", "October issue", "--month", "2020-10"))
    assert set(sections(run)) == {"ILO COOP 100 Interview", "Interview"}

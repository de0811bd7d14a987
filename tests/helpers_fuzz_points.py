"""The entry points the fuzz property is checked at, each with its strategy.

``ENTRY_POINTS`` maps a name to (strategy, case): ``case(fuzzer, value)``
feeds one drawn value in and returns "refused", "stored" or "nothing", or
raises ``Broken``. tests/test_fuzz.py and benchmarks/fuzz.py both run them.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from enews.cli import cli
from enews.compose import issues
from enews.compose.items import add_item, make_draft, update_item
from enews.dates import parse_month
from tests import helpers_fuzz as fuzz
from tests.helpers_fuzz_files import FILES
from tests.helpers_fuzz_run import (
    ISSUE_NAMES,
    ITEM_NAMES,
    Fuzzer,
    expect,
    import_bytes,
    refusal_names,
)

Case = Callable[[Fuzzer, Any], str]
# A refused upload names the file and the line (or a whole-file problem).
WEB_PROBLEM = re.compile(
    r"fuzz\.dat:(?:entry )?\d+: |fuzz\.dat: (?:the file is empty|cannot tell)"
)
FIELD_ERROR = re.compile(r'class="field-error" id="e-([a-z_]+)">([^<]+)<')


def item_add(fz: Fuzzer, values: dict[str, str]) -> str:
    before = fz.snapshot()
    try:
        with fz.ws.transaction() as session:
            item = add_item(session, make_draft(**values))
            month = item.published_on.strftime("%Y-%m")
    except Exception as exc:  # refusal_names tells an enews error from a bug
        refusal_names(exc, ITEM_NAMES)
        return fz.refused(before)
    return fz.stored(month=month)


def item_edit(fz: Fuzzer, values: dict[str, str]) -> str:
    """``update_item`` of a stored item with the values but its required ones."""
    with fz.ws.transaction() as session:
        item_id = add_item(session, make_draft(**fuzz.BASE_ITEM)).id
    before = fz.snapshot()
    changes = {k: v for k, v in values.items() if fuzz.BASE_ITEM.get(k) != v}
    try:
        with fz.ws.transaction() as session:
            item = update_item(session, item_id, make_draft(**changes))
            month = item.published_on.strftime("%Y-%m")
    except Exception as exc:  # refusal_names tells an enews error from a bug
        refusal_names(exc, ITEM_NAMES)
        return fz.refused(before)
    return fz.stored(month=month)


def issue_set(fz: Fuzzer, value: tuple[str, str, dict[str, str]]) -> str:
    """``issue new`` (title, month) then ``issue set`` of its texts."""
    title, month, texts = value
    before = fz.snapshot()
    try:
        with fz.ws.transaction() as session:
            period = parse_month(month)
            add_item(session, make_draft(**fuzz.BASE_ITEM | {"date": f"{period}-01"}))
            slug = issues.draft_issue(session, title, month=period, slug=fz.slug()).slug
            issues.set_fields(session, slug, **texts)
    except Exception as exc:  # refusal_names tells an enews error from a bug
        refusal_names(exc, ISSUE_NAMES)
        return fz.refused(before)
    return fz.stored(slug=slug)


def _arranged(fz: Fuzzer) -> int:
    """An item in issue 2020-10, and an issue without it: "empty"."""
    with fz.ws.transaction() as session:
        item_id = add_item(session, make_draft(**fuzz.BASE_ITEM)).id
        issues.draft_issue(session, "Fuzz issue", month="2020-10")
        issues.draft_issue(session, "Empty", month="2020-01", slug="empty")
    return item_id


def issue_arrange(fz: Fuzzer, value: tuple[str, str]) -> str:
    """``add_to_issue`` and ``move_in_issue`` with a section and a position."""
    section, position = value
    item_id = _arranged(fz)
    before = fz.snapshot()
    try:
        with fz.ws.transaction() as session:
            issues.add_to_issue(session, "empty", item_id, section=section)
            at = int(position) if position.strip().lstrip("-").isdigit() else 1
            issues.move_in_issue(
                session, "2020-10", item_id, position=at, section=section
            )
    except Exception as exc:  # refusal_names tells an enews error from a bug
        refusal_names(exc, {"section", "position"})
        return fz.refused(before)
    return fz.stored(slug="2020-10")


def import_file(fmt: str) -> Case:
    def case(fz: Fuzzer, data: bytes) -> str:
        return import_bytes(fz, data, fmt=fmt if fmt != "detect" else None)

    return case


# --- the web workspace ------------------------------------------------------


def _form(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if k != "summary_format"}


def _web_refusal(fz: Fuzzer, response: Any, before: tuple[Any, ...]) -> str:
    page = response.get_data(as_text=True)
    expect(response.status_code in (409, 422), f"HTTP {response.status_code}")
    expect(FIELD_ERROR.search(page), "refused, but no field shows a problem")
    return fz.refused(before)


def web_item_new(fz: Fuzzer, values: dict[str, str]) -> str:
    before = fz.snapshot()
    response = fz.browser.post("/items/new", data=_form(values), htmx=False)
    if response.status_code != 303:
        return _web_refusal(fz, response, before)
    month = re.search(r"month=([0-9]{4}-[0-9]{2})", response.headers["Location"])
    expect(month, f"redirected to {response.headers['Location']}")
    assert month is not None
    return fz.stored(month=month[1])


def web_item_edit(fz: Fuzzer, values: dict[str, str]) -> str:
    with fz.ws.transaction() as session:
        item_id = add_item(session, make_draft(**fuzz.BASE_ITEM)).id
    before = fz.snapshot()
    url = f"/items/{item_id}/edit"
    response = fz.browser.post(url, data=_form(values), htmx=False)
    if response.status_code != 303:
        return _web_refusal(fz, response, before)
    return fz.stored(month=fz.months()[0])


def web_issue_new(fz: Fuzzer, values: dict[str, str]) -> str:
    with fz.ws.transaction() as session:
        add_item(session, make_draft(**fuzz.BASE_ITEM))
    before = fz.snapshot()
    response = fz.browser.post("/issues", data=values, htmx=False)
    if response.status_code != 303:
        return _web_refusal(fz, response, before)
    slug = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    return fz.stored(slug=slug)


def web_issue_fields(fz: Fuzzer, texts: dict[str, str]) -> str:
    with fz.ws.transaction() as session:
        add_item(session, make_draft(**fuzz.BASE_ITEM))
        issue = issues.draft_issue(session, "Fuzz issue", month="2020-10")
        slug, version = issue.slug, issue.version
    before = fz.snapshot()
    response = fz.browser.post(
        f"/issues/{slug}/fields", data={**texts, "version": str(version)}
    )
    if response.status_code == 200:
        return fz.stored(slug=slug)
    message = response.get_data(as_text=True)
    expect(response.status_code == 422, f"HTTP {response.status_code}")
    named = [name for name in texts if f"{name}: " in message]
    expect(named, f"the message names no field: {message[:300]}")
    return fz.refused(before)


def web_import(fz: Fuzzer, value: tuple[str, bytes, str]) -> str:
    fmt, data, kind = value
    before = fz.snapshot()
    form = {"file": (io.BytesIO(data), "fuzz.dat"), "format": fmt, "kind": kind}
    response = fz.browser.post("/import", data=form, htmx=False)
    status = response.status_code
    expect(status in (200, 400, 422), f"HTTP {status}")
    if status != 200:
        page = html.unescape(response.get_data(as_text=True))
        expect(WEB_PROBLEM.search(page), f"HTTP {status}, but no line is named")
        return fz.refused(before)
    return fz.stored_month()


def web_addresses(fz: Fuzzer, value: tuple[str, str]) -> str:
    """Ids, months and page positions in addresses: a 4xx page, never a 500."""
    number, text = value
    with fz.ws.transaction() as session:
        add_item(session, make_draft(**fuzz.BASE_ITEM))
    before = fz.snapshot()
    quoted = quote(text, safe="")
    gets = [f"/items/{number}/edit", f"/items?month={quoted}", f"/items?after={quoted}"]
    gets += [f"/items?q={quoted}&kind={quoted}", f"/issues/{quoted}"]
    posts = [f"/items/{number}/delete", f"/issues/2020-10/entries/{number}"]
    statuses = [fz.browser.get(url).status_code for url in gets]
    statuses += [
        fz.browser.post(url, data={"action": "up"}).status_code for url in posts
    ]
    expect(all(status < 500 for status in statuses), f"HTTP {statuses}")
    if fz.snapshot() == before:
        return fz.refused(before)
    return fz.stored(month="2020-10")  # the item was deleted: id 1 was asked


# --- the command line -------------------------------------------------------

CLI_OPTION = {"image_url": "image", "image_alt": "image-alt"}


def _cli(fz: Fuzzer, *args: str) -> Any:
    env = {"DATABASE_URL": fz.ws.db_url, "ENEWS_WORKSPACE": None}
    return CliRunner().invoke(cli, ["-w", str(fz.ws.root), *args], env=env)


def _cli_refused(
    fz: Fuzzer, result: Any, before: tuple[Any, ...], names: set[str]
) -> str:
    expect(isinstance(result.exception, SystemExit), f"raised {result.exception!r}")
    lines = result.stderr.splitlines()
    expect(len(lines) == 1 and lines[0].startswith("error: "), f"stderr {lines!r}")
    problem = lines[0].removeprefix("error: ")
    named = [n for n in names if problem.startswith(f"{n}: ")]
    named += [n for n in names if problem.startswith(f"Invalid value for '{n}'")]
    expect(named, f"names no field of {sorted(names)}: {problem}")
    return fz.refused(before)


def cli_item_add(fz: Fuzzer, values: dict[str, str]) -> str:
    before = fz.snapshot()
    args = [f"--{CLI_OPTION.get(k, k)}={v}" for k, v in _form(values).items()]
    result = _cli(fz, "item", "add", *args)
    if result.exit_code != 0:
        return _cli_refused(fz, result, before, ITEM_NAMES)
    return fz.stored(month=fz.months()[0])


def cli_issue_arrange(fz: Fuzzer, value: tuple[str, str]) -> str:
    section, position = value
    item_id = str(_arranged(fz))
    before = fz.snapshot()
    result = _cli(fz, "issue", "add", "empty", item_id, f"--section={section}")
    if result.exit_code != 0:
        return _cli_refused(fz, result, before, {"section"})
    before = fz.snapshot()
    move = ["issue", "move", "2020-10", item_id, f"--to={position}"]
    result = _cli(fz, *move, f"--section={section}")
    if result.exit_code != 0:
        return _cli_refused(fz, result, before, {"section", "position", "--to"})
    return fz.stored(slug="2020-10")


def cli_issue(fz: Fuzzer, value: tuple[str, str, dict[str, str]]) -> str:
    title, month, texts = value
    with fz.ws.transaction() as session:
        add_item(session, make_draft(**fuzz.BASE_ITEM))
    before = fz.snapshot()
    result = _cli(fz, "issue", "new", "--month", month, "--slug", "cli", "--", title)
    if result.exit_code != 0:
        return _cli_refused(fz, result, before, ISSUE_NAMES)
    before = fz.snapshot()
    result = _cli(fz, "issue", "set", "cli", *(f"--{k}={v}" for k, v in texts.items()))
    if result.exit_code != 0:
        return _cli_refused(fz, result, before, ISSUE_NAMES)
    return fz.stored(slug="cli")


def _no_surrogates(value: str) -> str:
    return value.encode("utf-8", "replace").decode("utf-8")


def _or_valid(valid: str, strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # Half the time valid, so the fields after it are reached too.
    return st.one_of(st.just(valid), strategy)


ISSUE_INPUT = st.tuples(
    _or_valid("October issue", fuzz.any_text()),
    _or_valid("2020-10", fuzz.months()),
    fuzz.issue_values(),
)
WEB_ISSUE_INPUT = st.fixed_dictionaries(
    {
        "title": _or_valid("October issue", fuzz.any_text(surrogates=False)),
        "month": _or_valid("2020-10", fuzz.months()),
        "slug": st.one_of(st.just(""), fuzz.text(surrogates=False, size=3)),
    }
).map(lambda d: {k: _no_surrogates(v) for k, v in d.items()})
WEB_IMPORT_INPUT = st.sampled_from(sorted(FILES)).flatmap(
    lambda fmt: st.tuples(
        st.sampled_from([fmt, ""]),
        FILES[fmt](),
        st.one_of(st.just(""), fuzz.text(surrogates=False, size=2)),
    )
)


ARRANGE_INPUT = st.tuples(
    st.one_of(st.just("Interview"), fuzz.any_text()),
    st.one_of(
        st.integers(-2, 3).map(str),
        st.sampled_from([str(2**31), str(2**63), "9" * 30, "x", "", " 1", "1.0"]),
    ),
)
ADDRESS_INPUT = st.tuples(
    st.one_of(
        st.integers(-1, 3).map(str),
        st.sampled_from([2**31 - 1, 2**31, 2**63, 2**64, 10**30]).map(str),
        st.sampled_from(["0x10", "1e3", "%00", "\u0661", "-0"]),
    ),
    st.one_of(
        fuzz.months(),
        st.sampled_from(["2020-10-05.1", "2020-10-05." + "9" * 30, "9999-12-31.1"]),
        fuzz.text(surrogates=False, size=3),
    ).map(_no_surrogates),
)


ENTRY_POINTS: dict[str, tuple[st.SearchStrategy[Any], Case]] = {
    "item add": (fuzz.item_values(), item_add),
    "item edit": (fuzz.item_values(), item_edit),
    "issue new+set": (ISSUE_INPUT, issue_set),
    **{f"import {fmt}": (FILES[fmt](), import_file(fmt)) for fmt in sorted(FILES)},
    "issue arrange": (ARRANGE_INPUT, issue_arrange),
    "import detect": (
        st.sampled_from(sorted(FILES)).flatmap(lambda f: FILES[f]()),
        import_file("detect"),
    ),
    "web item form": (fuzz.item_values(surrogates=False), web_item_new),
    "web item edit": (fuzz.item_values(surrogates=False), web_item_edit),
    "web new issue": (WEB_ISSUE_INPUT, web_issue_new),
    "web issue fields": (fuzz.issue_values(surrogates=False), web_issue_fields),
    "web import": (WEB_IMPORT_INPUT, web_import),
    "web addresses": (ADDRESS_INPUT, web_addresses),
    "cli item add": (fuzz.item_values(), cli_item_add),
    "cli issue new+set": (ISSUE_INPUT, cli_issue),
    "cli issue arrange": (ARRANGE_INPUT, cli_issue_arrange),
}


def run(fz: Fuzzer, name: str, cases: int, *, seed: int | None = None) -> None:
    """``cases`` inputs of entry point ``name`` through hypothesis, which
    shrinks a failing one to its smallest form. Derandomized unless a
    ``seed`` is given: the suite tries the same inputs on every run."""
    strategy, case = ENTRY_POINTS[name]

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,  # no .hypothesis/ folder in the checkout
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def prop(value: Any) -> None:
        fz.reset()
        fz.counts["cases"] += 1
        case(fz, value)

    if seed is not None:
        prop = hypothesis_seed(seed)(prop)
    prop()

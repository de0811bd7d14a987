"""An issue's review: draft -> review -> approved -> sent, on both databases,
through the library and ``enews issue review|approve|reopen|sent``, and
``enews build`` handing off approved issues only."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from enews.cli import cli
from enews.compose import review
from enews.compose.issues import get_issue, set_fields
from enews.errors import ConflictError, ForbiddenError, ValidationError
from enews.store.accounts import add_user, set_role
from tests.factories import make_issue, make_item

SLUG = "2020-10"


@pytest.fixture
def october(session):
    make_item(session, title="Forum opens", date="2020-10-05")
    make_issue(session)
    return get_issue(session, SLUG)


def test_the_way_through_and_who_did_what(session, october):
    review.set_actor(session, "ed", "editor")
    set_fields(session, SLUG, title="October, edited")
    review.submit(session, october)
    review.set_actor(session, "rita", "reviewer")
    review.approve(session, october, second_person=True)
    assert (october.status, october.approved_by, october.last_editor) == (
        "approved", "rita", "ed",
    )  # fmt: skip
    assert october.approved_at is not None
    review.set_actor(session, "ed", "editor")
    review.mark_sent(session, october)
    assert (october.status, october.sent_by) == ("sent", "ed")


def test_a_change_to_an_approved_issue_returns_it_to_draft_and_says_so(
    session, october
):
    review.approve(session, october, second_person=False)
    set_fields(session, SLUG, intro="One more line.")
    assert october.status == "draft" and october.approved_by is None
    assert review.notes(session) == [
        f"issue {SLUG} changed after its approval: back to draft"
    ]


def test_an_item_edit_returns_the_approved_issue_holding_it_to_draft(session, october):
    from enews.compose.items import make_draft, update_item

    review.approve(session, october, second_person=False)
    item_id = october.entries[0].item_id
    update_item(session, item_id, make_draft(title="Forum opens today"))
    assert october.status == "draft"


def test_a_sent_issue_refuses_edits_until_reopened(session, october):
    review.approve(session, october, second_person=False)
    review.mark_sent(session, october)
    with pytest.raises(ConflictError, match="reopen"):
        set_fields(session, SLUG, title="Too late")
    assert october.title == "October issue"
    review.reopen(session, october)
    set_fields(session, SLUG, title="Corrected")
    assert (october.status, october.sent_by is not None) == ("draft", True)


def test_second_person_refuses_approving_ones_own_edit(session, october):
    review.set_actor(session, "amy", "admin")
    set_fields(session, SLUG, title="Mine")
    with pytest.raises(ForbiddenError, match="someone else must approve"):
        review.approve(session, october, second_person=True)
    assert october.status == "draft"
    review.set_actor(session, "rita", "reviewer")
    review.approve(session, october, second_person=True)
    assert october.status == "approved"


@pytest.mark.parametrize(
    ("role", "step"),
    [("reviewer", review.submit), ("reviewer", review.reopen),
     ("editor", lambda s, i: review.approve(s, i, second_person=False))],
)  # fmt: skip
def test_roles_are_checked_by_the_workflow_too(session, october, role, step):
    review.set_actor(session, "someone", role)
    with pytest.raises(ForbiddenError):
        step(session, october)
    assert october.status == "draft"


def test_steps_from_the_wrong_state_are_one_clear_line(session, october):
    with pytest.raises(ConflictError, match="only a approved issue can be marked"):
        review.mark_sent(session, october)
    with pytest.raises(ConflictError, match="is draft"):
        review.reopen(session, october)


def test_a_role_that_does_not_exist_is_refused(session):
    with pytest.raises(ValidationError, match="admin, editor, reviewer"):
        add_user(session, "amy", "a long password", "owner")
    add_user(session, "bo", "a long password", "reviewer")
    with pytest.raises(ValidationError):
        set_role(session, "bo", "boss")


# -- the command line ---------------------------------------------------------------


def run(root, *args, input=None):
    return CliRunner().invoke(
        cli, ["-w", str(root), *args], input=input, env={"DATABASE_URL": None}
    )


@pytest.fixture
def cli_ws(tmp_path):
    root = tmp_path / "ws"
    assert run(root, "init").exit_code == 0
    run(root, "item", "add", "--kind", "News", "--title", "Forum opens",
        "--date", "2020-10-05", "--url", "https://coop.example/forum")  # fmt: skip
    assert run(root, "issue", "new", "October issue", "--month", SLUG).exit_code == 0
    return root


def test_build_hands_off_approved_issues_only(cli_ws):
    refused = run(cli_ws, "build", SLUG)
    assert refused.exit_code == 1
    assert "is draft, not approved ('enews issue approve 2020-10')" in refused.stderr
    assert not (cli_ws / "issues" / SLUG).exists()
    assert run(cli_ws, "build", SLUG, "--force").exit_code == 0
    assert run(cli_ws, "issue", "approve", SLUG).stdout == f"approved issue {SLUG}\n"
    assert run(cli_ws, "build", SLUG).exit_code == 0


def test_the_review_commands_and_what_they_say(cli_ws):
    assert run(cli_ws, "issue", "review", SLUG).exit_code == 0
    assert run(cli_ws, "issue", "approve", SLUG).exit_code == 0
    changed = run(cli_ws, "issue", "set", SLUG, "--title", "October, later")
    assert "note: issue 2020-10 changed after its approval: back to draft" in (
        changed.stderr
    )
    run(cli_ws, "issue", "approve", SLUG)
    assert run(cli_ws, "issue", "sent", SLUG).exit_code == 0
    frozen = run(cli_ws, "issue", "set", SLUG, "--title", "Nope")
    assert frozen.exit_code == 1 and "reopen it" in frozen.stderr
    shown = run(cli_ws, "issue", "show", SLUG, "--json")
    assert '"status": "sent"' in shown.stdout and '"sent_by"' in shown.stdout


def test_second_person_on_the_command_line(cli_ws):
    (cli_ws / "enews.toml").write_text("require_second_person = true\n")
    run(cli_ws, "issue", "set", SLUG, "--title", "Edited here")
    refused = run(cli_ws, "issue", "approve", SLUG)
    assert refused.exit_code == 1 and "someone else must approve" in refused.stderr
    (cli_ws / "enews.toml").write_text('require_second_person = "yes"\n')
    bad = run(cli_ws, "issue", "approve", SLUG)
    assert bad.exit_code == 1 and "require_second_person must be bool" in bad.stderr


def test_user_roles_on_the_command_line(cli_ws):
    added = run(cli_ws, "user", "add", "rita", "--role", "reviewer",
                "--password-stdin", input="a long password\n")  # fmt: skip
    assert added.exit_code == 0 and "added reviewer rita" in added.stdout
    assert (
        run(cli_ws, "user", "role", "rita", "editor").stdout == "rita is now editor\n"
    )
    bad = run(cli_ws, "user", "role", "rita", "boss")
    assert bad.exit_code == 1 and "role: must be admin, editor, reviewer" in bad.stderr
    assert '"role": "editor"' in run(cli_ws, "user", "list", "--json").stdout
    nobody = run(cli_ws, "user", "add", "x", "--role", "owner", "--password-stdin",
                 input="a long password\n")  # fmt: skip
    assert nobody.exit_code == 1 and "role:" in nobody.stderr

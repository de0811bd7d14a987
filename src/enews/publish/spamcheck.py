"""SpamAssassin's score of a built .eml: the shipped rules, local tests only.

``spam_check`` runs the system's ``spamassassin`` (Debian: apt-get install
spamassassin) once over the message and returns a ``Check`` named "spam".
It needs no ``sa-update``: the rules Debian ships in /usr/share/spamassassin
are used when no update was ever fetched.

The run is kept offline and repeatable: ``-L`` (local tests only: no DNS
blocklists, Razor, Pyzor or other network tests), Bayes off, a private
temporary HOME with no user prefs (nothing written to ~/.spamassassin, and
no one's own rules or scores counted), and the C locale (SpamAssassin has
translated rule descriptions). The site config in /etc/spamassassin stays:
its .pre files load the plugins many shipped rules depend on.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from enews.errors import EnewsError
from enews.publish.check import Check, Status

NAME = "spam"
WARN_SCORE = 1.0  # the target for every built issue: under 1.0
INSTALL_HINT = "Debian: apt-get install spamassassin"

# A rule line of the report's summary: points (" 1.0", "-0.0", "1000"), the
# rule's name, then its description; a wrapped description goes on in lines
# indented by 28 spaces, which this does not match.
_RULE = re.compile(r"^ {0,3}(-?\d+(?:\.\d+)?) (\w+) +(.*)$")


@dataclass(frozen=True)
class Hit:
    """One rule that fired."""

    name: str
    points: float
    description: str


@dataclass(frozen=True)
class SpamReport:
    """What SpamAssassin made of one message."""

    score: float
    required: float  # the score at which SpamAssassin calls a message spam
    hits: tuple[Hit, ...]


def spam_check(eml: bytes, *, timeout: float = 60) -> Check:
    """Score ``eml`` with SpamAssassin: "fail" at its spam score (5.0 as
    shipped), "warn" at 1.0 or more, else "pass"; one detail line per rule."""
    return as_check(score_eml(eml, timeout=timeout))


def as_check(report: SpamReport) -> Check:
    status: Status
    if report.score >= report.required:
        status = "fail"
    elif report.score >= WARN_SCORE:
        status = "warn"
    else:
        status = "pass"
    message = (
        f"score {report.score:.1f} (SpamAssassin, local tests; "
        f"{report.required:.1f} marks spam)"
    )
    # Heaviest first: the rules most worth changing the message for.
    hits = sorted(report.hits, key=lambda h: (-h.points, h.name))
    details = tuple(f"{h.points:+.1f} {h.name}  {h.description}" for h in hits)
    return Check(NAME, status, message, details)


def score_eml(eml: bytes, *, timeout: float = 60) -> SpamReport:
    """Run ``spamassassin -L -t`` over ``eml`` and read its report."""
    program = shutil.which("spamassassin")
    if program is None:
        raise EnewsError(
            f"spamassassin is not installed; the spam check needs it ({INSTALL_HINT})"
        )
    # A new random marker each run: the report follows the message itself
    # in the output, and a message could quote a report.
    marker = f"ENEWS-SPAM-REPORT-{secrets.token_hex(8)}"
    with tempfile.TemporaryDirectory(prefix="enews-spam-") as home:
        command = [program, *_options(home, marker)]
        # LANGUAGE comes first when SpamAssassin picks a language.
        c_locale = {"LANGUAGE": "C", "LC_ALL": "C", "LANG": "C"}
        env = {**os.environ, "HOME": home, **c_locale}
        try:
            done = subprocess.run(
                command, input=eml, capture_output=True, env=env, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise EnewsError(
                f"spamassassin took more than {timeout:g} s to score the message "
                "and was stopped"
            ) from None
    output = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0 or marker not in output:
        error = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise EnewsError(
            f"spamassassin failed (exit status {done.returncode})"
            + (f": {error[-1]}" if error else "")
        )
    return parse_report(output.rpartition(marker)[2])


def _options(home: str, marker: str) -> list[str]:
    prefs = str(Path(home) / "user_prefs")
    settings = [
        "use_bayes 0",  # no learned data: the same score on every machine
        "report_safe 0",  # a spam is not wrapped: the output stays small
        # The report in a shape made to be read back: one line with the
        # score and the required score, then the summary of rules hit.
        "clear_report_template",
        f"report {marker} _SCORE_ _REQD_",
        "report _SUMMARY_",
    ]
    options = ["--local", "--test-mode", "--nocreate-prefs", "--prefspath", prefs]
    for setting in settings:
        options += ["--cf", setting]
    return options


def parse_report(report: str) -> SpamReport:
    """The text after the marker: " <score> <required>", then the summary."""
    first, _, summary = report.partition("\n")
    try:
        score, required = (float(value) for value in first.split())
    except ValueError:
        raise EnewsError(
            f"spamassassin's report could not be read: {first.strip()[:80]!r}"
        ) from None
    hits: list[list[str]] = []  # name, points, description (grows when wrapped)
    for line in summary.splitlines():
        rule = _RULE.match(line)
        if rule:
            hits.append([rule[2], rule[1], rule[3].strip()])
        elif hits and line.strip():
            hits[-1][2] += " " + line.strip()
    # The informational rules score -0.001, so a clean message totals
    # "-0.0"; "or" turns that (falsy) negative zero into 0.0.
    return SpamReport(
        score or 0.0, required, tuple(Hit(n, float(p), d) for n, p, d in hits)
    )

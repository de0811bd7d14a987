"""The wheel ships templates, migrations and sample data: an installed enews
works in a folder that has no templates/ of its own."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_wheel_runs_demo_in_an_empty_folder(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(dist), str(REPO)],
        check=True, capture_output=True,
    )  # fmt: skip
    wheel = next(dist.glob("enews-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("enews/templates/issue.mjml.j2", "enews/templates/issue.txt.j2",
                 "enews/store/migrations/versions/0001_initial.py",
                 "enews/data/sample_items.json", "enews/py.typed",
                 "enews/data/caniemail.json", "enews/data/caniemail-LICENSE",
                 "enews/web/templates/composer.html", "enews/web/static/app.js",
                 "enews/web/static/vendor/htmx-2.0.11.min.js",
                 "enews/web/static/vendor/sortable-1.15.7.min.js"):  # fmt: skip
        assert name in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r}); import enews; "
        f"assert enews.__file__.startswith({str(site)!r}), enews.__file__; "
        "from enews.cli import main; sys.argv = ['enews', 'demo']; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    index = Path(result.stdout.strip().splitlines()[-1])
    assert index == folder / "issues" / "2020-10" / "index.html"
    assert "October issue" in index.read_text(encoding="utf-8")

"""The ``enews`` command line: parse, call the library, print.

``main.py`` holds the root group and registers the commands; each
``*_cmds.py`` module holds one command or command group and imports only
``common.py`` of the CLI.
"""

from enews.cli.main import cli, main

__all__ = ["cli", "main"]

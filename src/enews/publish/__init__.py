"""The build and its hand-off policy, the .eml, checks, the archive, public pages."""

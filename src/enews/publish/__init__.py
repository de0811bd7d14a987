"""The build, the crash-safe bundle, the .eml, checks, the archive, public pages."""

"""Importers: one module per source format, each yielding RawRecords."""

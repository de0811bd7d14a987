"""Items and issues over a Session: draft, sections, order, the frozen view."""

"""Pure stages, text in and text out: templates to MJML, compile, inline, text.

Nothing here imports the database layer (store/) or SQLAlchemy."""

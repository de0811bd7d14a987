"""Storage: models, engine and sessions, migrations, dumps, transfer, accounts."""

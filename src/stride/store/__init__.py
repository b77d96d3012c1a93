"""Storage: SQLAlchemy Core tables, migrations and repositories (SQLite and PostgreSQL)."""

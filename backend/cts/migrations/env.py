"""Alembic environment: migrates the database named by the caller or, by default, by the Settings."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.engine import URL

import cts.models  # noqa: F401  (registers every table on Base.metadata, for autogenerate)
from cts.core.config import get_settings
from cts.core.db import Base, build_engine, is_sqlite, normalize_database_url

config = context.config
target_metadata = Base.metadata


def _database_url() -> URL:
    given = config.attributes.get("database_url")
    if given is not None:
        return normalize_database_url(given)
    return normalize_database_url(get_settings().database_url)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: future migrations rebuild tables in "batch" mode there.
        render_as_batch=is_sqlite(connection.engine.url),
    )


def run_migrations_offline() -> None:
    """Write the SQL to stdout instead of running it (``alembic upgrade head --sql``)."""
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = build_engine(_database_url())
    try:
        with engine.connect() as connection:
            sqlite = is_sqlite(connection.engine.url)
            if sqlite:
                # A batch migration rebuilds a table (copy, drop, rename): with foreign keys enforced,
                # dropping a table that other rows refer to (users, by wallets and sessions) fails. Off for
                # the migration, outside its transaction (SQLite ignores the pragma inside one), and
                # checked after.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                if broken:
                    raise RuntimeError(f"the migration left rows with broken foreign keys: {broken[:5]}")
    finally:
        engine.dispose()


# Only the alembic command line configures logging from the ini file; a program calling
# upgrade_database() keeps its own logging as it is.
if config.config_file_name is not None and "database_url" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

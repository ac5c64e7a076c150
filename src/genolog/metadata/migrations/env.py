"""Alembic environment: migrations run on the connection genolog hands over (see ``db.Database.migrate``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from genolog.metadata.db import create_engine
from genolog.metadata.settings import load_settings
from genolog.metadata.tables import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn: sa.engine.Connection) -> None:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # `alembic` on the command line, e.g. revision --autogenerate with -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url") or load_settings().database_url
    with create_engine(url).begin() as conn:
        _run(conn)

"""API tokens expire: `genolog token create --expires`, a 401 naming the day, and migration 0008."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from genolog.metadata import tables as t
from genolog.metadata.context import stored_utc
from genolog.metadata.errors import BadRequest
from genolog.metadata.service import Service
from genolog.metadata.store import identity
from tests.metadata.support import Api, assert_rejected, migrate


def _expire(svc: Service, user: str, when: datetime) -> None:
    with svc.db.write() as conn:
        conn.execute(t.api_token.update().where(t.api_token.c.user == user).values(expires_at=when))


def test_an_expired_token_is_refused_naming_when_it_expired(api: Api) -> None:
    api.project(members={"alice": ["reader"]})
    assert api.call("GET", "/project/proj/members", "alice").status_code == 200
    _expire(api.svc, "alice", datetime(2026, 3, 1, 12, 30, tzinfo=UTC))
    body = assert_rejected(
        api.call("GET", "/project/proj/members", "alice"),
        401,
        "The API token expired on 2026-03-01 12:30 UTC",
    )
    assert body["name"] == "Unauthenticated"
    # GraphQL refuses it the same way, and a token still in its lifetime works
    assert (
        api.call("POST", "", "alice", base="/graphql", json={"query": "{ myProjects { name } }"}).status_code
        == 401
    )
    _expire(api.svc, "alice", datetime.now(UTC) + timedelta(minutes=5))
    assert api.call("GET", "/project/proj/members", "alice").status_code == 200


def test_a_tokens_lifetime_is_read_from_days_hours_minutes_or_never(svc: Service) -> None:
    assert identity.parse_lifetime("90d") == timedelta(days=90)
    assert identity.parse_lifetime("12h") == timedelta(hours=12)
    assert identity.parse_lifetime(" 30M ") == timedelta(minutes=30)
    assert identity.parse_lifetime("never") is None
    for bad in ("", "5y", "-1d", "0d", "1.5d", "d", "36501d", "99999999999d"):
        with pytest.raises(BadRequest, match="lifetime"):
            identity.parse_lifetime(bad)
    with svc.db.write() as conn:
        identity.create_token(conn, "soon", lifetime=timedelta(hours=1))
        identity.create_token(conn, "forever")
        stored = dict(conn.execute(sa.select(t.api_token.c.user, t.api_token.c.expires_at)).all())
    soon = stored_utc(stored["soon"])
    assert soon is not None and timedelta(minutes=59) < soon - datetime.now(UTC) <= timedelta(hours=1)
    assert stored["forever"] is None


def test_migration_0008_adds_and_removes_the_expiry_keeping_every_token(svc: Service) -> None:
    with svc.db.write() as conn:
        _, kept = identity.create_token(conn, "old-user", "laptop")
        identity.create_token(conn, "new-user", lifetime=timedelta(days=1))
    migrate(svc, "0007", down=True)
    with svc.db.read() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("api_token")}
        # the table as it is at 0007, not as tables.py declares it
        at_0007 = sa.table("api_token", sa.column("id"), sa.column("user"))
        users = conn.execute(sa.select(at_0007.c.user).order_by(at_0007.c.id)).scalars().all()
    assert "expires_at" not in columns and users == ["old-user", "new-user"]
    migrate(svc, "head")
    with svc.db.read() as conn:
        rows = conn.execute(
            sa.select(t.api_token.c.user, t.api_token.c.expires_at).order_by(t.api_token.c.id)
        )
        assert [tuple(r) for r in rows] == [("old-user", None), ("new-user", None)]
        assert identity.user_for_token(conn, kept) == "old-user"  # a token made before 0008 never expires

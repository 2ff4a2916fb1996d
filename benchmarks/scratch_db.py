"""Throwaway PostgreSQL databases for benchmarks: every run starts from an empty database of its own
and leaves nothing behind on the server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


async def fresh_database(server_url: str) -> str:
    """A new, empty database on the server; returns its URL."""
    server = make_url(server_url)
    name = f"tsqa_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    database = make_url(url)
    admin = create_async_engine(database.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{database.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@asynccontextmanager
async def postgres_database(server_url: str) -> AsyncIterator[str | None]:
    """A fresh database for the block, dropped afterwards; None (said why) when there is no server."""
    try:
        url = await fresh_database(server_url)
    except Exception as exc:  # unreachable server, no CREATEDB right
        shown = make_url(server_url).render_as_string(hide_password=True)
        print(f"PostgreSQL at {shown} skipped: {exc}")
        yield None
        return
    try:
        yield url
    finally:
        await drop_database(url)

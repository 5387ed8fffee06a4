"""Fixtures: one Sandglass server and one Client per test module (tests use unique task queues and
workflow ids, so they do not see each other); the server's output is attached to any failure."""

from __future__ import annotations

import pytest
import pytest_asyncio
from temporalio.client import Client

from sglib import SandglassServer, bounded

_servers: list[SandglassServer] = []


@pytest_asyncio.fixture(scope="module")
async def server():
    srv = await SandglassServer().start()
    _servers.append(srv)
    try:
        yield srv
    finally:
        _servers.remove(srv)
        await srv.stop()


@pytest_asyncio.fixture(scope="module")
async def client(server) -> Client:
    return await bounded(Client.connect(server.address), 10, "Client.connect")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in _servers:
            report.sections.append((f"sandglass server {srv.address}", srv.output()[-20000:]))

"""Helpers for the Python end-to-end suite: start and stop the Sandglass binary on 127.0.0.1 and a
free port, run real Workers of the official Python SDK on unique task queues, read histories.

Every wait here is bounded, and every process started here is killed by stop()/kill9() or, as a
last resort, when the test process exits.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator, Sequence

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Replayer, Worker

HERE = Path(__file__).resolve().parent
SANDGLASS_BIN = str(Path(os.environ.get("SANDGLASS_BIN") or HERE / ".." / ".." / "build" / "sandglass").resolve())

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
# Default bound for one workflow run driven by a test.
RUN_TIMEOUT_S = 30.0

_live: set[subprocess.Popen] = set()


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_live):
        with contextlib.suppress(Exception):
            proc.kill()


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def bounded(aw, seconds: float, label: str):
    """Awaits `aw`, failing with a clear message if it takes longer than `seconds`."""
    try:
        return await asyncio.wait_for(aw, seconds)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {seconds} s: {label}") from None


def sandglass_pids(port: int) -> list[int]:
    """Live (non-zombie) Sandglass processes serving `port` (read from /proc)."""
    pids = []
    for ent in os.listdir("/proc"):
        if not ent.isdigit():
            continue
        try:
            argv = Path(f"/proc/{ent}/cmdline").read_bytes().split(b"\0")
            stat = Path(f"/proc/{ent}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2] == "Z":
            continue
        if argv and argv[0].endswith(b"sandglass") and str(port).encode() in argv:
            pids.append(int(ent))
    return pids


class SandglassServer:
    """`sandglass server start-dev --ip 127.0.0.1 --port P --headless ...`, its output kept in a file."""

    def __init__(self, args: Sequence[str] = (), db_file: str | None = None):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.argv = [SANDGLASS_BIN, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(self.port), "--headless"]
        if db_file:
            self.argv += ["--db-filename", db_file]
        self.argv += list(args)
        self._log = tempfile.NamedTemporaryFile(prefix="sandglass-py-e2e-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None

    async def start(self) -> "SandglassServer":
        if not os.path.exists(SANDGLASS_BIN):
            raise AssertionError(f"SANDGLASS_BIN {SANDGLASS_BIN} does not exist (build it with make, or set SANDGLASS_BIN)")
        self._log.write(("$ " + " ".join(self.argv) + "\n").encode())
        self._log.flush()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        _live.add(self.proc)
        deadline = time.monotonic() + START_TIMEOUT_S
        last_err: BaseException | None = None
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited during start-up (status {self.proc.returncode})\n{self.output()}")
            left = deadline - time.monotonic()
            if left <= 0:
                await self.kill9()
                raise AssertionError(f"no SDK connection after {START_TIMEOUT_S} s: {last_err}\n{self.output()}")
            try:
                # Client.connect calls GetSystemInfo: a real round trip, not just an open port.
                await asyncio.wait_for(Client.connect(self.address), min(left, 2.0))
                return self
            except Exception as err:  # not listening yet
                last_err = err
                await asyncio.sleep(0.05)

    def output(self) -> str:
        try:
            text = Path(self._log.name).read_text(errors="replace")
        except OSError:
            return ""
        return text if len(text) < 256 * 1024 else "…" + text[-256 * 1024 :]

    async def _wait_exit(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        _live.discard(self.proc)
        return True

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT_S."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if not await self._wait_exit(STOP_TIMEOUT_S):
                self.proc.kill()
                await self._wait_exit(STOP_TIMEOUT_S)
        self._cleanup_log()

    async def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            await self._wait_exit(STOP_TIMEOUT_S)

    def _cleanup_log(self) -> None:
        with contextlib.suppress(OSError):
            self._log.close()
            os.unlink(self._log.name)


def task_queue(prefix: str = "py") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@contextlib.asynccontextmanager
async def running_worker(client: Client, *, workflows: Sequence[type] = (), activities: Sequence = (),
                         task_queue_name: str | None = None, **kwargs) -> AsyncIterator[Worker]:
    """A Worker polling a unique task queue (worker.task_queue) until the block ends; its shutdown
    is bounded so a stuck poll fails the test instead of hanging it."""
    worker = Worker(client, task_queue=task_queue_name or task_queue(), workflows=list(workflows),
                    activities=list(activities), graceful_shutdown_timeout=timedelta(seconds=2),
                    **kwargs)
    run = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        await bounded(worker.shutdown(), 15, "Worker.shutdown")
        await bounded(run, 5, "Worker.run to return")


async def history_events(handle: WorkflowHandle) -> list[HistoryEvent]:
    """Every event of the handle's run, fetched through GetWorkflowExecutionHistory (all pages)."""
    hist = await bounded(handle.fetch_history(), 10, "fetch_history")
    return list(hist.events)


async def replay(handle: WorkflowHandle, workflows: Sequence[type]) -> None:
    """Replays the run's stored history with the SDK's Replayer: fails on any nondeterminism,
    i.e. if what we store is not what the worker produced."""
    hist = await bounded(handle.fetch_history(), 10, "fetch_history")
    await bounded(Replayer(workflows=list(workflows)).replay_workflow(hist), 20, "replay")


def event_name(ev: HistoryEvent) -> str:
    return EventType.Name(ev.event_type).removeprefix("EVENT_TYPE_")


def names(events: Sequence[HistoryEvent]) -> list[str]:
    return [event_name(e) for e in events]


def of_type(events: Sequence[HistoryEvent], name: str) -> list[HistoryEvent]:
    return [e for e in events if event_name(e) == name]


def scheduled_activity_types(events: Sequence[HistoryEvent]) -> list[str]:
    return [e.activity_task_scheduled_event_attributes.activity_type.name
            for e in of_type(events, "ACTIVITY_TASK_SCHEDULED")]

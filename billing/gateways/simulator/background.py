"""What a simulator face does after answering a request (webhook deliveries, debits settling later):
tasks on the face's event loop, and the one HTTP session the deliveries share. Both faces keep one."""

import asyncio
from collections.abc import Coroutine
from typing import Any

import aiohttp
from aiohttp import web


class Background:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()
        self.session: aiohttp.ClientSession | None = None

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def open(self, _app: web.Application) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def close(self, _app: web.Application) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.session is not None:
            await self.session.close()

    def attach(self, app: web.Application) -> None:
        """Opens the session when ``app`` starts; cancels the tasks and closes it when it stops."""
        app.on_startup.append(self.open)
        app.on_cleanup.append(self.close)

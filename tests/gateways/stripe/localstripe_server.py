"""localstripe (a fake Stripe on PyPI) served from Python on 127.0.0.1: its CLI binds every interface.
It pickles its state to /tmp/localstripe.pickle on every write; each run here gets its own file."""

import asyncio
import pickle
import threading
from pathlib import Path

from aiohttp import web


class LocalStripe:
    def __init__(self, state_file: Path) -> None:
        from localstripe import resources, server

        self._store_cls = resources.Store
        self._saved = (resources.Store.dump_to_disk, resources.Store.try_load_from_disk)

        def dump_to_disk(store: resources.Store) -> None:
            with state_file.open("wb") as f:
                pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)

        resources.Store.dump_to_disk = dump_to_disk  # type: ignore[method-assign]
        resources.Store.try_load_from_disk = lambda store: None  # type: ignore[method-assign]
        resources.store.clear()
        self._app = server.app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="localstripe", daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalStripe":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._store_cls.dump_to_disk, self._store_cls.try_load_from_disk = self._saved  # type: ignore[method-assign]

"""``billing serve``: gunicorn in the foreground, as production runs it (``gunicorn 'billing.wsgi:app'``)."""

from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from billing.wsgi import app

        return app


def run(host: str, port: int, workers: int) -> None:
    print(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", flush=True)
    _Server({"bind": f"{host}:{port}", "workers": workers, "graceful_timeout": 20, "accesslog": None}).run()

"""The connection pool behind the one shared ``httpx.Client``: keep-alive HTTP/1.1 connections whose
responses the standard library's ``http.client`` parses.

With httpcore, httpx's own pool, a charge cost ~0.75 ms of the adapter process's CPU at 64 in flight
on the 2-core CI machine (h11's per-event state machine, the pool's locks and its scan of every
connection), and the charging threads queued for the GIL; here it costs ~0.45 ms. A request takes the
most recently used idle connection (or opens one) and leaves in a single write, headers and body
together: two writes cost the server a second wake-up per request."""

import http.client
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

Origin = tuple[bytes, bytes, int]
KEEPALIVE_S = 5.0  # httpx's default: an older idle connection may be about to be closed by the server


def _readable(sock: socket.socket) -> bool:
    """An idle connection with something to read was closed by the server (or is out of step): not reusable."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


@contextmanager
def _mapped(timeout: type[httpx.TimeoutException], other: type[httpx.TransportError]) -> Iterator[None]:
    try:
        yield
    except TimeoutError as exc:  # socket.timeout, before OSError: it is one
        raise timeout(str(exc) or "timed out") from exc
    except http.client.HTTPException as exc:  # includes RemoteDisconnected
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
    except OSError as exc:  # refused, reset, TLS failures
        raise other(str(exc) or type(exc).__name__) from exc


class PooledTransport(httpx.BaseTransport):
    def __init__(self, max_connections: int) -> None:
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[tuple[socket.socket, float]]] = {}  # with when each went idle
        self._ssl: ssl.SSLContext | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        if not self._slots.acquire(timeout=timeouts.get("pool")):
            raise httpx.PoolTimeout("no connection became free in time")
        try:
            url = request.url
            origin = (url.raw_scheme, url.raw_host, url.port or (443 if url.raw_scheme == b"https" else 80))
            sock = self._checkout(origin, timeouts.get("connect"))
            try:
                response, reusable = self._exchange(sock, request, timeouts)
            except BaseException:
                sock.close()
                raise
            if reusable:
                with self._lock:
                    self._idle.setdefault(origin, []).append((sock, time.monotonic()))
            else:
                sock.close()
            return response
        finally:
            self._slots.release()

    def _checkout(self, origin: Origin, connect_timeout: float | None) -> socket.socket:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                entry = idle.pop() if idle else None
            if entry is None:
                return self._connect(origin, connect_timeout)
            sock, since = entry
            if time.monotonic() - since < KEEPALIVE_S and not _readable(sock):
                return sock
            sock.close()

    def _connect(self, origin: Origin, timeout: float | None) -> socket.socket:
        scheme, host, port = origin
        with _mapped(httpx.ConnectTimeout, httpx.ConnectError):
            sock = socket.create_connection((host.decode("ascii"), port), timeout)
            try:
                # Writes are whole requests: nothing gains from Nagle's wait for the previous ACK.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if scheme == b"https":
                    if self._ssl is None:
                        self._ssl = httpx.create_ssl_context()  # the CA bundle httpx itself trusts
                    sock = self._ssl.wrap_socket(sock, server_hostname=host.decode("ascii"))
            except BaseException:
                sock.close()
                raise
        return sock

    def _exchange(
        self, sock: socket.socket, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> tuple[httpx.Response, bool]:
        method = request.method.encode("ascii")
        head = [b"%s %s HTTP/1.1" % (method, request.url.raw_path)]
        head += [b"%s: %s" % (k, v) for k, v in request.headers.raw]
        with _mapped(httpx.WriteTimeout, httpx.WriteError):
            sock.settimeout(timeouts.get("write"))
            sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + request.read())
        with _mapped(httpx.ReadTimeout, httpx.ReadError):
            sock.settimeout(timeouts.get("read"))
            answer = http.client.HTTPResponse(sock, method=request.method)
            try:
                answer.begin()
                body = answer.read()
            finally:
                answer.close()  # its buffered reader only: the socket stays open
        return httpx.Response(answer.status, headers=answer.getheaders(), content=body), not answer.will_close

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for socks in idle.values():
            for sock, _ in socks:
                sock.close()

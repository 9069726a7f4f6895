"""The adapter's connection pool, against a bare HTTP server that counts its connections."""

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from billing.gateways.stripe.transport import PooledTransport

ANSWER = b'{"ok":true}'


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def handle(self) -> None:
        self.server.connections += 1
        while True:
            head = [line for line in iter(self.rfile.readline, b"\r\n") if line]
            if not head:
                return
            length = next((int(h.split(b":")[1]) for h in head if h.lower().startswith(b"content-length")), 0)
            self.server.bodies.append(self.rfile.read(length))
            if self.server.silent:
                time.sleep(1)
                return
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER))
            if self.server.hang_up:  # without saying Connection: close
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.bodies: list[bytes] = []
        self.hang_up = False
        self.silent = False


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def client(server: _Server) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        transport=PooledTransport(max_connections=2),
        timeout=httpx.Timeout(0.3, connect=0.3),
    ) as c:
        yield c


def test_connections_are_kept_alive_and_reused(server: _Server, client: httpx.Client) -> None:
    for i in range(5):
        response = client.post("/v1/payment_intents", content=f"amount={i}".encode())
        assert (response.status_code, response.json()) == (200, {"ok": True})
    assert server.connections == 1
    assert server.bodies == [f"amount={i}".encode() for i in range(5)]


def test_a_connection_the_server_closed_is_not_reused(server: _Server, client: httpx.Client) -> None:
    server.hang_up = True
    for _ in range(3):
        assert client.get("/v1/payment_intents/pi_1").status_code == 200
        time.sleep(0.05)  # the server's FIN arrives while the connection is idle
    assert server.connections == 3


def test_failures_are_httpx_transport_errors(server: _Server, client: httpx.Client) -> None:
    server.silent = True
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v1/payment_intents/pi_1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{closed_port}/v1/payment_intents/pi_1")

"""The connection pool behind the one shared ``httpx.Client``.

httpcore's pool does work proportional to its number of connections, under one lock, on every
request: with 64 connections in one pool a charge cost ~2.5 ms of CPU on the 2-core CI machine and a
run reached a third of the throughput the latency allows. So the client's transport is a few pools
of at most ``PER_POOL`` connections, and each worker thread keeps to one of them."""

import itertools
import socket
import threading

import httpx

PER_POOL = 8


class ShardedTransport(httpx.BaseTransport):
    def __init__(self, max_connections: int, per_pool: int = PER_POOL) -> None:
        shards = max(1, -(-max_connections // per_pool))
        per = -(-max_connections // shards)
        limits = httpx.Limits(max_connections=per, max_keepalive_connections=per)
        # Headers and body leave in two writes: without TCP_NODELAY the body waits for the server's
        # delayed ACK of the headers (up to 40 ms on Linux), nearly doubling a 50 ms round trip.
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        self._pools = [httpx.HTTPTransport(limits=limits, socket_options=nodelay) for _ in range(shards)]
        self._next = itertools.count()
        self._local = threading.local()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = self._pools[next(self._next) % len(self._pools)]
        return pool.handle_request(request)

    def close(self) -> None:
        for pool in self._pools:
            pool.close()

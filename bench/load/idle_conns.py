"""Opens many idle keep-alive connections to a server, for its memory per connection.

Each connection is connected without blocking (in batches, so the listen backlog never
overflows), sends one GET, reads its whole response, and is then left open and idle: the state
a server keeps for a keep-alive client between requests. Every batch has a deadline.
"""

import errno
import selectors
import socket
import time

import httpc
from procs import BenchError

BATCH = 250


class _Pending:
    """One connection of a batch: its socket and what it has read so far."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.sent = False


def open_idle(port, count, path, timeout_s):
    """Returns `count` sockets, each connected to 127.0.0.1:`port` and served once.

    BenchError (with every socket closed) on a refused connection, a short response, or when
    the whole set is not open within `timeout_s`.
    """
    deadline = time.monotonic() + timeout_s
    request = httpc.request_bytes(path)
    socks = []
    try:
        while len(socks) < count:
            socks.extend(_open_batch(port, min(BATCH, count - len(socks)), request, deadline))
    except BaseException:
        close_all(socks)
        raise
    return socks


def close_all(socks):
    for sock in socks:
        sock.close()
    socks.clear()


def _open_batch(port, count, request, deadline):
    selector = selectors.DefaultSelector()
    batch = []
    try:
        for _ in range(count):
            batch.append(_start_connect(port, selector))
        remaining = count
        while remaining:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"idle connections: {remaining} of a batch of {count} to port "
                                 f"{port} not served in time")
            for key, _ in selector.select(timeout=min(left, 1.0)):
                if _advance(key.data, selector, request, port):
                    remaining -= 1
        return [p.sock for p in batch]
    except BaseException:
        close_all([p.sock for p in batch])
        raise
    finally:
        selector.close()


def _start_connect(port, selector):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    pending = _Pending(sock)
    sock.setblocking(False)
    err = sock.connect_ex(("127.0.0.1", port))
    if err not in (0, errno.EINPROGRESS):
        sock.close()
        raise BenchError(f"idle connections: connect to port {port}: {errno.errorcode.get(err)}")
    selector.register(sock, selectors.EVENT_WRITE, pending)
    return pending


def _advance(pending, selector, request, port):
    """One readiness event of a connection; True once its response has been read whole."""
    sock = pending.sock
    if not pending.sent:
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise BenchError(f"idle connections: connect to port {port}: "
                             f"{errno.errorcode.get(err)}")
        if sock.send(request) != len(request):
            raise BenchError("idle connections: short send of a tiny request")
        pending.sent = True
        selector.modify(sock, selectors.EVENT_READ, pending)
        return False
    chunk = sock.recv(65536)
    if not chunk:
        raise BenchError(f"idle connections: port {port} closed a connection before answering")
    pending.buf += chunk
    if httpc.response_length(pending.buf) is None:
        return False
    if not pending.buf.startswith(b"HTTP/1.1 200"):
        raise BenchError(f"idle connections: unexpected answer {pending.buf[:100]!r}")
    selector.unregister(sock)
    return True

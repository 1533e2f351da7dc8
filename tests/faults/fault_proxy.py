"""A loopback HTTP/1.1 proxy that breaks chosen responses the way real networks do.

It speaks the protocol itself on raw sockets (and imports nothing from ``pipeline.http``): each
request is read, forwarded to the upstream server with ``http.client``, and the answer either
relayed intact or broken by the fault planned for that request number:

- ``reset``: the connection is reset (RST) right after the request is read;
- ``silent``: the connection is closed without a response (FIN, no status line);
- ``reset_mid``: headers and half the body, then RST;
- ``short``: ``Content-Length`` promises the body, half of it comes, then FIN (IncompleteRead);
- ``bad_chunk``: chunked transfer with a malformed chunk-size line;
- ``cut_chunk``: chunked transfer cut before the terminating zero chunk;
- ``redirect``: ``307`` to ``redirect_to`` (another host name for the same machine).
"""

from __future__ import annotations

import http.client
import socket
import socketserver
import struct
import threading
from urllib.parse import urlsplit

FAULTS = ("reset", "silent", "reset_mid", "short", "bad_chunk", "cut_chunk")


class FaultProxy:
    """``with FaultProxy(upstream_url, {1: "reset"}) as p: p.url``; requests are numbered from 1."""

    def __init__(self, upstream: str, faults: dict[int, str] | None = None, redirect_to: str | None = None):
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.upstream_path = parts.path.rstrip("/")
        self.faults = dict(faults or {})
        self.redirect_to = redirect_to
        self.count = 0
        self.seen: list[dict] = []   # request line and headers of every request received
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.upstream_path}"

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # --- one connection -------------------------------------------------------------------------

    def _handle(self, sock: socket.socket) -> None:
        fh = sock.makefile("rb")
        request_line = fh.readline().decode("latin-1").strip()
        if not request_line:
            return
        headers = {}
        while True:
            line = fh.readline().decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = fh.read(int(headers.get("content-length", 0) or 0))
        with self._lock:
            self.count += 1
            number = self.count
            self.seen.append({"line": request_line, "headers": headers})
        fault = self.faults.get(number)
        method, target, _ = request_line.split(" ", 2)
        if fault == "reset":
            return _reset(sock)
        if fault == "silent":
            sock.close()
            return
        if fault == "redirect":
            sock.sendall(f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {self.redirect_to}{target}\r\n"
                         "Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
            sock.close()
            return
        status, reason, ctype, payload = self._forward(method, target, headers, body)
        head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nConnection: close\r\n"
        half = payload[: len(payload) // 2]
        if fault in ("bad_chunk", "cut_chunk"):
            out = (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + f"{len(half):x}\r\n".encode() + half + b"\r\n"
            if fault == "bad_chunk":
                out += b"zz-not-hex\r\n" + payload[len(half):] + b"\r\n0\r\n\r\n"
            sock.sendall(out)
            sock.close()
            return
        sock.sendall((head + f"Content-Length: {len(payload)}\r\n\r\n").encode())
        if fault == "reset_mid":
            sock.sendall(half)
            return _reset(sock)
        if fault == "short":
            sock.sendall(half)
            sock.close()
            return
        sock.sendall(payload)
        sock.close()

    def _forward(self, method: str, target: str, headers: dict, body: bytes):
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            keep = {k: v for k, v in headers.items() if k not in ("host", "connection", "accept-encoding")}
            conn.request(method, target, body=body or None, headers=keep)
            resp = conn.getresponse()
            return resp.status, resp.reason, resp.getheader("Content-Type", "application/octet-stream"), resp.read()
        finally:
            conn.close()


def _reset(sock: socket.socket) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP RST: the peer sees ECONNRESET.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()

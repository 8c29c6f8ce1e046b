"""Loopback HTTPS server with a self-signed certificate (from a private test CA) answering every
MailStore call with a small envelope. ``python -m bench.tls_server PORTFILE``."""

from __future__ import annotations

import json
import ssl
import sys
from http.server import ThreadingHTTPServer
from pathlib import Path

import trustme

from bench.common import QuietHandler

BODY = (
    "\ufeff"
    + json.dumps(
        {
            "statusCode": "succeeded",
            "statusVersion": 2,
            "token": None,
            "result": {
                "userName": "john",
                "fullName": "John Doe",
                "emailAddresses": ["john@example.com"],
                "privileges": ["login"],
            },
        }
    )
).encode()


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # the async benchmark keeps 50 connections busy at once
    daemon_threads = True


class Handler(QuietHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


if __name__ == "__main__":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    server = Server(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    Path(sys.argv[1]).write_text(str(server.server_address[1]))
    server.serve_forever()

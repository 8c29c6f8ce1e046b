"""Loopback server for the large-file benchmark: GET-style POST answers N MiB of PDF-ish bytes,
uploads are read and discarded. ``python -m bench.bulk_server PORTFILE``."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from pathlib import Path

from bench.common import QuietHandler

BLOCK = (b"%PDF-1.4 " + bytes(range(256)) * 4096)[: 1 << 20]  # 1 MiB


class Handler(QuietHandler):
    def do_POST(self) -> None:
        if self.path.startswith("/download/"):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            mib = int(self.path.split("/")[2])
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(mib << 20))
            self.end_headers()
            for _ in range(mib):
                self.wfile.write(BLOCK)
            return
        # an upload: consume the (chunked or sized) body without keeping it
        if self.headers.get("Transfer-Encoding") == "chunked":
            while True:
                size = int(self.rfile.readline().strip(), 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        else:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining:
                remaining -= len(self.rfile.read(min(remaining, 1 << 20)))
        body = (
            b"<document><id>1</id><status>0</status><description>Success</description></document>"
        )
        self.send_response(201)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(sys.argv[1]).write_text(str(server.server_address[1]))
    server.serve_forever()

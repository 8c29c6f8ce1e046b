"""A loopback server answering Lleida ``list_pdf`` with N generated rows, streamed chunked so the
server itself stays small. Run as a separate process: ``python -m bench.listing_server PORTFILE``.
"""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from pathlib import Path

from bench.common import QuietHandler

ROW = (
    "<pdf_row><mail_id>{n}</mail_id><gstatus>1</gstatus><gstatus_aux>0</gstatus_aux>"
    "<mail_date>20171108124802</mail_date><mail_type>1</mail_type><credits>1</credits>"
    "<file_doc_model>MC</file_doc_model><file_uid>f{n:012d}</file_uid><file_id>{n}</file_id>"
    "<file_status>5</file_status><file_status_desc>Finished pdf</file_status_desc>"
    "<file_name>cert_{n}.pdf</file_name><file_type>S</file_type>"
    "<mail_from>sender@example.com</mail_from><mail_to>recipient@example.com</mail_to>"
    "<mail_subj>=?utf-8?Q?John=20aDoe?=</mail_subj><add_id>{n}</add_id>"
    "<add_displaydate>20171108</add_displaydate><add_uid>u{n}</add_uid></pdf_row>"
)
BATCH = 500


def body(rows: int):  # type: ignore[no-untyped-def]
    yield (
        f'<?xml version="1.0" encoding="ISO-8859-1"?><result><status>100</status>'
        f'<pdf_list rows_found="{rows}" rows_ok="{rows}" rows_ko="0">'
    ).encode()
    for start in range(0, rows, BATCH):
        yield "".join(ROW.format(n=n) for n in range(start, min(rows, start + BATCH))).encode()
    yield b"</pdf_list></result>"


class Handler(QuietHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        rows = int(self.path.split("/")[2])  # /rows/<n>/...
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in body(rows):
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(sys.argv[1]).write_text(str(server.server_address[1]))
    server.serve_forever()

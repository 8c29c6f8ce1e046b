"""Constant parameters and headers: always sent, never asked for (not in the method's signature,
the docs' arguments or the command line)."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from generator.model import CALL_OPTION_NAMES
from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: const_api, title: Constants, client_class: ConstClient}
server: {url: "http://127.0.0.1:1"}
protocol:
  encoding: query
  decoding: json
  default_method: GET
  headers: {Accept: application/vnd.example+json}
operations:
  artist_info:
    path: /2.0/
    params:
      method: {type: str, const: artist.getinfo}
      format: {type: str, const: json}
      X-Api-Version: {type: str, in: header, name: api_version, const: "2022-11-28"}
      artist: {type: str, required: true}
"""


def test_constants_are_sent_and_not_asked_for(tmp_path: Path, server: Loopback) -> None:
    module = build_package(tmp_path, SPEC)
    client = module.ConstClient(base_url=server.url)
    parameters = list(inspect.signature(client.artist_info).parameters)
    assert parameters == ["artist", *CALL_OPTION_NAMES]  # no method, format or version
    server.reply(Reply(200, "{}"))
    client.artist_info("Cher")
    request = server.requests[0]
    assert request.query == {"method": ["artist.getinfo"], "format": ["json"], "artist": ["Cher"]}
    assert request.headers["X-Api-Version"] == "2022-11-28"
    assert request.headers["Accept"] == "application/vnd.example+json"
    cli = importlib.import_module(module.__name__.rsplit(".", 1)[0] + "._runtime.cli")
    command = cli.build_parser(module.ConstClient._api)
    help_text = command._subparsers._group_actions[0].choices["artist-info"].format_help()
    assert "--artist" in help_text and "--method" not in help_text

"""XML shapes real APIs use: attributes named with ``@``, an element's own text beside its
attributes (Last.fm's ``<image size="small">URL</image>``), namespaced element names, read and
written the same way."""

from __future__ import annotations

from pathlib import Path

from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

SHAPES_SPEC = """\
spec_version: 1
api: {name: shapes_api, title: XML shapes, client_class: ShapesClient}
server: {url: "http://127.0.0.1:1"}
protocol:
  encoding: xml_body
  decoding: xml
models:
  Image:
    fields:
      size: {type: str, wire: "@size"}
      url: {type: str, text: true}
  Track:
    xml_element: track
    fields:
      rank: {type: int, wire: "@rank"}
      name: {type: str}
      images: {type: "list[Image]", wire: image}
      label: {type: str, wire: "{urn:example:music}label"}
operations:
  echo:
    path: /echo
    returns: Track
    params:
      track: {type: Track, required: true}
"""


def test_attributes_named_with_at_element_text_and_namespaced_names(
    tmp_path: Path, server: Loopback
) -> None:
    module = build_package(tmp_path, SHAPES_SPEC)
    client = module.ShapesClient(base_url=server.url)
    answer = (
        '<track rank="1" xmlns:m="urn:example:music"><name>Believe</name>'
        '<image size="small">https://img/s.png</image><image size="large">https://img/l.png</image>'
        "<m:label>WEA</m:label></track>"
    )
    server.reply(Reply(200, answer))
    track = client.echo(
        module.Track(rank=2, name="Strong", images=[module.Image(size="s", url="u")])
    )
    assert (track.rank, track.name, track.label) == (1, "Believe", "WEA")
    assert [(i.size, i.url) for i in track.images] == [
        ("small", "https://img/s.png"),
        ("large", "https://img/l.png"),
    ]
    assert server.requests[0].body.endswith(
        b'<track rank="2"><name>Strong</name><image size="s">u</image></track>'
    )

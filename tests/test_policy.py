"""The transport policy on its own: the decisions every transport applies, without any I/O
(``generated._runtime.policy``). The hostile-server matrix (``test_hostile_network``) shows
them applied over sockets; here each rule is swept over its whole input space."""

from __future__ import annotations

import gzip
import itertools
import zlib

import pytest

from generated._runtime.errors import LimitExceeded, TransportError
from generated._runtime.policy import (
    INFLATION_FLOOR,
    MAX_REDIRECTS,
    BodyDecoder,
    Deadline,
    Hop,
    Limits,
    PollPacer,
    encode_segment,
    header_problem,
    next_hop,
    origin_of,
)

VENDOR = "https://api.vendor.example:8443"
ORIGIN = origin_of(VENDOR)
HEADERS = {
    "User-Agent": "specgen-x",
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Authorization": "Basic c2VjcmV0",
    "X-Api-Key": "k3y",
    "X-XSRF-Token": "xsrf",
    "Cookie": "session=1",
    "Content-Type": "application/x-www-form-urlencoded",
}
TARGETS = {
    "same origin": f"{VENDOR}/next",
    "same origin, relative": "/next",
    "same origin, default port spelled out": "https://API.vendor.example:8443/next",
    "another port": "https://api.vendor.example:9443/next",
    "another host": "https://cdn.example/next",
    "plain http, same host": "http://api.vendor.example:8443/next",
    "not http": "ftp://api.vendor.example/next",
}


def _hop(method: str, body: bytes | None = b"a=1") -> Hop:
    return Hop(method, f"{VENDOR}/start?api_key=k3y", HEADERS, body)


@pytest.mark.parametrize("redirects", ["same_origin", "any_origin"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize("where", list(TARGETS))
def test_a_redirect_is_followed_only_as_the_policy_says(
    where: str, method: str, status: int, redirects: str
) -> None:
    hop = _hop(method, None if method in ("GET", "HEAD") else b"a=1")
    location = TARGETS[where]
    elsewhere = where in ("another port", "another host")
    keeps = status in (307, 308)
    turns_get = status in (302, 303) or (status == 301 and method == "POST")
    becomes = "GET" if turns_get and method != "HEAD" else method
    refused = (
        where in ("plain http, same host", "not http")
        or (elsewhere and redirects == "same_origin")
        or (elsewhere and becomes not in ("GET", "HEAD"))
    )
    if refused:
        with pytest.raises(TransportError):
            next_hop(hop, status, location, origin=ORIGIN, hops=0, redirects=redirects)
        return
    following = next_hop(hop, status, location, origin=ORIGIN, hops=0, redirects=redirects)
    assert following is not None and following.method == becomes
    assert following.elsewhere is elsewhere
    if elsewhere:  # nothing that could be a credential goes along
        assert following.body is None
        assert set(following.headers) == {"User-Agent", "Accept", "Accept-Encoding"}
    elif becomes == method and keeps:
        assert (following.body, following.headers) == (hop.body, hop.headers)
    else:
        assert following.body is None and "Content-Type" not in following.headers
        assert following.headers["Authorization"] == HEADERS["Authorization"]


def test_not_a_redirect_is_no_hop_and_the_chain_is_short() -> None:
    hop = _hop("GET", None)
    for status in (200, 204, 300, 304, 400, 500):
        assert next_hop(hop, status, "/x", origin=ORIGIN, hops=0, redirects="same_origin") is None
    assert next_hop(hop, 302, None, origin=ORIGIN, hops=0, redirects="same_origin") is None
    assert next_hop(hop, 302, "/x", origin=ORIGIN, hops=MAX_REDIRECTS - 1, redirects="same_origin")
    with pytest.raises(TransportError, match=f"more than {MAX_REDIRECTS} redirects"):
        next_hop(hop, 302, "/x", origin=ORIGIN, hops=MAX_REDIRECTS, redirects="same_origin")


def test_a_streamed_body_is_not_sent_twice() -> None:
    import io

    hop = Hop("POST", f"{VENDOR}/upload", HEADERS, io.BytesIO(b"file"))
    with pytest.raises(TransportError, match="cannot be sent twice"):
        next_hop(hop, 307, "/again", origin=ORIGIN, hops=0, redirects="same_origin")


def test_a_secret_the_vendor_echoes_in_a_location_elsewhere_is_dropped_and_masked() -> None:
    hop = _hop("GET", None)
    following = next_hop(
        hop,
        302,
        "https://cdn.example/blob?api_key=k3y-value&expires=60",
        origin=ORIGIN,
        hops=0,
        redirects="any_origin",
        secrets=["k3y-value"],
    )
    assert following is not None and following.url == "https://cdn.example/blob?expires=60"
    with pytest.raises(TransportError) as caught:
        next_hop(
            hop,
            302,
            "https://cdn.example/blob?api_key=k3y-value",
            origin=ORIGIN,
            hops=0,
            redirects="same_origin",
            secrets=["k3y-value"],
        )
    assert "k3y-value" not in str(caught.value) and "api_key=***" in str(caught.value)


# -- bodies ---------------------------------------------------------------------------------------

LIMITS = Limits(max_answer_bytes=1 << 30, max_item_bytes=1 << 20, max_inflation=200)
TEXT = b"<result><status>100</status>" + b"<row>certificate</row>" * 400 + b"</result>"


def _deflate(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


ENCODED = {
    "identity": (None, TEXT),
    "gzip": ("gzip", gzip.compress(TEXT)),
    "x-gzip": ("x-gzip", gzip.compress(TEXT)),
    "deflate (zlib)": ("deflate", _deflate(TEXT, zlib.MAX_WBITS)),
    "deflate (raw)": ("deflate", _deflate(TEXT, -zlib.MAX_WBITS)),
    "two gzip members": ("gzip", gzip.compress(TEXT[:500]) + gzip.compress(TEXT[500:])),
    "gzip, padded with zeros": ("gzip", gzip.compress(TEXT) + bytes(16)),
    "gzip twice": ("gzip, gzip", gzip.compress(gzip.compress(TEXT))),
    "identity, gzip": ("identity, gzip", gzip.compress(TEXT)),
}


def _decode(coding: str | None, wire: bytes, sizes: list[int], limits: Limits = LIMITS) -> bytes:
    decoder = BodyDecoder(coding, limits, held=True)
    out: list[bytes] = []
    position = 0
    for size in itertools.cycle(sizes):
        if position >= len(wire):
            break
        out.extend(decoder.feed(wire[position : position + size]))
        position += size
    decoder.close()
    return b"".join(out)


@pytest.mark.parametrize("sizes", [[1], [2, 3], [7], [64], [1 << 20]], ids=str)
@pytest.mark.parametrize("name", list(ENCODED))
def test_every_coding_decodes_the_same_bytes_however_the_wire_is_split(
    name: str, sizes: list[int]
) -> None:
    coding, wire = ENCODED[name]
    assert _decode(coding, wire, sizes) == TEXT


@pytest.mark.parametrize("name", [n for n in ENCODED if n != "identity"])
def test_a_compressed_body_cut_anywhere_is_an_error_never_a_shorter_answer(name: str) -> None:
    coding, wire = ENCODED[name]
    stop = len(wire) - (16 if "padded" in name else 0)
    # a cut exactly between two gzip members looks complete (HTTP's framing tells it apart)
    between = len(gzip.compress(TEXT[:500])) if name == "two gzip members" else None
    for cut in range(1, stop, max(1, stop // 40)):
        if cut != between:
            with pytest.raises(TransportError):
                _decode(coding, wire[:cut], [64])


@pytest.mark.parametrize(
    ("coding", "wire", "problem"),
    [
        ("gzip", b"not gzip at all", "corrupt"),
        ("deflate", b"\x00\x01\x02\x03garbage", "corrupt"),
        ("gzip", gzip.compress(TEXT) + b"trailing garbage", "corrupt"),
        ("deflate", _deflate(TEXT, zlib.MAX_WBITS) + b"more", "data after its end"),
        ("br", b"whatever", "did not ask for"),
        ("compress", b"whatever", "did not ask for"),
    ],
)
def test_a_corrupt_or_unknown_coding_is_an_error(coding: str, wire: bytes, problem: str) -> None:
    with pytest.raises(TransportError, match=problem):
        _decode(coding, wire, [64])


def test_an_empty_compressed_body_is_empty() -> None:
    assert _decode("gzip", b"", [64]) == b""


def test_inflation_is_bounded_past_the_floor_and_only_there() -> None:
    zeros = gzip.compress(bytes(INFLATION_FLOOR))  # about 1,000 times: allowed below the floor
    assert len(_decode("gzip", zeros, [1 << 20])) == INFLATION_FLOOR
    bomb = gzip.compress(bytes(8 * INFLATION_FLOOR))
    with pytest.raises(LimitExceeded, match="max_inflation=200") as caught:
        _decode("gzip", bomb, [len(bomb)])
    assert caught.value.option == "max_inflation"
    lenient = LIMITS._replace(max_inflation=2000)
    assert len(_decode("gzip", bomb, [64], lenient)) == 8 * INFLATION_FLOOR


@pytest.mark.parametrize("coding", [None, "gzip"])
def test_an_answer_held_in_memory_is_bounded_to_the_byte(coding: str | None) -> None:
    limits = LIMITS._replace(max_answer_bytes=len(TEXT))
    wire = TEXT if coding is None else gzip.compress(TEXT)
    assert _decode(coding, wire, [100], limits) == TEXT
    with pytest.raises(LimitExceeded, match=f"max_answer_bytes={len(TEXT) - 1}"):
        _decode(coding, wire, [100], limits._replace(max_answer_bytes=len(TEXT) - 1))
    streamed = BodyDecoder(coding, limits._replace(max_answer_bytes=1), held=False)
    assert b"".join(streamed.feed(wire)) == TEXT  # a streamed answer is not held


# -- pacing and deadlines -------------------------------------------------------------------------


def test_polls_back_off_while_the_server_answers_at_once_with_nothing_new() -> None:
    pacer = PollPacer(0.25, 5.0)
    waits = [pacer.wait_after(0.0, changed=False) for _ in range(8)]
    assert waits == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert pacer.wait_after(0.0, changed=True) == 0.25  # progress: the next poll comes soon
    assert pacer.wait_after(0.0, changed=False) == 0.25
    assert pacer.wait_after(0.0, changed=False) == 0.5


def test_a_server_that_holds_the_poll_is_not_made_to_wait_more() -> None:
    pacer = PollPacer(0.25, 5.0)
    assert [pacer.wait_after(1.0, changed=False) for _ in range(5)] == [0.0] * 5
    assert pacer.wait_after(0.1, changed=False) == pytest.approx(0.15)


def test_a_deadline_bounds_every_timeout_and_ignores_the_time_items_are_held() -> None:
    deadline = Deadline(10.0, "this call's")
    assert deadline.bound(60.0) <= 10.0 and deadline.bound(2.0) == 2.0
    assert deadline.allows(5.0) and not deadline.allows(11.0)
    expired = Deadline(0.0, "the client's")
    assert expired.expired() and expired.bound(60.0) == 0.001
    expired.held += 30.0  # the caller held streamed items that long
    assert not expired.expired()
    error = Deadline(2.5, "this call's").error("while reading the answer", attempts=2)
    assert "this call's timeout=2.5" in str(error) and error.seconds == 2.5
    assert isinstance(error, TimeoutError) and error.attempts == 2


# -- inputs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F])
def test_every_control_character_but_tab_is_refused_in_a_header(code: int) -> None:
    problem = header_problem("X-Value", f"a{chr(code)}b")
    assert problem is not None and f"U+{code:04X}" in problem
    assert header_problem("X-Value", "a\tb") is None


@pytest.mark.parametrize(
    ("text", "segment"),
    [(".", "%2E"), ("..", "%2E%2E"), ("...", "..."), ("a.b", "a.b"), ("/", "%2F"), ("", "")],
)
def test_dot_segments_stay_segments(text: str, segment: str) -> None:
    assert encode_segment(text) == segment

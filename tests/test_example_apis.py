"""Specs for public APIs in ``examples/specs/``, proved the way a user would: their generated
clients (built in a temporary folder: ``examples/`` never changes ``generated/``) answer every
example over real HTTP, and send what the vendor's official Python SDK sends for the same calls
on the same server."""

from __future__ import annotations

import importlib
import json
import re
import ssl
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs

import pytest
import trustme

from generator import pipeline
from generator.model import Example
from generator.runtime.descriptors import ApiDescription as Api
from generator.runtime.descriptors import Operation
from tests.conftest import ROOT
from tests.loopback import Loopback, Reply, Request
from tests.spec_packages import build_package
from tests.test_examples import example_cases, python_value

EXAMPLE_SPECS = sorted((ROOT / "examples" / "specs").glob("*.yaml"))
SPECS = pipeline.load_apis(EXAMPLE_SPECS)
APIS = [spec.api for spec in SPECS]
CASES = example_cases(SPECS)
REDACTED = "REDACTED"
# settings the examples' requests show (Twilio's account is in every path): the rest REDACTED
SETTING_VALUES = {"account_sid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    folder = tmp_path_factory.mktemp("example_packages")
    return {
        spec.stem: build_package(folder / spec.stem, spec.read_text(encoding="utf-8"))
        for spec in EXAMPLE_SPECS
        if (folder / spec.stem).mkdir() is None
    }


def client_for(api: Api, package: ModuleType, url: str, **extra: Any) -> Any:
    secrets = {
        s.name: SETTING_VALUES.get(s.name, REDACTED) for s in api.settings if s.secret or s.required
    }
    if api.auth.scheme == "oauth2_client_credentials":
        # the examples are the API's exchanges: a token given, not fetched from the vendor's
        # token host (the token exchange is compared with spotipy below)
        runtime = importlib.import_module(package.__name__.rsplit(".", 1)[0] + "._runtime")
        extra.setdefault("auth", runtime.Bearer(REDACTED))
    return getattr(package, api.client_class)(**secrets, base_url=url, retry_attempts=0, **extra)


def sent_fields(request: Request) -> dict[str, list[str]]:
    """Every parameter of a request, from its query string and its form body alike."""
    fields = {k: list(v) for k, v in request.query.items()}
    content_type = {k.lower(): v for k, v in request.headers.items()}.get("content-type", "")
    if request.body and "form" in content_type:
        for key, values in parse_qs(request.body.decode(), keep_blank_values=True).items():
            fields.setdefault(key, []).extend(values)
    return fields


@pytest.mark.parametrize("case", CASES, ids=[f"{a.name}.{o.name}.{e.name}" for a, o, e in CASES])
def test_every_example_over_real_http(
    case: tuple[Api, Operation, Example], packages: dict[str, ModuleType], server: Loopback
) -> None:
    api, op, example = case
    package = packages[api.name]
    response = example.response
    server.reply(
        Reply(
            int(str(response.get("status", 200))),
            str(response.get("body", "")),
            {str(k): str(v) for k, v in dict(response.get("headers") or {}).items()},
        )
    )
    client = client_for(api, package, server.url)
    kwargs = {
        p.name: python_value(api, p, example.params[p.wire])
        for p in op.params
        if p.wire in example.params
    }
    method = getattr(client, op.name)
    if example.raises:
        with pytest.raises(getattr(package, example.raises)):
            method(**kwargs)
    else:
        pretty = importlib.import_module(package.__name__.rsplit(".", 1)[0] + "._runtime.printing")
        assert pretty.plain(method(**kwargs)) == example.result
    (request,) = server.requests
    wanted = example.request
    assert (request.method, request.path) == (wanted.get("method"), wanted.get("path"))
    query = {
        str(k): v if isinstance(v, list) else [str(v)]
        for k, v in dict(wanted.get("query") or {}).items()
    }
    assert request.query == query
    body = wanted.get("body")
    if isinstance(body, dict) and api.protocol.encoding == op.encoding == "form":
        form = parse_qs(request.body.decode(), keep_blank_values=True)
        assert form == {str(k): [str(v)] for k, v in body.items()}


# -- Last.fm against pylast ------------------------------------------------------------------

ARTIST = (
    '<?xml version="1.0" encoding="utf-8"?><lfm status="ok"><artist><name>Cher</name>'
    "<stats><listeners>1200000</listeners><playcount>47000000</playcount></stats></artist></lfm>"
)
TOP = (
    '<?xml version="1.0" encoding="utf-8"?><lfm status="ok"><toptracks artist="Cher" page="1" '
    'perPage="2" totalPages="1" total="2"><track rank="1"><name>Believe</name>'
    '<playcount>9</playcount><artist><name>Cher</name></artist></track><track rank="2">'
    "<name>Strong Enough</name><playcount>2</playcount><artist><name>Cher</name></artist>"
    "</track></toptracks></lfm>"
)


@pytest.fixture
def lastfm_server(https_server: Loopback) -> Loopback:
    https_server.responder = lambda request: Reply(
        200, TOP if "getTopTracks" in str(sent_fields(request)) else ARTIST
    )
    return https_server


def test_lastfm_calls_send_what_pylast_sends(
    packages: dict[str, ModuleType],
    lastfm_server: Loopback,
    authority: trustme.CA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pylast = pytest.importorskip("pylast")
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    (api,) = [a for a in APIS if a.name == "lastfm"]
    ours = getattr(packages["lastfm"], api.client_class)(
        "KEY-123", base_url=lastfm_server.url, ca_bundle=str(ca_file)
    )
    monkeypatch.setattr(pylast, "SSL_CONTEXT", ssl.create_default_context(cafile=str(ca_file)))
    network = pylast.LastFMNetwork(api_key="KEY-123")
    network.ws_server = (lastfm_server.url.removeprefix("https://"), "/2.0/")

    listeners = ours.artist_get_info("Cher").artist.stats.listeners
    assert listeners == network.get_artist("Cher").get_listener_count() == 1200000
    tracks = list(ours.iter_artist_get_top_tracks("Cher", limit=2))  # pylast walks pages too
    theirs = network.get_artist("Cher").get_top_tracks(limit=2, cacheable=False)
    assert [t.name for t in tracks] == [t.item.title for t in theirs]

    requests = lastfm_server.requests
    mine, sdk = requests[0::2], requests[1::2]  # ours and pylast's, call by call
    for own, reference in zip(mine, sdk, strict=True):
        assert own.path == reference.path == "/2.0/"
        # pylast POSTs a form, we GET a query (Last.fm takes both): the same parameters, but
        # for pylast's page=1 on the first page (Last.fm documents page as optional, default 1:
        # a walk sends only the numbers of the pages after the first)
        theirs_sent = sent_fields(reference)
        if "page" not in sent_fields(own) and theirs_sent.get("page") == ["1"]:
            del theirs_sent["page"]
        assert sent_fields(own) == theirs_sent


# -- GitHub against PyGithub -----------------------------------------------------------------

USER = '{"login": "octocat", "id": 1, "type": "User"}'
REPO = '{{"id": {n}, "name": "r{n}", "full_name": "octocat/r{n}", "owner": {user}}}'


def github_vendor(server: Loopback) -> Any:
    """Answers as GitHub documents: the user, repositories two pages long (Link header), one
    repository, a created issue."""

    def answer(request: Request) -> Reply:
        if request.path == "/user":
            return Reply(200, USER)
        if request.path == "/user/repos":
            page = int(request.query.get("page", ["1"])[0])
            repos = ",".join(REPO.format(n=2 * page + i, user=USER) for i in (0, 1))
            headers = {"Content-Type": "application/json"}
            if page == 1:
                headers["Link"] = f'<{server.url}/user/repos?per_page=2&page=2>; rel="next"'
            return Reply(200, f"[{repos}]", headers)
        if request.path == "/repos/octocat/r1" and request.method == "GET":
            return Reply(200, REPO.format(n=1, user=USER))
        if request.path == "/repos/octocat/r1/issues" and request.method == "POST":
            return Reply(201, '{"number": 7, "title": "Bug", "state": "open"}')
        return Reply(404, '{"message": "Not Found"}')

    return answer


def test_github_calls_send_what_pygithub_sends(
    packages: dict[str, ModuleType], server: Loopback
) -> None:
    github = pytest.importorskip("github")
    server.responder = github_vendor(server)
    (api,) = [a for a in APIS if a.name == "github"]
    ours = getattr(packages["github"], api.client_class)("ghp-TOKEN", base_url=server.url)
    theirs = github.Github(auth=github.Auth.Token("ghp-TOKEN"), base_url=server.url, retry=None)

    assert ours.get_authenticated_user().login == theirs.get_user().login == "octocat"
    mine = [r.full_name for r in ours.iter_list_my_repos(per_page=2)]
    assert (
        mine
        == [r.full_name for r in theirs.get_user().get_repos()]
        == [
            "octocat/r2",
            "octocat/r3",
            "octocat/r4",
            "octocat/r5",
        ]
    )
    assert ours.create_issue("octocat", "r1", "Bug", body="x", labels=["bug"]).number == 7
    assert theirs.get_repo("octocat/r1").create_issue("Bug", body="x", labels=["bug"]).number == 7

    requests = server.requests
    ours_sent = [r for r in requests if r.headers.get("Authorization", "").startswith("Bearer")]
    sdk_sent = [r for r in requests if r.headers.get("Authorization", "").startswith("token")]
    # PyGithub fetches the repository before creating its issue; we address it by path
    sdk_sent = [r for r in sdk_sent if not (r.method == "GET" and r.path == "/repos/octocat/r1")]
    assert len(ours_sent) == len(sdk_sent) == 4
    for own, reference in zip(ours_sent, sdk_sent, strict=True):
        assert (own.method, own.path) == (reference.method, reference.path)
        # PyGithub asks for its default page size (per_page=30) unless told; the rest is equal
        own_query = {k: v for k, v in own.query.items() if k != "per_page"}
        assert own_query == {k: v for k, v in reference.query.items() if k != "per_page"}
        assert (
            own.headers["Authorization"].split()[-1]
            == reference.headers["Authorization"].split()[-1]
        )  # the token: "Bearer" (GitHub's documented form) vs PyGithub's "token"
        if own.body or reference.body:
            assert json.loads(own.body) == json.loads(reference.body)
    assert all(r.headers["X-GitHub-Api-Version"] == "2022-11-28" for r in ours_sent)
    assert all(r.headers["Accept"] == "application/vnd.github+json" for r in ours_sent)


# -- Stripe against stripe-python ------------------------------------------------------------


def stripe_vendor(request: Request) -> Reply:
    """Answers as Stripe documents: a created customer, and customers two pages long."""
    if request.method == "POST" and request.path == "/v1/customers":
        fields = parse_qs(request.body.decode())
        return Reply(
            200, json.dumps({"id": "cus_9", "object": "customer", "email": fields["email"][0]})
        )
    if request.method == "GET" and request.path == "/v1/customers":
        after = request.query.get("starting_after", [None])[0]
        ids, more = (["cus_3"], False) if after == "cus_2" else (["cus_1", "cus_2"], True)
        data = [{"id": i, "object": "customer"} for i in ids]
        page = {"object": "list", "url": "/v1/customers", "data": data, "has_more": more}
        return Reply(200, json.dumps(page))
    return Reply(404, '{"error": {"type": "invalid_request_error", "message": "no"}}')


def test_stripe_calls_send_what_stripe_python_sends(
    packages: dict[str, ModuleType], server: Loopback
) -> None:
    stripe = pytest.importorskip("stripe")
    server.responder = stripe_vendor
    (api,) = [a for a in APIS if a.name == "stripe"]
    ours = getattr(packages["stripe"], api.client_class)("sk_test_KEY", base_url=server.url)
    theirs = stripe.StripeClient(
        "sk_test_KEY",
        base_addresses={"api": server.url},
        http_client=stripe.RequestsClient(),
        max_network_retries=0,
    )
    metadata = {"order": "6735", "tags": ["a", "b"]}
    expand = ["default_source", "invoice_settings.default_payment_method"]
    made_here = ours.create_customer(email="j@example.com", metadata=metadata, expand=expand)
    assert made_here.id == "cus_9"
    made = theirs.v1.customers.create(
        params={"email": "j@example.com", "metadata": metadata, "expand": expand}
    )
    assert made.id == "cus_9"
    mine = [c.id for c in ours.iter_list_customers(limit=2, expand=["data.default_source"])]
    listed = theirs.v1.customers.list(params={"limit": 2, "expand": ["data.default_source"]})
    sdk = [c.id for c in listed.auto_paging_iter()]
    assert mine == sdk == ["cus_1", "cus_2", "cus_3"]

    requests = server.requests
    ours_sent = [r for i, r in enumerate(requests) if i in (0, 2, 3)]
    sdk_sent = [r for i, r in enumerate(requests) if i in (1, 4, 5)]
    for own, reference in zip(ours_sent, sdk_sent, strict=True):
        assert (own.method, own.path) == (reference.method, reference.path)
        assert sent_fields(own) == sent_fields(reference)  # bracketed keys, cursor, limit
        assert own.headers["Authorization"] == reference.headers["Authorization"]
    assert sent_fields(ours_sent[0])["metadata[tags][1]"] == ["b"]
    assert sent_fields(ours_sent[0])["expand[1]"] == ["invoice_settings.default_payment_method"]
    assert sent_fields(ours_sent[2])["expand[0]"] == ["data.default_source"]  # every page


UUID_FORM = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_a_retried_stripe_creation_carries_one_idempotency_key_as_stripe_python_does(
    packages: dict[str, ModuleType], server: Loopback
) -> None:
    """Every POST carries a fresh key; a retry repeats the call's key (Stripe then runs the
    creation once); a GET carries none. stripe-python behaves the same on the same server."""
    stripe = pytest.importorskip("stripe")
    (api,) = [a for a in APIS if a.name == "stripe"]
    ours = getattr(packages["stripe"], api.client_class)(
        "sk_test_KEY", base_url=server.url, retry_backoff=0.0
    )
    theirs = stripe.StripeClient(
        "sk_test_KEY",
        base_addresses={"api": server.url},
        http_client=stripe.RequestsClient(),
        max_network_retries=1,
    )
    busy = Reply(503, '{"error": {"type": "api_error", "message": "try again"}}')
    for create in (
        lambda: ours.create_customer(email="j@example.com"),
        lambda: theirs.v1.customers.create(params={"email": "j@example.com"}),
        lambda: ours.create_customer(email="j@example.com"),
    ):
        server.replies.append(busy)
        server.responder = stripe_vendor
        assert create().id == "cus_9"
    keys = [r.headers.get("Idempotency-Key") for r in server.requests]
    assert all(key and UUID_FORM.match(key) for key in keys), keys
    ours_first, ours_retry, sdk_first, sdk_retry, ours_again, ours_again_retry = keys
    assert ours_first == ours_retry and sdk_first == sdk_retry  # one key per call
    assert len({ours_first, sdk_first, ours_again}) == 3  # a new call, a new key
    assert ours_again == ours_again_retry
    server.reply(Reply(200, '{"object": "list", "data": [], "has_more": false}'))
    ours.list_customers()
    assert "Idempotency-Key" not in server.requests[-1].headers
    server.reply(Reply(200, '{"id": "cus_9", "object": "customer"}'))
    ours.create_customer(email="j@example.com", idempotency_key="mine-1")
    assert server.requests[-1].headers["Idempotency-Key"] == "mine-1"  # the caller's own


# -- Spotify against spotipy -----------------------------------------------------------------

ARTIST_JSON = '{"id": "0OdUWJ0sBjDrqHygGUXeCF", "name": "Cher", "genres": ["dance pop"]}'
TRACKS_JSON = '{"tracks": [{"id": "t1", "name": "Believe"}, {"id": "t2", "name": "Strong Enough"}]}'
ALBUM = "/v1/albums/4aawyAB9vmqN3uQ7FjRGTy/tracks"


def spotify_vendor(server: Loopback) -> Any:
    """Spotify's Web API as documented: album tracks in pages whose next is a full URL (null on
    the last), search results the same way under ``artists``."""

    def answer(request: Request) -> Reply:
        if request.path.rstrip("/") == ALBUM:  # (spotipy adds a trailing slash)
            offset = int(request.query.get("offset", ["0"])[0])
            items = [
                {"id": f"t{n}", "name": f"Track {n}"} for n in range(offset, min(offset + 2, 3))
            ]
            nxt = f"{server.url}{ALBUM}?offset={offset + 2}&limit=2" if offset + 2 < 3 else None
            page = {"items": items, "limit": 2, "offset": offset, "total": 3, "next": nxt}
            return Reply(200, json.dumps(page))
        if request.path.rstrip("/") == "/v1/search":
            found = {"items": [json.loads(ARTIST_JSON)], "total": 1, "next": None}
            return Reply(200, json.dumps({"artists": found}))
        return Reply(200, TRACKS_JSON if request.path.endswith("/top-tracks") else ARTIST_JSON)

    return answer


def test_spotify_calls_send_what_spotipy_sends(
    packages: dict[str, ModuleType], server: Loopback
) -> None:
    spotipy = pytest.importorskip("spotipy")
    from spotipy.cache_handler import MemoryCacheHandler
    from spotipy.oauth2 import SpotifyClientCredentials

    with Loopback() as accounts:  # the token host: another origin than the API's
        accounts.responder = lambda request: Reply(
            200, '{"access_token": "BQD-token", "token_type": "Bearer", "expires_in": 3600}'
        )
        server.responder = spotify_vendor(server)
        ours = packages["spotify"].SpotifyClient(
            "app-id", "app-secret", base_url=server.url, servers={"accounts": accounts.url}
        )

        class Credentials(SpotifyClientCredentials):  # type: ignore[misc]
            OAUTH_TOKEN_URL = f"{accounts.url}/api/token"

        # (spotipy keeps tokens in a ./.cache file unless told otherwise)
        credentials = Credentials("app-id", "app-secret", cache_handler=MemoryCacheHandler())
        theirs = spotipy.Spotify(client_credentials_manager=credentials, retries=0)
        theirs.prefix = f"{server.url}/v1/"

        assert ours.get_artist("0OdUWJ0sBjDrqHygGUXeCF").name == "Cher"
        assert theirs.artist("0OdUWJ0sBjDrqHygGUXeCF")["name"] == "Cher"
        tracks = ours.get_artist_top_tracks("0OdUWJ0sBjDrqHygGUXeCF", market="ES").tracks
        with pytest.warns(DeprecationWarning):  # spotipy's own note on the endpoint
            theirs_tracks = theirs.artist_top_tracks("0OdUWJ0sBjDrqHygGUXeCF", country="ES")
        assert [t.name for t in tracks] == [t["name"] for t in theirs_tracks["tracks"]]
        found = ours.search_artists("cher", limit=1, offset=0).artists.items
        assert [a.name for a in found] == [
            a["name"]
            for a in theirs.search("cher", limit=1, offset=0, type="artist")["artists"]["items"]
        ]
        walked = list(ours.iter_get_album_tracks("4aawyAB9vmqN3uQ7FjRGTy", limit=2, offset=0))
        page = theirs.album_tracks("4aawyAB9vmqN3uQ7FjRGTy", limit=2)
        album = page["items"]
        while page["next"]:
            page = theirs.next(page)
            album += page["items"]
        assert [t.id for t in walked] == [t["id"] for t in album] == ["t0", "t1", "t2"]

        own_token, sdk_token = accounts.requests  # one token each, reused for every call
        assert (own_token.method, own_token.path) == (sdk_token.method, sdk_token.path)
        assert own_token.form() == sdk_token.form() == {"grant_type": ["client_credentials"]}
        assert own_token.headers["Authorization"] == sdk_token.headers["Authorization"]
        calls = server.requests
        mine = [calls[0], calls[2], calls[4], calls[6], calls[7]]
        sdk = [calls[1], calls[3], calls[5], calls[8], calls[9]]
        assert len(calls) == 10  # two pages each: no request for a page Spotify did not link
        for own, reference in zip(mine, sdk, strict=True):
            assert own.method == reference.method
            # spotipy asks for ALBUM + "/", not the documented path (Spotify answers both):
            # we send the documented one
            assert own.path == reference.path.rstrip("/")
            assert own.headers["Authorization"] == reference.headers["Authorization"]
        assert (mine[3].path, sdk[3].path) == (ALBUM, ALBUM + "/")
        assert mine[4].target == sdk[4].target  # the next page: the URL Spotify gave, as given
        assert mine[0].query == sdk[0].query == {}
        # the documented parameter is market; spotipy still sends its older name, country
        assert mine[1].query == {"market": ["ES"]} and sdk[1].query == {"country": ["ES"]}
        assert mine[2].query == sdk[2].query  # q, limit, offset, type=artist
        assert mine[3].query == sdk[3].query == {"limit": ["2"], "offset": ["0"]}


def test_spotify_fetches_a_new_token_when_the_api_refuses_an_expired_one(
    packages: dict[str, ModuleType], server: Loopback
) -> None:
    """Spotify says a token lasts an hour (expires_in 3600), but a token revoked early is
    refused with 401: the client asks the accounts host for a new one, once, and retries."""
    tokens = iter(["BQD-old", "BQD-new"])
    with Loopback() as accounts:
        accounts.responder = lambda request: Reply(
            200,
            json.dumps({"access_token": next(tokens), "token_type": "Bearer", "expires_in": 3600}),
        )
        server.responder = lambda request: (
            Reply(401, '{"error": {"status": 401, "message": "The access token expired"}}')
            if request.headers["Authorization"] == "Bearer BQD-old"
            else Reply(200, ARTIST_JSON)
        )
        client = packages["spotify"].SpotifyClient(
            "app-id", "app-secret", base_url=server.url, servers={"accounts": accounts.url}
        )
        assert client.get_artist("0OdUWJ0sBjDrqHygGUXeCF").name == "Cher"
        assert len(accounts.requests) == 2
        assert [r.headers["Authorization"] for r in server.requests] == [
            "Bearer BQD-old",
            "Bearer BQD-new",
        ]
        assert client.get_artist("0OdUWJ0sBjDrqHygGUXeCF").name == "Cher"  # the new one kept
        assert len(accounts.requests) == 2


# -- Twilio against twilio-python ------------------------------------------------------------

SID = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages"


def twilio_message(sid: str, status: str = "queued") -> dict[str, Any]:
    return {
        "sid": sid,
        "account_sid": SID,
        "to": "+15558675310",
        "from": "+15017122661",
        "body": "Hi there",
        "status": status,
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "uri": f"{MESSAGES}/{sid}.json",
    }


def twilio_vendor(request: Request) -> Reply:
    """Twilio's Message resource as documented: pages linked by next_page_uri, whose
    PageToken is the only way to the next page."""
    if request.method == "POST" and request.form().get("To") == ["+1555"]:
        error = {
            "code": 21211,
            "message": "Invalid 'To' Phone Number: +1555",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        }
        return Reply(400, json.dumps(error))
    if request.method == "POST":
        return Reply(201, json.dumps(twilio_message("SM1")))
    if request.method == "DELETE":
        return Reply(204)
    if request.path != f"{MESSAGES}.json":
        return Reply(200, json.dumps(twilio_message("SM1", "delivered")))
    token = request.query.get("PageToken", [None])[0]
    if token is None and "Page" in request.query:
        return Reply(400, '{"code": 20001, "message": "Page requested without its token"}')
    query = "To=%2B15558675310&DateSent=2023-08-24&PageSize=2"
    second = token == "PASM3"
    page = {
        "messages": (
            [twilio_message("SM3")] if second else [twilio_message("SM1"), twilio_message("SM2")]
        ),
        "page": 1 if second else 0,
        "page_size": 2,
        "next_page_uri": None if second else f"{MESSAGES}.json?{query}&Page=1&PageToken=PASM3",
        "uri": f"{MESSAGES}.json?{query}&Page={1 if second else 0}",
    }
    return Reply(200, json.dumps(page), {"Content-Type": "application/json"})


def test_twilio_calls_send_what_twilio_python_sends(
    packages: dict[str, ModuleType], server: Loopback
) -> None:
    pytest.importorskip("twilio")
    import datetime as dt

    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    class ToLoopback(TwilioHttpClient):  # type: ignore[misc]
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            url = url.replace("https://api.twilio.com", server.url)
            return super().request(method, url, *args, **kwargs)

    server.responder = twilio_vendor
    ours = packages["twilio"].TwilioClient(SID, "auth-token", base_url=server.url)
    theirs = Client(SID, "auth-token", http_client=ToLoopback())

    sent = ours.create_message(to="+15558675310", from_="+15017122661", body="Hi there")
    made = theirs.messages.create(to="+15558675310", from_="+15017122661", body="Hi there")
    assert (sent.sid, sent.from_, sent.status.value) == (made.sid, made.from_, made.status)
    assert (
        sent.date_created == made.date_created == dt.datetime(2023, 8, 24, 5, 1, 45, tzinfo=dt.UTC)
    )
    assert ours.fetch_message("SM1").status.value == theirs.messages("SM1").fetch().status
    day = dt.date(2023, 8, 24)
    walked = list(ours.iter_list_messages(to="+15558675310", date_sent=day, page_size=2))
    listed = theirs.messages.list(to="+15558675310", date_sent=day, page_size=2)
    assert [m.sid for m in walked] == [m.sid for m in listed] == ["SM1", "SM2", "SM3"]
    assert ours.delete_message("SM1") is None and theirs.messages("SM1").delete() is True
    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(packages["twilio"].InvalidToNumberError) as refused:
        ours.create_message(to="+1555", body="Hi")
    with pytest.raises(TwilioRestException) as sdk_refused:
        theirs.messages.create(to="+1555", body="Hi")
    assert refused.value.vendor_status == str(sdk_refused.value.code) == "21211"
    assert refused.value.vendor_message == "Invalid 'To' Phone Number: +1555"
    assert refused.value.details == "https://www.twilio.com/docs/errors/21211"  # more_info
    assert sdk_refused.value.msg.endswith(refused.value.vendor_message)  # (its own prefix)

    calls = server.requests
    mine, sdk = (
        calls[0::2][:2] + calls[4:6] + calls[8:9],
        calls[1::2][:2] + calls[6:8] + calls[9:10],
    )
    assert len(calls) == 12  # two pages each, no request for a page Twilio did not link
    for own, reference in zip(mine, sdk, strict=True):
        assert (own.method, own.path) == (reference.method, reference.path)
        theirs_sent = sent_fields(reference)
        if own is mine[2]:
            # Twilio documents DateSent as YYYY-MM-DD (a day in GMT); twilio-python writes the
            # day as a midnight timestamp, which Twilio also takes. We send the documented form.
            assert theirs_sent["DateSent"] == ["2023-08-24T00:00:00Z"]
            theirs_sent["DateSent"] = ["2023-08-24"]
        assert sent_fields(own) == theirs_sent
        assert own.headers["Authorization"] == reference.headers["Authorization"]
    first_page, second_page = mine[2], mine[3]
    assert first_page.query == {
        "To": ["+15558675310"],
        "DateSent": ["2023-08-24"],
        "PageSize": ["2"],
    }  # no Page=0, no token: as twilio-python sends it
    assert second_page.query["PageToken"] == ["PASM3"]
    delete = mine[4]
    assert delete.body == b"" and "Content-Type" not in delete.headers

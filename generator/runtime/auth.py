"""Authentication: the protocol a request's credentials follow (``Auth``), the runtime auths of
the spec's schemes (``Basic``, ``Bearer``, ``ApiKey``, ``BodyCredentials``,
``ClientCredentials``), and the schemes themselves, one small class each in one registry
(``AUTH_SCHEMES``).

An ``Auth`` is what a client authenticates with: the spec's scheme bound to the client's
credentials, or any object a caller passes as ``auth=`` (a request signer, a rotating token).
Its ``auth_flow`` is a flow like the core's (``exchange``): it adds the credentials and yields
the request; it receives the answer; it may first yield a request of its own (a token request,
whose answer it receives) or ``Wait``, and may yield the request once more after a 401. It never
does I/O itself, so one auth object serves sync and async clients alike.

A scheme (``AuthScheme``) is the descriptor of a spec's ``auth`` section (which settings hold
the credentials, where they travel) and knows everything about itself: its spec keys, the
checks a spec needs, its documentation text and OpenAPI form, and the ``Auth`` it binds to.
Nothing outside this module asks which scheme an API uses.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import quote_plus, urlencode, urlsplit

from .errors import TokenError
from .exchange import Wait
from .policy import REDACTED, basic_authorization, basic_credentials_problem, mask

if TYPE_CHECKING:
    from .answer import Answer
    from .descriptors import Setting
    from .encoding import BodyField, WireRequest

# A bearer token may be given as a function returning the current one (a rotating token).
TokenSource = Callable[[], str]
# What an auth flow yields (a request to send, or a pause) and receives (the answer, or None).
AuthFlow = Generator["WireRequest | Wait", "Answer | None", None]


# -- the protocol -------------------------------------------------------------------------------


class Auth:
    """How requests carry credentials. Subclass it, or pass any object with these methods as
    a client's ``auth=``:

    - ``prepare(request)`` adds the credentials to a ``WireRequest`` (its ``headers`` dict, its
      ``query`` list, its ``body``, ``url(base)``) and lists their values in
      ``request.secrets`` (masked in logs and errors): enough for a signer or a rotating token;
    - ``auth_flow(request)`` (by default: prepare, then send) for an auth that talks to the
      network: yield a request of your own to have it sent (its ``Answer`` comes back), yield
      ``Wait(seconds)`` to pause, yield the request itself to send it; after its answer
      (a 401, say) you may yield it once more;
    - ``body_fields()`` lists credentials that travel inside the body (rare).
    """

    def prepare(self, request: WireRequest) -> None:
        """Add the credentials to ``request``."""

    def auth_flow(self, request: WireRequest) -> AuthFlow:
        self.prepare(request)
        yield request

    def body_fields(self) -> list[BodyField]:
        return []


class Basic(Auth):
    """HTTP basic auth: ``Authorization: Basic`` with ``user:password`` in UTF-8 (RFC 7617)."""

    def __init__(self, user: str, password: str) -> None:
        self._value = basic_authorization(user, password)
        self._secrets = (password, self._value.split(" ", 1)[1])

    def prepare(self, request: WireRequest) -> None:
        request.headers["Authorization"] = self._value
        request.secrets.extend(self._secrets)


class Bearer(Auth):
    """``Authorization: Bearer <token>``; ``token`` may be a function returning the current
    token (asked for each request: a rotating token)."""

    def __init__(self, token: str | TokenSource) -> None:
        self._token = token

    def prepare(self, request: WireRequest) -> None:
        token = self._token() if callable(self._token) else self._token
        if not isinstance(token, str) or not token:
            raise TypeError("the bearer token function must return a non-empty string")
        request.headers["Authorization"] = f"Bearer {token}"
        request.secrets.append(token)


class ApiKey(Auth):
    """An API key in a header or a query parameter."""

    def __init__(self, key: str, *, location: str = "header", name: str = "X-API-Key") -> None:
        self._key, self._location, self._name = key, location, name

    def prepare(self, request: WireRequest) -> None:
        request.secrets.append(self._key)
        if self._location == "query":
            request.query.insert(0, (self._name, self._key))
        else:
            request.headers[self._name] = self._key


class BodyCredentials(Auth):
    """Credentials as two fields of the request body (Lleida: inside its XML document)."""

    def __init__(self, user: str, password: str, *, user_field: str, password_field: str) -> None:
        self._fields = [
            (user_field, user, None, None),
            (password_field, password, None, REDACTED),
        ]
        self._password = password

    def body_fields(self) -> list[BodyField]:
        return list(self._fields)

    def prepare(self, request: WireRequest) -> None:
        request.secrets.append(self._password)


class _Token:
    __slots__ = ("value", "fresh_until")

    def __init__(self, value: str, fresh_until: float) -> None:
        self.value = value
        self.fresh_until = fresh_until  # monotonic time; inf: until the server refuses it

    def fresh(self) -> bool:
        return time.monotonic() < self.fresh_until


class ClientCredentials(Auth):
    """OAuth 2.0 client credentials (RFC 6749 §4.4): an access token from ``token_url`` (any
    host), sent as a bearer token. The token is kept until ``expires_in`` minus a margin (a
    tenth of its life, at most 30 s), fetched once however many calls need it at the same time,
    and fetched again once when the API answers 401. The client authenticates to the token
    endpoint with HTTP basic (``client_auth="basic"``, the RFC's default) or with form fields
    (``"body"``); ``scope`` and ``fields`` (extra form fields, e.g. an ``audience``) go with
    the request. A refusal is a ``TokenError`` carrying the server's ``error`` and
    ``error_description``; the secret and the tokens are never logged."""

    MARGIN = 30.0

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        fields: Mapping[str, str] | None = None,
        client_auth: str = "basic",
    ) -> None:
        problem = token_url_problem(token_url)
        if problem is not None:
            raise ValueError(f"token_url: {problem}")
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._fields = dict(fields or {})
        self._client_auth = client_auth
        self._lock = threading.Lock()  # held while one call fetches; never across a wait
        self._token: _Token | None = None
        self.fetches = 0  # token requests sent

    def auth_flow(self, request: WireRequest) -> AuthFlow:
        token = yield from self._valid_token()
        self._apply(request, token)
        answer = yield request
        if answer is not None and answer.status == 401:
            self._forget(token)  # refused before its time: fetch another, once
            token = yield from self._valid_token()
            self._apply(request, token)
            yield request

    def _apply(self, request: WireRequest, token: _Token) -> None:
        request.headers["Authorization"] = f"Bearer {token.value}"
        request.secrets.append(token.value)

    def _forget(self, token: _Token) -> None:
        if self._token is token:  # unless another call already replaced it
            self._token = None

    def _valid_token(self) -> Generator[WireRequest | Wait, Answer | None, _Token]:
        token = self._token
        if token is not None and token.fresh():
            return token
        # One call fetches; the others wait for its token. The lock is only tried, never
        # waited on, so that no thread and no event loop blocks: a waiting call pauses (Wait).
        while not self._lock.acquire(blocking=False):
            yield Wait(0.005)
        try:
            token = self._token
            if token is not None and token.fresh():
                return token  # fetched while this call waited
            started = time.monotonic()
            self.fetches += 1
            answer = yield self.token_request()
            assert answer is not None
            token = self._token = self._read(answer, started)
            return token
        finally:
            self._lock.release()

    def token_request(self) -> WireRequest:
        from .encoding import WireRequest

        request = WireRequest("POST", "")
        request.url = self.token_url
        form = [("grant_type", "client_credentials")]
        if self._scope:
            form.append(("scope", self._scope))
        form.extend(self._fields.items())
        request.secrets.append(self._client_secret)
        if self._client_auth == "body":
            form += [("client_id", self._client_id), ("client_secret", self._client_secret)]
        else:  # RFC 6749 §2.3.1: both form-encoded, then HTTP basic
            value = basic_authorization(
                quote_plus(self._client_id), quote_plus(self._client_secret)
            )
            request.headers["Authorization"] = value
            request.secrets.append(value.split(" ", 1)[1])
        request.headers["Content-Type"] = "application/x-www-form-urlencoded"
        request.headers["Accept"] = "application/json"
        request.body = urlencode(form).encode("ascii")
        request.log_fields = {k: REDACTED if k == "client_secret" else v for k, v in form}
        request.no_auth = True
        return request

    def _read(self, answer: Answer, started: float) -> _Token:
        """The token of a token answer, or the server's refusal as a ``TokenError``."""
        host = urlsplit(self.token_url).netloc
        try:
            data = json.loads(answer.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            data = {}
        if not 200 <= answer.status < 300:
            error, description = _text(data.get("error")), _text(data.get("error_description"))
            said = ": ".join(t for t in (error, description) if t) or "no reason given"
            raise TokenError(
                mask(
                    f"the token request to {host} was refused (HTTP {answer.status}): {said}",
                    [self._client_secret],
                ),
                status=answer.status,
                error=error,
                error_description=description,
            )
        value, kind = data.get("access_token"), data.get("token_type", "bearer")
        if not isinstance(value, str) or not value:
            raise TokenError(f"the token answer of {host} holds no access_token", status=200)
        if not isinstance(kind, str) or kind.lower() != "bearer":
            raise TokenError(f"the token of {host} is of type {kind!r}, not bearer", status=200)
        lifetime = data.get("expires_in")
        if isinstance(lifetime, str) and lifetime.isdigit():
            lifetime = int(lifetime)
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            fresh_until = started + max(0.0, lifetime - min(self.MARGIN, lifetime * 0.1))
        else:
            fresh_until = float("inf")  # no lifetime given: kept until a 401
        return _Token(value, fresh_until)


def _text(value: Any) -> str | None:
    return value[:500] if isinstance(value, str) and value else None


def token_url_problem(url: str) -> str | None:
    """Why a token URL cannot be used (None: it can): the client secret travels to it, so
    plain http only to this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an absolute http(s) URL"
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return f"{url!r} would send the client secret in clear: use https"
    return None


# -- the spec's schemes -------------------------------------------------------------------------


class SpecView(Protocol):
    """What a scheme's checks see of the spec: its ``auth`` keys and the settings (provided by
    the generator's checks, which locate each problem in the spec)."""

    def has(self, key: str) -> bool:
        """Whether the spec writes ``auth.<key>``."""
        ...

    def setting(self, name: str) -> Setting | None: ...

    @property
    def named_servers(self) -> Mapping[str, str]:
        """The spec's ``server.named``."""
        ...

    def problem(self, message: str, key: str | None = None, *, at_key: bool = False) -> None:
        """Report a problem at ``auth`` (or at ``auth.<key>``)."""
        ...


class AuthScheme:
    """Base of the schemes: plain slotted classes (cheaper to define than dataclasses, and
    import time is measured), equal when their fields are. ``_fields`` maps to the spec keys
    in ``SPEC_KEYS``; ``SETTINGS`` names the fields that hold a setting's name (the
    credentials, in the order the client passes them); ``SECRET`` those whose setting must be
    secret; ``OPTIONAL`` those a spec may leave out; ``CALLABLE`` those whose setting may be a
    function returning the value (a rotating token)."""

    __slots__: tuple[str, ...] = ()
    scheme: ClassVar[str] = ""
    SPEC_KEYS: ClassVar[Mapping[str, str]] = {}
    SETTINGS: ClassVar[tuple[str, ...]] = ()
    SECRET: ClassVar[tuple[str, ...]] = ()
    OPTIONAL: ClassVar[tuple[str, ...]] = ()
    CALLABLE: ClassVar[tuple[str, ...]] = ()
    MISSING: ClassVar[Mapping[str, str]] = {}  # a field's own message when it is missing
    _field_defaults: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name, self._field_defaults.get(name)))

    @property
    def _fields(self) -> tuple[str, ...]:  # what the literal writer reads (as of a named tuple)
        return self.__slots__

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    def __hash__(self) -> int:
        return hash((type(self), *(repr(getattr(self, name)) for name in self.__slots__)))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    @classmethod
    def from_spec(cls, raw: Mapping[str, Any]) -> AuthScheme:
        """The scheme a spec's ``auth`` section declares (defaults already filled in)."""
        scheme = AUTH_SCHEMES[str(raw.get("scheme", "none"))]
        return scheme(**{name: raw.get(key) for name, key in scheme.SPEC_KEYS.items()})

    def settings_used(self) -> tuple[str, ...]:
        """The settings whose values are the credentials, in order."""
        return tuple(str(getattr(self, name)) for name in self.SETTINGS)

    def callable_settings(self) -> tuple[str, ...]:
        """The settings a caller may give as a function returning the value."""
        return tuple(str(getattr(self, name)) for name in self.CALLABLE)

    def check(self, spec: SpecView) -> None:
        """What the schema cannot say: keys of other schemes, missing keys, settings that do not
        exist or are not secret (a scheme adds its own checks after these)."""
        mine = set(self.SPEC_KEYS.values())
        for key in ALL_AUTH_KEYS:
            if key not in mine and spec.has(key):
                spec.problem(f"{key!r} does not apply to scheme {self.scheme!r}", key, at_key=True)
        for name, key in self.SPEC_KEYS.items():
            if getattr(self, name) is None:
                if name not in self.OPTIONAL:
                    missing = f"missing required key {key!r} for scheme {self.scheme!r}"
                    spec.problem(self.MISSING.get(name, missing), at_key=True)
                continue
            if name not in self.SETTINGS:
                continue
            setting = spec.setting(str(getattr(self, name)))
            if setting is None:
                spec.problem(f"{getattr(self, name)!r} names no setting", key)
            elif name in self.SECRET and not setting.secret:
                spec.problem(
                    f"setting {setting.name!r} holds a credential: mark it 'secret: true'", key
                )

    def doc(self) -> str:
        """How the API authenticates, in a few words (the API reference)."""
        return "none"

    def openapi(self, servers: Mapping[str, str]) -> tuple[str, dict[str, Any]] | None:
        """The OpenAPI security scheme (name, definition), if there is one; ``servers``: the
        spec's named servers."""
        return None

    def secret_wire_names(self) -> frozenset[str]:
        """Wire names (fields, headers, query keys, answer fields) that carry the credentials:
        masked in logs and scrubbed from recorded cassettes."""
        return frozenset()

    def credentials_problem(self, credentials: tuple[Any, ...]) -> str | None:
        """Why credentials given to a client cannot be sent (None: they can)."""
        return None

    def servers_used(self) -> tuple[str, ...]:
        """The spec's named servers this scheme sends requests to (a token endpoint)."""
        return ()

    def bind(self, credentials: tuple[Any, ...], servers: Mapping[str, str]) -> Auth | None:
        """The client's auth: this scheme with the client's credentials (None: no auth);
        ``servers``: the URLs of the spec's named servers, as the client has them."""
        return None


class NoAuth(AuthScheme):
    """No credentials."""

    __slots__ = ()
    scheme = "none"


class BasicAuth(AuthScheme):
    """HTTP basic auth (``Basic``)."""

    __slots__ = ("username", "password")
    username: str
    password: str
    scheme = "basic"
    SPEC_KEYS = {"username": "username", "password": "password"}
    SETTINGS = ("username", "password")

    def doc(self) -> str:
        return "HTTP basic"

    def openapi(self, servers: Mapping[str, str]) -> tuple[str, dict[str, Any]] | None:
        return "basicAuth", {"type": "http", "scheme": "basic"}

    def credentials_problem(self, credentials: tuple[Any, ...]) -> str | None:
        return basic_credentials_problem(credentials[0], credentials[1])

    def bind(self, credentials: tuple[Any, ...], servers: Mapping[str, str]) -> Auth:
        return Basic(credentials[0], credentials[1])


class BodyAuth(AuthScheme):
    """Credentials as two fields of the request body (``BodyCredentials``)."""

    __slots__ = ("username", "password", "username_field", "password_field")
    username: str
    password: str
    username_field: str
    password_field: str
    scheme = "body"
    SPEC_KEYS = {
        "username": "username",
        "password": "password",
        "username_field": "username_field",
        "password_field": "password_field",
    }
    SETTINGS = ("username", "password")

    def doc(self) -> str:
        return "credentials inside the request body"

    def secret_wire_names(self) -> frozenset[str]:
        return frozenset((self.password_field,)) if self.password_field else frozenset()

    def bind(self, credentials: tuple[Any, ...], servers: Mapping[str, str]) -> Auth:
        return BodyCredentials(
            credentials[0],
            credentials[1],
            user_field=self.username_field,
            password_field=self.password_field,
        )


class BearerAuth(AuthScheme):
    """``Authorization: Bearer <token>`` (``Bearer``); the setting may be a function."""

    __slots__ = ("token",)
    token: str
    scheme = "bearer"
    SPEC_KEYS = {"token": "token"}
    SETTINGS = ("token",)
    SECRET = ("token",)
    CALLABLE = ("token",)

    def doc(self) -> str:
        return (
            f"a bearer token (`Authorization: Bearer`, setting `{self.token}`: the token, or a "
            "function returning the current one)"
        )

    def openapi(self, servers: Mapping[str, str]) -> tuple[str, dict[str, Any]] | None:
        return "bearerAuth", {"type": "http", "scheme": "bearer"}

    def bind(self, credentials: tuple[Any, ...], servers: Mapping[str, str]) -> Auth:
        return Bearer(credentials[0])


class ApiKeyAuth(AuthScheme):
    """An API key in a header or a query parameter (``ApiKey``)."""

    __slots__ = ("token", "location", "name")
    token: str
    location: str
    name: str
    scheme = "api_key"
    SPEC_KEYS = {"token": "token", "location": "in", "name": "name"}
    SETTINGS = ("token",)
    SECRET = ("token",)
    MISSING = {"name": "missing required key 'name' (the header or query parameter of the key)"}

    def doc(self) -> str:
        where = "header" if self.location == "header" else "parameter"
        return f"an API key in the {self.location} {where} `{self.name}` (setting `{self.token}`)"

    def openapi(self, servers: Mapping[str, str]) -> tuple[str, dict[str, Any]] | None:
        return "apiKeyAuth", {"type": "apiKey", "in": self.location, "name": self.name}

    def secret_wire_names(self) -> frozenset[str]:
        return frozenset((self.name,)) if self.name else frozenset()

    def bind(self, credentials: tuple[Any, ...], servers: Mapping[str, str]) -> Auth:
        return ApiKey(credentials[0], location=self.location, name=self.name)


class OAuth2ClientCredentials(AuthScheme):
    """OAuth 2.0 client credentials (``ClientCredentials``): a token from ``token_url`` for
    the client id and secret settings, with an optional ``scope`` and extra ``token_fields``."""

    __slots__ = (
        "token_url",
        "token_server",
        "client_id",
        "client_secret",
        "scope",
        "token_fields",
        "client_auth",
    )
    token_url: str
    token_server: str | None
    client_id: str
    client_secret: str
    scope: str | None
    token_fields: Mapping[str, str] | None
    client_auth: str
    scheme = "oauth2_client_credentials"
    SPEC_KEYS = {
        "token_url": "token_url",
        "token_server": "token_server",
        "client_id": "client_id",
        "client_secret": "client_secret",
        "scope": "scope",
        "token_fields": "token_fields",
        "client_auth": "client_auth",
    }
    SETTINGS = ("client_id", "client_secret")
    SECRET = ("client_secret",)
    OPTIONAL = ("scope", "token_fields", "token_server")
    _field_defaults = {
        "scope": None,
        "token_fields": None,
        "client_auth": "basic",
        "token_server": None,
    }

    def check(self, spec: SpecView) -> None:
        super().check(spec)
        if self.token_url is None:
            return
        if self.token_server is not None:
            named = spec.named_servers
            if self.token_server not in named:
                listed = ", ".join(named) or "none; declare them in server.named"
                spec.problem(
                    f"{self.token_server!r} is not a named server (server.named: {listed})",
                    "token_server",
                )
                return
            if not self.token_url.startswith("/"):
                spec.problem(
                    f"with token_server, token_url is the path on that server (e.g. "
                    f"/api/token), not {self.token_url!r}",
                    "token_url",
                )
                return
            url = self.token_endpoint(named)
        elif self.token_url.startswith("/"):
            spec.problem(
                f"token_url {self.token_url!r} is a path: say on which server with "
                "'token_server' (a name in server.named), or give the whole URL",
                "token_url",
            )
            return
        else:
            url = self.token_url
        problem = token_url_problem(url)
        if problem is not None:
            spec.problem(problem, "token_server" if self.token_server else "token_url")

    def doc(self) -> str:
        scope = f", scope `{self.scope}`" if self.scope else ""
        where = f" on server `{self.token_server}`" if self.token_server else ""
        return (
            f"OAuth 2.0 client credentials (a token from `{self.token_url}`{where} for settings "
            f"`{self.client_id}` and `{self.client_secret}`{scope}; fetched again when it "
            "expires or is refused)"
        )

    def openapi(self, servers: Mapping[str, str]) -> tuple[str, dict[str, Any]] | None:
        scopes = {name: "" for name in (self.scope or "").split()}
        flow = {"tokenUrl": self.token_endpoint(servers), "scopes": scopes}
        return "oauth2", {"type": "oauth2", "flows": {"clientCredentials": flow}}

    def servers_used(self) -> tuple[str, ...]:
        return (self.token_server,) if self.token_server else ()

    def token_endpoint(self, servers: Mapping[str, str]) -> str:
        """The token URL in full: ``token_url``, on ``token_server`` when it names one."""
        if self.token_server is None:
            return self.token_url
        return servers[self.token_server].rstrip("/") + self.token_url

    def secret_wire_names(self) -> frozenset[str]:
        # the secret as a form field, and the tokens in the token endpoint's answer
        return frozenset(("client_secret", "access_token", "refresh_token"))

    def bind(self, credentials: tuple[Any, ...], servers: Mapping[str, str]) -> Auth:
        return ClientCredentials(
            self.token_endpoint(servers),
            credentials[0],
            credentials[1],
            scope=self.scope,
            fields=self.token_fields,
            client_auth=self.client_auth or "basic",
        )


AUTH_SCHEMES: dict[str, type[AuthScheme]] = {
    scheme.scheme: scheme
    for scheme in (BasicAuth, BodyAuth, BearerAuth, ApiKeyAuth, OAuth2ClientCredentials, NoAuth)
}
# every scheme's keys, in the order the schemes list them (the order problems are reported in)
ALL_AUTH_KEYS = tuple(
    dict.fromkeys(key for scheme in AUTH_SCHEMES.values() for key in scheme.SPEC_KEYS.values())
)

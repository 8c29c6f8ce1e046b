"""Authentication schemes, one small class each in one registry (``AUTH_SCHEMES``).

A scheme is the descriptor of a spec's ``auth`` section (which settings hold the credentials,
where they travel) and knows everything about itself: its spec keys, the checks a spec needs,
its documentation text and OpenAPI form, how the credentials are checked when a client is built
and what they add to a request. Nothing outside this module asks which scheme an API uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .policy import basic_authorization, basic_credentials_problem

if TYPE_CHECKING:
    from .descriptors import Setting
    from .encoding import BodyField, WireRequest

REDACTED = "***"


class SpecView(Protocol):
    """What a scheme's checks see of the spec: its ``auth`` keys and the settings (provided by
    the generator's checks, which locate each problem in the spec)."""

    def has(self, key: str) -> bool:
        """Whether the spec writes ``auth.<key>``."""
        ...

    def setting(self, name: str) -> Setting | None: ...

    def problem(self, message: str, key: str | None = None, *, at_key: bool = False) -> None:
        """Report a problem at ``auth`` (or at ``auth.<key>``)."""
        ...


@dataclass(frozen=True)
class AuthScheme:
    """Base of the schemes. ``SPEC_KEYS`` maps each field to its spec key; ``SETTINGS`` names
    the fields that hold a setting's name (the credentials, in the order the client passes
    them); ``SECRET`` those whose setting must be secret."""

    scheme: ClassVar[str] = ""
    SPEC_KEYS: ClassVar[Mapping[str, str]] = {}
    SETTINGS: ClassVar[tuple[str, ...]] = ()
    SECRET: ClassVar[tuple[str, ...]] = ()
    MISSING: ClassVar[Mapping[str, str]] = {}  # a field's own message when it is missing

    @classmethod
    def from_spec(cls, raw: Mapping[str, Any]) -> AuthScheme:
        """The scheme a spec's ``auth`` section declares (defaults already filled in)."""
        scheme = AUTH_SCHEMES[str(raw.get("scheme", "none"))]
        return scheme(**{name: raw.get(key) for name, key in scheme.SPEC_KEYS.items()})

    def settings_used(self) -> tuple[str, ...]:
        """The settings whose values are the credentials, in order."""
        return tuple(str(getattr(self, name)) for name in self.SETTINGS)

    def check(self, spec: SpecView) -> None:
        """What the schema cannot say: keys of other schemes, missing keys, settings that do not
        exist or are not secret (a scheme adds its own checks after these)."""
        mine = set(self.SPEC_KEYS.values())
        for key in ALL_AUTH_KEYS:
            if key not in mine and spec.has(key):
                spec.problem(f"{key!r} does not apply to scheme {self.scheme!r}", key, at_key=True)
        for name, key in self.SPEC_KEYS.items():
            if getattr(self, name) is None:
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

    def openapi(self) -> tuple[str, dict[str, Any]] | None:
        """The OpenAPI security scheme (name, definition), if there is one."""
        return None

    def secret_wire_names(self) -> frozenset[str]:
        """Wire names (fields, headers, query keys) that carry the credentials: masked in logs
        and scrubbed from recorded cassettes."""
        return frozenset()

    def credentials_problem(self, credentials: tuple[Any, ...]) -> str | None:
        """Why credentials given to a client cannot be sent (None: they can)."""
        return None

    def body_fields(self, credentials: tuple[Any, ...]) -> list[BodyField]:
        """Credentials that travel inside the body, among the operation's own fields."""
        return []

    def apply(self, request: WireRequest, credentials: tuple[Any, ...]) -> None:
        """Add the credentials to a request (headers, query); they are secrets of it."""


@dataclass(frozen=True)
class NoAuth(AuthScheme):
    """No credentials."""

    scheme: ClassVar[str] = "none"


@dataclass(frozen=True)
class BasicAuth(AuthScheme):
    """HTTP basic auth: ``Authorization: Basic`` with ``user:password`` in UTF-8 (RFC 7617)."""

    username: str
    password: str

    scheme: ClassVar[str] = "basic"
    SPEC_KEYS: ClassVar[Mapping[str, str]] = {"username": "username", "password": "password"}
    SETTINGS: ClassVar[tuple[str, ...]] = ("username", "password")

    def doc(self) -> str:
        return "HTTP basic"

    def openapi(self) -> tuple[str, dict[str, Any]] | None:
        return "basicAuth", {"type": "http", "scheme": "basic"}

    def credentials_problem(self, credentials: tuple[Any, ...]) -> str | None:
        return basic_credentials_problem(credentials[0], credentials[1])

    def apply(self, request: WireRequest, credentials: tuple[Any, ...]) -> None:
        value = basic_authorization(credentials[0], credentials[1])
        request.headers["Authorization"] = value
        request.secrets.extend((credentials[1], value.split(" ", 1)[1]))


@dataclass(frozen=True)
class BodyAuth(AuthScheme):
    """Credentials as two fields of the request body (Lleida: inside its XML document)."""

    username: str
    password: str
    username_field: str
    password_field: str

    scheme: ClassVar[str] = "body"
    SPEC_KEYS: ClassVar[Mapping[str, str]] = {
        "username": "username",
        "password": "password",
        "username_field": "username_field",
        "password_field": "password_field",
    }
    SETTINGS: ClassVar[tuple[str, ...]] = ("username", "password")

    def doc(self) -> str:
        return "credentials inside the request body"

    def secret_wire_names(self) -> frozenset[str]:
        return frozenset((self.password_field,)) if self.password_field else frozenset()

    def body_fields(self, credentials: tuple[Any, ...]) -> list[BodyField]:
        return [
            (self.username_field, credentials[0], None, None),
            (self.password_field, credentials[1], None, REDACTED),
        ]

    def apply(self, request: WireRequest, credentials: tuple[Any, ...]) -> None:
        request.secrets.append(credentials[1])


@dataclass(frozen=True)
class BearerAuth(AuthScheme):
    """``Authorization: Bearer <token>``."""

    token: str

    scheme: ClassVar[str] = "bearer"
    SPEC_KEYS: ClassVar[Mapping[str, str]] = {"token": "token"}
    SETTINGS: ClassVar[tuple[str, ...]] = ("token",)
    SECRET: ClassVar[tuple[str, ...]] = ("token",)

    def doc(self) -> str:
        return f"a bearer token (`Authorization: Bearer`, setting `{self.token}`)"

    def openapi(self) -> tuple[str, dict[str, Any]] | None:
        return "bearerAuth", {"type": "http", "scheme": "bearer"}

    def apply(self, request: WireRequest, credentials: tuple[Any, ...]) -> None:
        request.headers["Authorization"] = f"Bearer {credentials[0]}"
        request.secrets.append(credentials[0])


@dataclass(frozen=True)
class ApiKeyAuth(AuthScheme):
    """An API key in a header or a query parameter."""

    token: str
    location: str
    name: str

    scheme: ClassVar[str] = "api_key"
    SPEC_KEYS: ClassVar[Mapping[str, str]] = {"token": "token", "location": "in", "name": "name"}
    SETTINGS: ClassVar[tuple[str, ...]] = ("token",)
    SECRET: ClassVar[tuple[str, ...]] = ("token",)
    MISSING: ClassVar[Mapping[str, str]] = {
        "name": "missing required key 'name' (the header or query parameter of the key)"
    }

    def doc(self) -> str:
        where = "header" if self.location == "header" else "parameter"
        return f"an API key in the {self.location} {where} `{self.name}` (setting `{self.token}`)"

    def openapi(self) -> tuple[str, dict[str, Any]] | None:
        return "apiKeyAuth", {"type": "apiKey", "in": self.location, "name": self.name}

    def secret_wire_names(self) -> frozenset[str]:
        return frozenset((self.name,)) if self.name else frozenset()

    def apply(self, request: WireRequest, credentials: tuple[Any, ...]) -> None:
        request.secrets.append(credentials[0])
        if self.location == "query":
            request.query.insert(0, (self.name, credentials[0]))
        else:
            request.headers[self.name] = credentials[0]


AUTH_SCHEMES: dict[str, type[AuthScheme]] = {
    scheme.scheme: scheme for scheme in (BasicAuth, BodyAuth, BearerAuth, ApiKeyAuth, NoAuth)
}
# every scheme's keys, in the order the schemes list them (the order problems are reported in)
ALL_AUTH_KEYS = tuple(
    dict.fromkeys(key for scheme in AUTH_SCHEMES.values() for key in scheme.SPEC_KEYS.values())
)

"""The options every generated client has besides the spec's settings: the one table that the
client template renders, the client passes through, and the spec checks keep settings and
parameters from reusing."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .hooks import Hooks


class ClientOption(NamedTuple):
    """A keyword argument of every generated client's constructor.

    ``default`` is the attribute path, in the API's descriptor, of the value the
    spec sets (``None``: the literal ``None``); ``when`` says which clients have it.
    """

    name: str
    annotation: str
    default: str | None
    doc: str
    when: str = "always"  # always | environments | named_servers | long_running
    to_client: bool = True  # passed on to the runtime client (else: used to find the base URL)
    async_annotation: str | None = None  # in the async client, where it differs


CLIENT_OPTIONS: tuple[ClientOption, ...] = (
    ClientOption(
        "environment",
        "Literal[...]",
        "server.default_environment",
        "Which of the vendor's environments to call.",
        when="environments",
        to_client=False,
    ),
    ClientOption(
        "base_url",
        "str | None",
        None,
        "Call this address instead (e.g. a test server).",
        to_client=False,
    ),
    ClientOption(
        "servers",
        "dict[str, str] | None",
        None,
        "Call the vendor's named servers at these addresses instead (by name; a test server).",
        when="named_servers",
    ),
    ClientOption("connect_timeout", "float", "transport.connect_timeout", "Seconds to connect."),
    ClientOption("read_timeout", "float", "transport.read_timeout", "Seconds to wait for data."),
    ClientOption(
        "timeout",
        "float",
        "transport.timeout",
        "Seconds a call may take in all (connect, answer, body, retries).",
    ),
    ClientOption(
        "max_answer_bytes",
        "int",
        "transport.max_answer_bytes",
        "The largest answer held in memory (decoded bytes).",
    ),
    ClientOption(
        "max_item_bytes",
        "int",
        "transport.max_item_bytes",
        "The largest item of a streamed answer (bytes).",
    ),
    ClientOption(
        "max_inflation",
        "float",
        "transport.max_inflation",
        "The most a compressed answer may inflate (decoded / wire bytes).",
    ),
    ClientOption("verify_tls", "bool", "transport.verify_tls", "Verify the TLS certificate."),
    ClientOption("ca_bundle", "str | None", None, "CA bundle that signs the server certificate."),
    ClientOption("retry_attempts", "int", "transport.retry_attempts", "Retries of safe calls."),
    ClientOption("retry_backoff", "float", "transport.retry_backoff", "Seconds before a retry."),
    ClientOption(
        "auto_handle_token",
        "bool",
        "long_running.auto_handle",
        "Wait for long-running tasks (else return their handle).",
        when="long_running",
    ),
    ClientOption(
        "wait_time",
        "int",
        "long_running.wait_time_ms",
        "Milliseconds the server may hold a status poll.",
        when="long_running",
    ),
    ClientOption(
        "poll_interval",
        "float",
        "long_running.poll_interval",
        "The least seconds between two status polls of a task.",
        when="long_running",
    ),
    ClientOption(
        "status_callback",
        "_rt.StatusCallback | None",
        None,
        "Called with every status of a long-running task.",
        when="long_running",
    ),
    ClientOption(
        "auth",
        "_rt.Auth | None",
        None,
        "Authenticate with this instead of the spec's scheme (a signer, a rotating token).",
    ),
    ClientOption(
        "hooks",
        "_rt.Hooks | None",
        None,
        "Functions that see every call, request, answer and retry (tracing, metrics).",
    ),
    ClientOption("log_level", "int | str | None", None, "Level of the package's logger."),
    ClientOption(
        "session",
        "requests.Session | None",
        None,
        "A requests session to use (an httpx.AsyncClient for the async client).",
        async_annotation="httpx.AsyncClient | None",
    ),
    ClientOption(
        "transport",
        "_rt.Transport | None",
        None,
        "Move the bytes through this instead of requests or httpx (a MemoryTransport in tests).",
        async_annotation="_aio.AsyncTransport | _rt.Transport | None",
    ),
)

# Keyword arguments the generated methods add to an operation's own parameters: every method,
# long-running ones, and those whose decoding answers with a file (``Decoding.file``).
CALL_OPTIONS: dict[str, tuple[str, ...]] = {
    "always": ("timeout", "extra_headers", "extra_query", "retries", "hooks"),
    "long_running": ("auto_handle_token", "wait_time", "status_callback"),
    "file": ("save_to",),
}
# Where a call's own options travel inside its arguments (keyed by wire name, so a key no
# parameter can have): every request path reads them in one place, ``Client.send``.
CALL_OPTIONS_KEY = "\x00call-options"


class CallOptions(NamedTuple):
    """Options of one call: its deadline (seconds for all of it), headers and query
    parameters to add, its own number of retries, and hooks added to the client's."""

    timeout: float | None = None
    extra_headers: dict[str, str] | None = None
    extra_query: dict[str, str] | None = None
    retries: int | None = None
    hooks: Hooks | None = None


def call_options(
    timeout: float | None,
    extra_headers: dict[str, str] | None,
    extra_query: dict[str, str] | None,
    retries: int | None,
    hooks: Hooks | None,
) -> CallOptions | None:
    """The options of one call (None when it gives none: the common case costs nothing)."""
    if timeout is None and not extra_headers and not extra_query and retries is None and not hooks:
        return None
    return CallOptions(timeout, extra_headers, extra_query, retries, hooks)

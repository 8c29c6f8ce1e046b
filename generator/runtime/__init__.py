"""Hand-written runtime shared by the generated clients (shipped verbatim by the generator).

What a generated package uses while it is imported (types, models, errors, its descriptors as
data, the client base classes) is imported with the runtime; the rest (the client, the flows,
the transports, auth, tasks) when first used, so that importing a package stays fast: it is
measured."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .bases import (
    ClientBase,
    TaskClientBase,
)
from .builtin_types import (
    Type,
)
from .codec import (
    BINARY,
    BOOL,
    FLOAT,
    INT,
    JSON,
    NONE,
    NULL,
    STR,
    Field,
    FileInput,
    JsonValue,
    Model,
    Null,
    bind_fields,
    date_type,
    datetime_type,
    decode_mime_header,
    enum_of,
    formatted,
    list_of,
    model,
    union_of,
)
from .data import (
    ApiData,
    OperationRef,
    OperationTable,
)
from .errors import (
    ApiError,
    AuthenticationError,
    CallTimeout,
    DecodeError,
    ErrorRule,
    ErrorTable,
    HttpError,
    LimitExceeded,
    LocalFileError,
    NotFoundError,
    TaskTimeout,
    TokenError,
    TransportError,
    VendorError,
)

if TYPE_CHECKING:
    from .arguments import (
        ArgumentTypeError,
        ArgumentValueError,
        MissingFileError,
    )
    from .auth import (
        ApiKey,
        ApiKeyAuth,
        Auth,
        AuthScheme,
        Basic,
        BasicAuth,
        Bearer,
        BearerAuth,
        BodyAuth,
        BodyCredentials,
        ClientCredentials,
        NoAuth,
        OAuth2ClientCredentials,
        TokenSource,
    )
    from .client import (
        Client,
        expand_url,
        pick_environment,
    )
    from .descriptors import (
        ApiDescription,
        Envelope,
        JsonStatus,
        LongRunning,
        Operation,
        Pagination,
        Param,
        Protocol,
        Server,
        Setting,
        TransportDefaults,
        XmlStatus,
    )
    from .encoding import (
        WireRequest,
    )
    from .exchange import (
        NetworkFailure,
        RetryPolicy,
        Transport,
    )
    from .hooks import (
        CallInfo,
        Hooks,
        RequestInfo,
        ResponseInfo,
        RetryInfo,
    )
    from .options import (
        CALL_OPTIONS_KEY,
        CallOptions,
        call_options,
    )
    from .printing import (
        pretty,
    )
    from .results import (
        BINARY_RESULT,
        BinaryResult,
        FileTarget,
    )
    from .status import (
        STATUS,
        Status,
        StatusCallback,
    )
    from .tasks import (
        Task,
        TaskBackend,
    )

# The rest of the runtime's names, by the module that defines them (imported when first used;
# the imports above, for type checkers, name the same: a test holds them together).
_LAZY_MODULES = {
    "arguments": ("ArgumentTypeError", "ArgumentValueError", "MissingFileError"),
    "auth": (
        "ApiKey",
        "ApiKeyAuth",
        "Auth",
        "AuthScheme",
        "Basic",
        "BasicAuth",
        "Bearer",
        "BearerAuth",
        "BodyAuth",
        "BodyCredentials",
        "ClientCredentials",
        "NoAuth",
        "OAuth2ClientCredentials",
        "TokenSource",
    ),
    "client": ("Client", "expand_url", "pick_environment"),
    "descriptors": (
        "ApiDescription",
        "Envelope",
        "JsonStatus",
        "LongRunning",
        "Operation",
        "Pagination",
        "Param",
        "Protocol",
        "Server",
        "Setting",
        "TransportDefaults",
        "XmlStatus",
    ),
    "encoding": ("WireRequest",),
    "exchange": ("NetworkFailure", "RetryPolicy", "Transport"),
    "hooks": ("CallInfo", "Hooks", "RequestInfo", "ResponseInfo", "RetryInfo"),
    "options": ("CALL_OPTIONS_KEY", "CallOptions", "call_options"),
    "printing": ("pretty",),
    "results": ("BINARY_RESULT", "BinaryResult", "FileTarget"),
    "status": ("STATUS", "Status", "StatusCallback"),
    "tasks": ("Task", "TaskBackend"),
}
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next use is a plain lookup
    return value


__all__ = [
    "ApiData",
    "OperationRef",
    "OperationTable",
    "ApiKey",
    "Auth",
    "Basic",
    "Bearer",
    "BodyCredentials",
    "ClientCredentials",
    "OAuth2ClientCredentials",
    "TokenError",
    "TokenSource",
    "ApiKeyAuth",
    "AuthScheme",
    "BasicAuth",
    "BearerAuth",
    "BodyAuth",
    "NoAuth",
    "Protocol",
    "Server",
    "TransportDefaults",
    "BINARY",
    "BINARY_RESULT",
    "NONE",
    "STATUS",
    "FileInput",
    "BOOL",
    "FLOAT",
    "INT",
    "JSON",
    "STR",
    "ApiDescription",
    "ArgumentTypeError",
    "ArgumentValueError",
    "MissingFileError",
    "ApiError",
    "AuthenticationError",
    "BinaryResult",
    "CallTimeout",
    "Client",
    "ClientBase",
    "DecodeError",
    "Envelope",
    "JsonStatus",
    "ErrorRule",
    "ErrorTable",
    "Field",
    "FileTarget",
    "HttpError",
    "JsonValue",
    "LimitExceeded",
    "LocalFileError",
    "LongRunning",
    "Model",
    "NotFoundError",
    "Operation",
    "CALL_OPTIONS_KEY",
    "CallOptions",
    "call_options",
    "Pagination",
    "Param",
    "RetryPolicy",
    "NetworkFailure",
    "Transport",
    "CallInfo",
    "Hooks",
    "RequestInfo",
    "ResponseInfo",
    "RetryInfo",
    "WireRequest",
    "Setting",
    "Status",
    "StatusCallback",
    "Task",
    "TaskBackend",
    "TaskClientBase",
    "TaskTimeout",
    "TransportError",
    "Type",
    "VendorError",
    "XmlStatus",
    "bind_fields",
    "date_type",
    "datetime_type",
    "decode_mime_header",
    "enum_of",
    "expand_url",
    "formatted",
    "list_of",
    "union_of",
    "NULL",
    "Null",
    "model",
    "pick_environment",
    "pretty",
]

"""The JSON status envelope (MailStore-style): one decoded status, as calls and tasks see it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .builtin_types import Type
from .codec import JsonValue
from .descriptors import ApiDescription


@dataclass(frozen=True)
class Status:
    """One decoded status envelope."""

    code: str | None
    version: int | None
    token: str | None
    progress: int | None
    text: str | None
    log_output: str | None
    error_message: str | None
    error_details: str | None
    result: JsonValue
    raw: Mapping[str, Any] = field(repr=False)
    running: bool = False
    succeeded: bool = False


StatusCallback = Callable[[Status], None]
STATUS: Type[Status] = Type("status")


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_status(api: ApiDescription, data: Mapping[str, Any]) -> Status:
    """A status from an envelope's fields (the field names are the spec's)."""
    env = api.envelope
    error = data.get(env.error_field)
    error_map = error if isinstance(error, dict) else {}
    code = _str_or_none(data.get(env.status_field))
    return Status(
        code=code,
        version=_int_or_none(data.get(env.version_field)),
        token=_str_or_none(data.get(env.token_field)),
        progress=_int_or_none(data.get(env.progress_field)),
        text=_str_or_none(data.get(env.text_field)),
        log_output=_str_or_none(data.get(env.log_field)),
        error_message=_str_or_none(error_map.get(env.message_field)) or _str_or_none(error),
        error_details=_str_or_none(error_map.get(env.details_field)),
        result=data.get(env.result_field),
        raw=data,
        running=code in env.running,
        succeeded=code in env.success,
    )

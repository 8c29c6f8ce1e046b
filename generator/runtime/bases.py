"""The classes every generated client class inherits (sync and async): what a package needs
while it is imported, so it imports nothing of the I/O (requests, the flows, the policy):
those come with the first client made."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from .builtin_types import BUILTIN_TYPES
from .codec import JsonValue
from .data import ApiData, ApiOf

if TYPE_CHECKING:
    from .calls import Calls
    from .client import Client
    from .descriptors import ApiDescription
    from .tasks import Task


def env_name(api: ApiDescription, setting: str) -> str:
    """``<API>_<SETTING>``: where the client and the command line look for a setting."""
    return f"{api.name}_{setting}".upper()


def settings_from_env(api: ApiDescription, environ: Mapping[str, str]) -> dict[str, Any]:
    """Constructor arguments found in ``environ``: every setting (converted to its type), the
    environment and the base URL."""
    found: dict[str, Any] = {}
    for setting in api.settings:
        text = environ.get(env_name(api, setting.name))
        if text is not None:
            try:
                found[setting.name] = BUILTIN_TYPES[setting.type].from_text(text, None)
            except ValueError as exc:
                from .arguments import ArgumentValueError

                raise ArgumentValueError(f"${env_name(api, setting.name)}: {exc}") from None
    for option in ("environment", "base_url"):
        text = environ.get(env_name(api, option))
        if text and (option != "environment" or api.server.environments):
            found[option] = text
    return found


class SharedBase:
    """What the sync and the async client classes have alike: settings from the environment,
    raw response access."""

    _api_data: ClassVar[ApiData]  # the generated package's descriptors
    _api = ApiOf()  # their ApiDescription, built when first read
    _client: Calls

    @classmethod
    def from_env(cls, **arguments: Any) -> Self:
        """A client whose settings come from ``<API>_<SETTING>`` environment variables (as on the
        command line), e.g. ``LLEIDA_MAILCERT_PASSWORD``; ``arguments`` win over them."""
        import os

        found = {**settings_from_env(cls._api, os.environ), **arguments}
        missing = [s.name for s in cls._api.settings if s.required and s.name not in found]
        if missing:
            from .arguments import ArgumentValueError

            names = ", ".join(f"${env_name(cls._api, name)}" for name in missing)
            raise ArgumentValueError(f"{cls.__name__}.from_env(): set {names} or pass them")
        return cls(**found)

    @property
    def last_response(self) -> Any:
        """The raw HTTP response of the most recent request (of any thread or task): a
        ``requests.Response`` (an ``httpx.Response`` for an async client), or the answer of
        the transport given to the client."""
        return self._client.exchange.last_response

    def raw_responses(self) -> AbstractContextManager[list[Any]]:
        """The raw HTTP responses of the calls made inside the block, in order (each retry and
        page included; calls of other threads are not seen), beside their typed results::

            with client.raw_responses() as seen:
                job = client.get_job(job_id)
            seen[-1].headers, seen[-1].status_code, seen[-1].content
        """
        from .exchange import responses_seen

        return responses_seen()


class ClientBase(SharedBase):
    """What every generated (sync) client class inherits: lifecycle, raw response access."""

    _client: Client

    def close(self) -> None:
        """Close the HTTP session (and its pooled connections)."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class TaskClientBase(ClientBase):
    """Base of clients whose API has long-running tasks."""

    def resume_task(self, token: str, *, version: int = 0) -> Task[JsonValue]:
        """A handle on a long-running task started earlier (for instance in another process)."""
        return cast("Task[JsonValue]", self._client.resume(token, version=version))

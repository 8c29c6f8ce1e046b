"""The runtime's parts on their own: a task driven by a fake backend, and the registries that
the generator, the checks, the codec and the command line all read."""

from __future__ import annotations

import dataclasses
import inspect
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from generated import _runtime as rt
from generated._runtime.builtin_types import BUILTIN_TYPES
from generated._runtime.descriptors import first_sentence
from generated._runtime.errors import ApiError, DecodeError, TaskTimeout
from generated._runtime.options import CALL_OPTIONS, CLIENT_OPTIONS
from generated._runtime.status import Status
from generated._runtime.tasks import Task
from generated.lleida_mailcert import MailCertClient
from generated.mailstore_server import MailStoreServerClient
from generated.mailstore_spe import MailStoreSpeClient
from generator import literals, model, render
from generator.checks import types as type_checks
from generator.runtime.builtin_types import Type


def status(code: str, version: int, *, result: Any = None, log: str | None = None) -> Status:
    return Status(
        code=code,
        version=version,
        token="t1",
        progress=None,
        text=None,
        log_output=log,
        error_message=None,
        error_details=None,
        result=result,
        raw={},
        running=code == "running",
        succeeded=code == "succeeded",
    )


class FakeBackend:
    """Answers polls from a script; records what the task asked."""

    def __init__(self, answers: list[Status]) -> None:
        self.answers: Iterator[Status] = iter(answers)
        self.polls: list[tuple[str, int, int]] = []
        self.cancelled: list[str] = []
        self.slept: list[float] = []

    def poll_status(self, token: str, version: int, wait_time_ms: int) -> Status:
        self.polls.append((token, version, wait_time_ms))
        return next(self.answers)

    def cancel_task(self, token: str) -> None:
        self.cancelled.append(token)

    def task_result(self, op: rt.Operation[Any], status: Status) -> Any:
        return ("result of", op.wire_name, status.result)

    def task_error(self, kind: str, message: str, *, token: str | None, seconds: float) -> ApiError:
        if kind == "timeout":
            return TaskTimeout(message, token=token, seconds=seconds)
        return DecodeError(message)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)  # recorded, not waited: the pacing is the subject


OP: rt.Operation[Any] = rt.Operation(
    name="do_it",
    wire_name="DoIt",
    method="POST",
    path="/DoIt",
    params=(),
    result=rt.JSON,
    encoding="form",
    decoding="envelope",
)


def test_a_task_polls_with_the_last_version_until_final_and_collects_the_log() -> None:
    backend = FakeBackend(
        [
            status("running", 2, log="a\n"),
            status("running", 3, log="b\n"),
            status("succeeded", 4, result=7),
        ]
    )
    seen: list[int | None] = []
    task: Task[Any] = Task(
        backend,
        OP,
        status("running", 1),
        wait_time_ms=500,
        status_callback=lambda s: seen.append(s.version),
    )
    assert task.wait() == ("result of", "DoIt", 7)
    assert backend.polls == [("t1", 1, 500), ("t1", 2, 500), ("t1", 3, 500)]
    assert seen == [1, 2, 3, 4]
    assert task.log_output == "a\nb\n"


def test_iterating_a_task_yields_each_new_version_once() -> None:
    backend = FakeBackend([status("running", 1), status("running", 2), status("succeeded", 3)])
    versions = [s.version for s in Task(backend, OP, status("running", 1), wait_time_ms=0)]
    assert versions == [1, 2, 3]


def test_cancel_asks_once_and_a_finished_task_is_not_cancelled() -> None:
    backend = FakeBackend([])
    task: Task[Any] = Task(backend, OP, status("running", 1), wait_time_ms=0)
    task.cancel()
    assert backend.cancelled == ["t1"] and task.cancel_requested
    done: Task[Any] = Task(backend, OP, status("succeeded", 1), wait_time_ms=0)
    done.cancel()
    assert backend.cancelled == ["t1"]


def test_a_task_that_outlives_its_timeout_raises_task_timeout() -> None:
    backend = FakeBackend([])
    backend.answers = (status("running", n) for n in itertools.count(2))  # never ends
    with pytest.raises(TaskTimeout) as caught:
        Task(backend, OP, status("running", 1), wait_time_ms=0).wait(timeout=0.01)
    assert caught.value.token == "t1" and "resume_task" in str(caught.value)


def test_a_running_status_without_a_token_is_a_decode_error_not_a_value_error() -> None:
    first = dataclasses.replace(status("running", 1), token=None)
    with pytest.raises(DecodeError, match="without a task token"):
        Task(FakeBackend([]), OP, first, wait_time_ms=0).wait()


def test_the_client_is_a_task_backend() -> None:
    client = MailStoreServerClient(base_url="http://127.0.0.1:9")
    for name in ("poll_status", "cancel_task", "task_result"):
        assert callable(getattr(client._client, name))


# -- registries ------------------------------------------------------------------------------


def test_every_builtin_type_is_known_to_the_checks_renderer_and_export() -> None:
    assert model.BUILTIN_TYPES == tuple(BUILTIN_TYPES)
    for name, row in BUILTIN_TYPES.items():
        kind = Type(name)
        for position in ("field", "param", "return"):
            assert render.annotation(kind, position) == row.annotation(position)
        assert literals.descriptor(kind).startswith("_rt.")


def test_defaults_are_checked_against_the_registry() -> None:
    assert type_checks._DEFAULT_TYPES["float"] == (int, float)
    assert "json" not in type_checks._DEFAULT_TYPES  # no default fits a JSON value
    assert BUILTIN_TYPES["int"].from_json(3.0, None) == 3
    with pytest.raises(ValueError, match="fraction"):
        BUILTIN_TYPES["int"].from_json(1.5, None)


@pytest.mark.parametrize(
    "client_class", [MailCertClient, MailStoreServerClient, MailStoreSpeClient]
)
def test_every_client_constructor_takes_exactly_the_options_the_table_lists(
    client_class: type[rt.ClientBase],
) -> None:
    api = client_class._api
    expected = [
        o.name
        for o in CLIENT_OPTIONS
        if o.when == "always"
        or (o.when == "environments" and api.server.environments)
        or (o.when == "long_running" and api.long_running is not None)
    ]
    keyword_only = [
        name
        for name, p in inspect.signature(client_class).parameters.items()
        if p.kind is p.KEYWORD_ONLY and name not in {s.name for s in api.settings}
    ]
    assert keyword_only == expected


def test_reserved_names_come_from_the_runtime() -> None:
    assert set(model.RUNTIME_SETTINGS) == {o.name for o in CLIENT_OPTIONS}
    assert {"close", "last_response", "resume_task"} <= set(model.RESERVED_METHODS)
    assert model.LONG_RUNNING_KWARGS == CALL_OPTIONS["long_running"]


@pytest.mark.parametrize(
    ("doc", "first"),
    [
        ("Upload a file. It is streamed.", "Upload a file."),
        ("Merge documents, e.g. two sides. Then mail.", "Merge documents, e.g. two sides."),
        ("Use i.e. this\n  one. More", "Use i.e. this one."),
        ("No period", "No period."),
        ("", ""),
    ],
)
def test_the_first_sentence_of_a_doc_survives_abbreviations(doc: str, first: str) -> None:
    assert first_sentence(doc) == first


def test_a_paced_task_waits_between_polls_as_its_pacer_says() -> None:
    from generated._runtime.policy import PollPacer

    answers = [status("running", 1), status("running", 1), status("running", 2)]
    backend = FakeBackend([*answers, status("succeeded", 3, result=7)])
    task = Task(backend, OP, status("running", 1), wait_time_ms=0, pacer=PollPacer(0.25, 5.0))
    assert task.wait() == ("result of", "DoIt", 7)
    assert len(backend.polls) == 4
    # the fake answers at once: 0.25 s, then doubled while nothing changed, then back to 0.25
    assert [round(s, 2) for s in backend.slept] == [0.25, 0.5, 0.25]

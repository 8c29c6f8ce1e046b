"""A stateful stand-in for a MailStore server's API on loopback: simple functions answer from a
table, long-running ones run through the log lines of the documented VerifyStore example,
honouring get-status's lastKnownStatusVersion and cancel-async."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.loopback import Reply, Request

VERIFY_LOG = [
    "Verifying file group #3...\r\n",
    "Creating a list of messages to be verified...\r\n",
    "1249 messages are about to be verified.\r\nVerifying...\r\n",
    *[f"  {n} messages verified...\r\n" for n in range(100, 1300, 100)],
    "  1249 messages verified.\r\n",
    "Finished. No errors have been found.\r\n",
]


@dataclass
class FakeTask:
    token: str
    steps: list[str]
    version: int = 0
    cancelled: bool = False

    @property
    def done(self) -> bool:
        return self.cancelled or self.version >= len(self.steps)


@dataclass
class FakeMailStore:
    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    long_running: set[str] = field(default_factory=lambda: {"VerifyStore", "VerifyStores"})
    tasks: dict[str, FakeTask] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    xsrf: str | None = None
    poll_delay: float = 0.0  # seconds each get-status takes (a slow server)

    def __call__(self, request: Request) -> Reply:
        args = dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))
        name = request.path.rsplit("/", 1)[-1]
        self.calls.append((name, args))
        if name == "get-status":
            task = self.tasks.get(args["token"])
            if task is None:
                return Reply(404, "Not Found")
            if not task.done:
                task.version += 1  # the server answers as soon as something new happened
            reply = self._status(task)
            reply.delay = self.poll_delay
            return reply
        if name == "cancel-async":
            task = self.tasks[args["token"]]
            task.cancelled = True
            return self._envelope("running", token=None, statusVersion=task.version)
        if name in self.errors:
            return self._envelope("failed", error=self.errors[name])
        if name in self.long_running:
            token = f"sa{len(self.tasks):032x}"
            task = FakeTask(token, list(VERIFY_LOG))
            self.tasks[token] = task
            return self._envelope("running", token=token, statusVersion=0, percentProgress=0)
        return self._envelope("succeeded", result=self.results.get(name))

    def _status(self, task: FakeTask) -> Reply:
        if task.cancelled:
            return self._envelope(
                "cancelled",
                token=task.token,
                statusVersion=task.version + 1,
                error={"message": "The operation was cancelled.", "details": None},
            )
        progress = int(100 * task.version / len(task.steps))
        log = task.steps[task.version - 1] if task.version else None
        code = "succeeded" if task.done else "running"
        return self._envelope(
            code,
            token=task.token,
            statusVersion=task.version,
            percentProgress=progress,
            logOutput=log,
        )

    def _envelope(self, code: str, **fields: Any) -> Reply:
        body = {
            "statusCode": code,
            "statusVersion": 2,
            "token": None,
            "percentProgress": None,
            "statusText": None,
            "logOutput": None,
            "error": None,
            "result": None,
            **fields,
        }
        if self.xsrf:
            body["antiXsrfToken"] = self.xsrf
        return Reply(body="\ufeff" + json.dumps(body), headers={"Content-Type": "application/json"})

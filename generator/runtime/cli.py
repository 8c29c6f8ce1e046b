"""The command line every generated package offers: ``python -m generated.<api> <operation>``.

Built from the descriptors the generated client already holds (its ``ApiDescription``: settings,
operations, parameters with their Python names and docs), so a package's ``__main__`` is a few
lines. Settings come from flags or ``<API>_<SETTING>`` environment variables (secrets are
prompted for when missing on a terminal, and never printed); results print as JSON, lists
optionally as a table; long-running tasks show a progress bar with the server's log lines, and
Ctrl-C cancels the task on the server.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from .arguments import ArgumentTypeError, ArgumentValueError
from .bases import env_name, settings_from_env
from .builtin_types import BUILTIN_TYPES, Type, type_expression
from .codec import decode_json
from .decoding import DECODINGS
from .descriptors import ApiDescription, Operation, Param, Setting, first_sentence
from .errors import (
    ApiError,
    AuthenticationError,
    CallTimeout,
    DecodeError,
    HttpError,
    LimitExceeded,
    LocalFileError,
    TaskTimeout,
    TransportError,
    VendorError,
)
from .printing import plain
from .results import BinaryResult
from .status import Status
from .tasks import Task

EXIT_OK, EXIT_USAGE, EXIT_AUTH, EXIT_VENDOR, EXIT_TRANSPORT, EXIT_DECODE = 0, 2, 3, 4, 5, 6
EXIT_INTERRUPTED = 130


def _flag(name: str) -> str:
    """``--user-name`` for ``user_name``; ``from_`` (a keyword's Python name) is ``--from``."""
    return "--" + name.rstrip("_").replace("_", "-")


def _command(op: Operation[Any]) -> str:
    return op.name.replace("_", "-")


def program_name(client_class: Any, argv0: str | None = None) -> str:
    """How the command was started, for its usage line: ``python -m <package>`` (the
    package the client class is in), or the console command a distribution installed."""
    started = os.path.basename(argv0 if argv0 is not None else sys.argv[0])
    if started in ("__main__.py", "-c", "") or started.endswith(".py"):
        return f"python -m {client_class.__module__.rsplit('.', 1)[0]}"
    return started


def build_parser(api: ApiDescription, prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or f"python -m generated.{api.name}",
        description=f"{api.title}: one subcommand per operation.",
        epilog="Exit codes: 0 ok, 2 usage, 3 authentication, 4 vendor or HTTP error, "
        "5 transport, 6 undecodable answer, 130 interrupted.",
    )
    connection = parser.add_argument_group("connection (flags, else environment variables)")
    for setting in api.settings:
        env = env_name(api, setting.name)
        shown = "secret" if setting.secret else f"default {setting.default!r}"
        connection.add_argument(
            _flag(setting.name),
            dest=f"setting_{setting.name}",
            help=f"{setting.doc} (${env}; {shown})",
            metavar=setting.type.upper(),
        )
    if api.server.environments:
        connection.add_argument(
            "--environment",
            choices=tuple(api.server.environments),
            help=f"${env_name(api, 'environment')}",
        )
    connection.add_argument("--base-url", help=f"${env_name(api, 'base_url')}")
    if api.server.named:
        connection.add_argument(
            "--server",
            action="append",
            metavar="NAME=URL",
            help=f"call a named server ({', '.join(api.server.named)}) at URL instead",
        )
    connection.add_argument(
        "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )
    connection.add_argument("--ca-bundle", help="CA bundle to verify the server's certificate")
    connection.add_argument(
        "--timeout", type=float, help="seconds the call may take in all (connect, answer, retries)"
    )
    connection.add_argument(
        "--max-answer-bytes",
        type=int,
        metavar="N",
        help="the largest answer held in memory (default: the client's)",
    )
    if api.long_running is not None:
        connection.add_argument(
            "--poll-interval",
            type=float,
            metavar="SECONDS",
            help="the least time between two status polls of a task (default: the client's)",
        )
    parser.add_argument(
        "--format",
        choices=("json", "table"),
        default="json",
        help="output format (table: for lists of records)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar or log lines")
    sub = parser.add_subparsers(dest="command", required=True, metavar="OPERATION")
    for op in api.operations:
        summary = first_sentence(op.doc) or f"{op.name}."
        cmd = sub.add_parser(_command(op), help=summary, description=op.doc)
        for param in op.params:
            if param.const is None:  # a constant is sent, not asked for
                _add_option(cmd, param)
        if DECODINGS[op.decoding].file:
            cmd.add_argument(
                "--output",
                "-o",
                help="write the file here (default: standard output, unless it is a terminal)",
            )
        if op.stream_items:
            cmd.add_argument(
                "--stream",
                action="store_true",
                help="print each item as one JSON line as soon as it arrives",
            )
        if op.pagination:
            cmd.add_argument(
                "--all",
                action="store_true",
                help="follow every page: print each item as one JSON line",
            )
            cmd.add_argument(
                "--max-items", type=int, metavar="N", help="with --all: stop after N items"
            )
    return parser


def _required(param: Param) -> bool:
    """Required on the command line: the caller must give it (no client setting fills it in)."""
    return param.required and param.client_default is None


def _add_option(cmd: argparse.ArgumentParser, param: Param) -> None:
    kind = param.type
    expression = type_expression(kind)
    help_text = f"{param.doc} (wire {param.wire}, {expression})".strip()
    if kind.kind == "bool":
        cmd.add_argument(
            _flag(param.name),
            dest=param.name,
            required=_required(param),
            action=argparse.BooleanOptionalAction,
            default=None,
            help=help_text,
        )
        return
    metavar = "JSON" if kind.kind == "union" else expression.upper().replace("[", "_")
    metavar = metavar.replace("]", "")
    if kind.kind in ("model", "json", "union"):
        help_text += "; JSON text, or @file.json"
    elif kind.kind == "list":
        help_text += "; comma-separated or repeated"
    elif kind.format:
        help_text += f"; format {kind.format.replace('%', '%%')}"
    elif kind.kind == "binary":
        help_text += "; a file path"
    choices = tuple(str(member.value) for member in kind.target) if kind.kind == "enum" else ()
    cmd.add_argument(
        _flag(param.name),
        dest=param.name,
        required=_required(param),
        action="append" if kind.kind == "list" else "store",
        choices=choices or None,
        metavar=None if choices else metavar,
        help=help_text,
    )


def _convert(param: Param, raw: Any) -> Any:
    """An option's text as the value the client method takes."""
    kind = param.type
    if raw is None or kind.kind == "bool":
        return raw
    if kind.kind == "list":
        assert kind.item is not None
        values = [v for chunk in raw for v in str(chunk).split(",") if v != ""]
        return [_from_text(kind.item, v) for v in values]
    if kind.kind == "binary":
        path = Path(raw)
        if not path.is_file():
            raise ValueError(f"no such file: {raw}")
        return path
    if kind.kind in ("json", "model", "union"):
        text = Path(raw[1:]).read_text(encoding="utf-8") if raw.startswith("@") else raw
        value = json.loads(text)
        return value if kind.kind == "json" else decode_json(kind, value)
    return _from_text(kind, raw)


def _from_text(kind: Type[Any], text: str) -> Any:
    builtin = BUILTIN_TYPES.get(kind.kind)
    if builtin is None or kind.kind in ("json", "binary"):
        return text  # enums and names the client accepts as text
    return builtin.from_text(text, kind.format)


def _client(client_class: Any, api: ApiDescription, args: argparse.Namespace) -> Any:
    try:
        kwargs = settings_from_env(api, os.environ)  # flags win over the environment
    except ArgumentValueError as exc:
        raise _Usage(str(exc)) from None
    for setting in api.settings:
        value = getattr(args, f"setting_{setting.name}")
        if value is not None:
            kwargs[setting.name] = _setting_value(setting, value)
        elif setting.name not in kwargs and setting.required:
            if setting.secret and sys.stdin.isatty():
                kwargs[setting.name] = _setting_value(setting, getpass.getpass(f"{setting.name}: "))
            else:
                raise _Usage(f"{_flag(setting.name)} or ${env_name(api, setting.name)} is required")
    if api.server.environments and args.environment:
        kwargs["environment"] = args.environment
    if args.base_url:
        kwargs["base_url"] = args.base_url
    if api.server.named and args.server:
        moved = dict(item.partition("=")[::2] for item in args.server)
        if "" in moved.values():
            raise _Usage("--server takes NAME=URL")
        kwargs["servers"] = moved
    if args.insecure:
        kwargs["verify_tls"] = False
        _quiet_insecure_warnings()
    if args.ca_bundle:
        kwargs["ca_bundle"] = args.ca_bundle
    if args.timeout:
        kwargs["timeout"] = args.timeout
    if args.max_answer_bytes:
        kwargs["max_answer_bytes"] = args.max_answer_bytes
    if getattr(args, "poll_interval", None) is not None:
        kwargs["poll_interval"] = args.poll_interval
    return client_class(**kwargs)


def _quiet_insecure_warnings() -> None:
    """``--insecure`` is said once here, not by urllib3 on every request."""
    import warnings

    import urllib3

    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
    sys.stderr.write("notice: --insecure: the server's TLS certificate is not verified\n")


def _setting_value(setting: Setting, value: str) -> Any:
    try:
        return BUILTIN_TYPES[setting.type].from_text(value, None)
    except ValueError as exc:
        raise _Usage(f"{_flag(setting.name)}: {exc}") from None


class _Usage(Exception):
    pass


def table(rows: Sequence[Any]) -> str:
    """A list of records as aligned text columns (nested values as compact JSON)."""
    records = [r if isinstance(r, dict) else {"value": r} for r in rows]
    columns: list[str] = []
    for record in records:
        columns.extend(k for k in record if k not in columns)
    cells = [[_cell(record.get(c)) for c in columns] for record in records]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _emit(result: Any, output_format: str, out: IO[str]) -> None:
    data = plain(result)
    if isinstance(result, BinaryResult) and isinstance(data, dict):
        data.pop("content", None)  # the file itself goes to --output or standard output
    if output_format == "table" and isinstance(data, list):
        out.write(table(data) + "\n")
    else:
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _run_task(task: Task[Any], quiet: bool, err: IO[str]) -> Any:
    """Follow a task with a progress bar and the server's log; Ctrl-C cancels it on the server."""
    from tqdm import tqdm

    bar = tqdm(
        total=100,
        unit="%",
        file=err,
        disable=quiet,
        leave=False,
        bar_format="{l_bar}{bar}| {n_fmt}% [{elapsed}]",
    )
    try:
        try:
            for status in task:
                _show(status, bar, quiet)
        except KeyboardInterrupt:
            bar.write("interrupted: cancelling the task on the server...", file=err)
            task.cancel()
            deadline = time.monotonic() + 30
            while not task.done and time.monotonic() < deadline:
                _show(task.refresh(), bar, quiet)
            bar.write(f"task {task.token} ended as {task.status.code}", file=err)
            raise
        return task.wait()
    finally:
        bar.close()


def _show(status: Status, bar: Any, quiet: bool) -> None:
    if quiet:
        return
    for line in (status.log_output or "").splitlines():
        if line.strip():
            bar.write(line, file=sys.stderr)
    if status.progress is not None and status.progress > bar.n:
        bar.update(status.progress - bar.n)


def main(
    client_class: Any,
    argv: Sequence[str] | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Run one command of the package whose client class is ``client_class``."""
    out = out or sys.stdout
    err = err or sys.stderr
    api: ApiDescription = client_class._api
    parser = build_parser(api, program_name(client_class))
    args = parser.parse_args(argv)
    op = next(o for o in api.operations if _command(o) == args.command)
    try:
        kwargs = {p.name: _convert(p, getattr(args, p.name)) for p in op.params}
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        client = _client(client_class, api, args)
    except (_Usage, ValueError, OSError) as exc:
        parser.error(str(exc))  # exits with 2
    try:
        with client:
            return _execute(client, op, kwargs, args, out, err)
    except (_Usage, ArgumentTypeError, ArgumentValueError) as exc:
        parser.error(str(exc))
    except TaskTimeout as exc:
        return _fail(err, "gave up waiting", exc, EXIT_TRANSPORT)
    except LocalFileError as exc:  # --output in a missing folder, a read-only one
        return _fail(err, "local file", exc, EXIT_USAGE)
    except CallTimeout as exc:
        return _fail(err, "no answer in time", exc, EXIT_TRANSPORT)
    except LimitExceeded as exc:
        return _fail(err, "answer refused", exc, EXIT_TRANSPORT)
    except OSError as exc:  # a local file: an unreadable upload
        return _fail(err, "local file", exc, EXIT_USAGE)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except AuthenticationError as exc:
        return _fail(err, "authentication failed", exc, EXIT_AUTH)
    except (VendorError, HttpError) as exc:
        return _fail(err, "the vendor refused", exc, EXIT_VENDOR)
    except TransportError as exc:
        return _fail(err, "no answer", exc, EXIT_TRANSPORT)
    except DecodeError as exc:
        return _fail(err, "could not understand the answer", exc, EXIT_DECODE)
    except ApiError as exc:
        return _fail(err, "failed", exc, EXIT_VENDOR)


def _fail(err: IO[str], what: str, exc: Exception, code: int) -> int:
    err.write(f"error: {what}: {exc}\n")
    return code


def _execute(
    client: Any,
    op: Operation[Any],
    kwargs: dict[str, Any],
    args: argparse.Namespace,
    out: IO[str],
    err: IO[str],
) -> int:
    if op.long_running and client._api.long_running is not None:
        task = getattr(client, f"begin_{op.name}")(**kwargs)
        _emit(_run_task(task, args.quiet, err), args.format, out)
        return EXIT_OK
    if op.pagination and args.all:
        items = getattr(client, f"iter_{op.name}")(**kwargs, max_items=args.max_items)
        for item in items:
            out.write(json.dumps(plain(item), ensure_ascii=False) + "\n")
            out.flush()
        return EXIT_OK
    if op.stream_items and args.stream:
        for item in getattr(client, f"iter_{op.name}")(**kwargs):
            out.write(json.dumps(plain(item), ensure_ascii=False) + "\n")
            out.flush()
        return EXIT_OK
    if DECODINGS[op.decoding].file:
        return _download(client, op, kwargs, args, out)
    _emit(getattr(client, op.name)(**kwargs), args.format, out)
    return EXIT_OK


def _download(
    client: Any, op: Operation[Any], kwargs: dict[str, Any], args: argparse.Namespace, out: IO[str]
) -> int:
    method: Callable[..., BinaryResult] = getattr(client, op.name)
    if args.output:
        result = method(**kwargs, save_to=args.output)
        _emit(result, "json", out)
        return EXIT_OK if result.has_file else EXIT_VENDOR
    if out.isatty():
        raise _Usage("refusing to write a binary file to a terminal; use --output FILE")
    result = method(**kwargs, save_to=sys.stdout.buffer)
    if not result.has_file:
        _emit(result, "json", sys.stderr)
    return EXIT_OK if result.has_file else EXIT_VENDOR


def run(client_class: Any) -> None:
    """Entry point of a package's ``__main__``."""
    raise SystemExit(main(client_class))

"""The command line every generated package offers: ``python -m generated.<api> <operation>``.

Built from a table the generator writes into the package's ``__main__.py``. Settings come from
flags or ``<API>_<SETTING>`` environment variables (secrets are prompted for when missing on a
terminal, and never printed); results print as JSON, lists optionally as a table; long-running
tasks show a progress bar with the server's log lines, and Ctrl-C cancels the task on the server.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import getpass
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from .codec import decode_json, model
from .errors import (
    ApiError,
    AuthenticationError,
    DecodeError,
    HttpError,
    TransportError,
    VendorError,
)
from .pretty import plain
from .results import BinaryResult
from .tasks import Status, Task

EXIT_OK, EXIT_USAGE, EXIT_AUTH, EXIT_VENDOR, EXIT_TRANSPORT, EXIT_DECODE = 0, 2, 3, 4, 5, 6
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Setting:
    name: str
    type: str  # str | int | float | bool
    default: Any
    required: bool
    secret: bool
    doc: str


@dataclass(frozen=True)
class Option:
    name: str  # Python name (the method's keyword argument)
    wire: str
    type: str  # the spec's type expression: str, int, list[str], datetime, an enum or model name
    required: bool
    doc: str
    format: str | None = None
    choices: tuple[str, ...] = ()
    kind: str = "builtin"  # builtin | enum | model | list


@dataclass(frozen=True)
class Command:
    name: str  # the operation's Python name
    doc: str
    options: tuple[Option, ...]
    long_running: bool = False
    streams: bool = False
    binary: bool = False


@dataclass(frozen=True)
class Program:
    api: str
    title: str
    client_class: type[Any]
    settings: tuple[Setting, ...]
    commands: tuple[Command, ...]
    models: ModuleType | None = None
    environments: tuple[str, ...] = ()


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _env_name(program: Program, setting: str) -> str:
    return f"{program.api}_{setting}".upper()


def build_parser(program: Program) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m generated.{program.api}",
        description=f"{program.title}: one subcommand per operation.",
        epilog="Exit codes: 0 ok, 2 usage, 3 authentication, 4 vendor or HTTP error, "
        "5 transport, 6 undecodable answer, 130 interrupted.",
    )
    connection = parser.add_argument_group("connection (flags, else environment variables)")
    for setting in program.settings:
        env = _env_name(program, setting.name)
        shown = "secret" if setting.secret else f"default {setting.default!r}"
        connection.add_argument(
            _flag(setting.name),
            dest=f"setting_{setting.name}",
            help=f"{setting.doc} (${env}; {shown})",
            metavar=setting.type.upper(),
        )
    if program.environments:
        connection.add_argument(
            "--environment",
            choices=program.environments,
            help=f"${_env_name(program, 'environment')}",
        )
    connection.add_argument("--base-url", help=f"${_env_name(program, 'base_url')}")
    connection.add_argument(
        "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )
    connection.add_argument("--ca-bundle", help="CA bundle to verify the server's certificate")
    connection.add_argument("--timeout", type=float, help="read timeout in seconds")
    parser.add_argument(
        "--format",
        choices=("json", "table"),
        default="json",
        help="output format (table: for lists of records)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar or log lines")
    sub = parser.add_subparsers(dest="command", required=True, metavar="OPERATION")
    for command in program.commands:
        summary = (command.doc.split(". ")[0].strip() or command.name).rstrip(".") + "."
        cmd = sub.add_parser(command.name.replace("_", "-"), help=summary, description=command.doc)
        for option in command.options:
            _add_option(cmd, option)
        if command.binary:
            cmd.add_argument(
                "--output",
                "-o",
                help="write the file here (default: standard output, unless it is a terminal)",
            )
        if command.streams:
            cmd.add_argument(
                "--stream",
                action="store_true",
                help="print each item as one JSON line as soon as it arrives",
            )
    return parser


def _add_option(cmd: argparse.ArgumentParser, option: Option) -> None:
    help_text = f"{option.doc} (wire {option.wire}, {option.type})".strip()
    if option.type == "bool":
        cmd.add_argument(
            _flag(option.name),
            dest=option.name,
            required=option.required,
            action=argparse.BooleanOptionalAction,
            default=None,
            help=help_text,
        )
        return
    metavar = option.type.upper().replace("[", "_").replace("]", "")
    if option.kind == "model" or option.type == "json":
        help_text += "; JSON text, or @file.json"
    elif option.type.startswith("list["):
        help_text += "; comma-separated or repeated"
    elif option.format:
        help_text += f"; format {option.format.replace('%', '%%')}"
    elif option.type == "binary":
        help_text += "; a file path"
    cmd.add_argument(
        _flag(option.name),
        dest=option.name,
        required=option.required,
        action="append" if option.type.startswith("list[") else "store",
        choices=option.choices or None,
        metavar=None if option.choices else metavar,
        help=help_text,
    )


def _convert(program: Program, option: Option, raw: Any) -> Any:
    if raw is None or option.type == "bool":
        return raw
    if option.type.startswith("list["):
        item = option.type[5:-1]
        values = [v for chunk in raw for v in str(chunk).split(",") if v != ""]
        return [int(v) if item == "int" else float(v) if item == "float" else v for v in values]
    if option.type == "int":
        return int(raw)
    if option.type == "float":
        return float(raw)
    if option.type in ("datetime", "date"):
        parsed = (
            _dt.datetime.strptime(raw, option.format)
            if option.format
            else _dt.datetime.fromisoformat(raw)
        )
        return parsed if option.type == "datetime" else parsed.date()
    if option.type == "binary":
        path = Path(raw)
        if not path.is_file():
            raise ValueError(f"no such file: {raw}")
        return path
    if option.type == "json" or option.kind == "model":
        text = Path(raw[1:]).read_text(encoding="utf-8") if raw.startswith("@") else raw
        value = json.loads(text)
        if option.kind == "model":
            assert program.models is not None
            return decode_json(model(getattr(program.models, option.type)), value)
        return value
    return raw


def _client(program: Program, args: argparse.Namespace) -> Any:
    kwargs: dict[str, Any] = {}
    for setting in program.settings:
        value = getattr(args, f"setting_{setting.name}")
        if value is None:
            value = os.environ.get(_env_name(program, setting.name))
        if value is None and setting.secret and setting.required and sys.stdin.isatty():
            value = getpass.getpass(f"{setting.name}: ")
        if value is None:
            if setting.required:
                raise _Usage(
                    f"{_flag(setting.name)} or ${_env_name(program, setting.name)} is required"
                )
            continue
        kwargs[setting.name] = _setting_value(setting, value)
    if program.environments:
        environment = args.environment or os.environ.get(_env_name(program, "environment"))
        if environment:
            kwargs["environment"] = environment
    base_url = args.base_url or os.environ.get(_env_name(program, "base_url"))
    if base_url:
        kwargs["base_url"] = base_url
    if args.insecure:
        kwargs["verify_tls"] = False
    if args.ca_bundle:
        kwargs["ca_bundle"] = args.ca_bundle
    if args.timeout:
        kwargs["read_timeout"] = args.timeout
    return program.client_class(**kwargs)


def _setting_value(setting: Setting, value: str) -> Any:
    if setting.type == "int":
        return int(value)
    if setting.type == "float":
        return float(value)
    if setting.type == "bool":
        return value.lower() in ("1", "true", "yes")
    return value


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
    program: Program,
    argv: Sequence[str] | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser(program)
    args = parser.parse_args(argv)
    command = next(c for c in program.commands if c.name.replace("_", "-") == args.command)
    try:
        kwargs = {o.name: _convert(program, o, getattr(args, o.name)) for o in command.options}
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        client = _client(program, args)
    except (_Usage, ValueError, OSError) as exc:
        parser.error(str(exc))  # exits with 2
    try:
        with client:
            return _execute(client, command, kwargs, args, out, err)
    except _Usage as exc:
        parser.error(str(exc))
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
    command: Command,
    kwargs: dict[str, Any],
    args: argparse.Namespace,
    out: IO[str],
    err: IO[str],
) -> int:
    if command.long_running:
        task = getattr(client, f"begin_{command.name}")(**kwargs)
        _emit(_run_task(task, args.quiet, err), args.format, out)
        return EXIT_OK
    if command.streams and args.stream:
        for item in getattr(client, f"iter_{command.name}")(**kwargs):
            out.write(json.dumps(plain(item), ensure_ascii=False) + "\n")
            out.flush()
        return EXIT_OK
    if command.binary:
        return _download(client, command, kwargs, args, out)
    _emit(getattr(client, command.name)(**kwargs), args.format, out)
    return EXIT_OK


def _download(
    client: Any, command: Command, kwargs: dict[str, Any], args: argparse.Namespace, out: IO[str]
) -> int:
    method: Callable[..., BinaryResult] = getattr(client, command.name)
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


def run(program: Program) -> None:
    """Entry point of a package's ``__main__``."""
    raise SystemExit(main(program))

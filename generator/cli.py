"""Command line: ``python -m generator <subcommand>``, one function per subcommand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from generator import cache, pipeline
from generator.errors import SpecErrors


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specgen", description="Generate typed Python clients from API specs."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("generate", "render specs into the output folder (all specs in specs/ by default)"),
        ("check", "exit 1 with a diff when the output folder is not what the specs produce"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("specs", nargs="*", type=Path, help="spec files (default: specs/*.yaml)")
        cmd.add_argument(
            "--output",
            type=Path,
            default=pipeline.OUTPUT_DIR,
            help="output folder (default: generated/)",
        )
        cmd.add_argument(
            "--templates",
            type=Path,
            default=None,
            help="folder of templates that override the built-in ones by name",
        )
    dist = sub.add_parser(
        "package",
        help="write one installable distribution per spec (pyproject.toml, README, the client "
        "and its own runtime)",
    )
    dist.add_argument("specs", nargs="*", type=Path, help="spec files (default: specs/*.yaml)")
    dist.add_argument("--out", type=Path, required=True, help="folder of the distributions")
    dist.add_argument(
        "--since",
        type=Path,
        default=None,
        help="the previous version of the (one) spec, whose api.version the new one must "
        "raise as the change requires (default: the last build in --out)",
    )
    dist.add_argument("--force", action="store_true", help="write even if api.version is too small")
    docs = sub.add_parser("docs", help="render the Markdown API reference into docs/")
    docs.add_argument("specs", nargs="*", type=Path, help="spec files (default: specs/*.yaml)")
    docs.add_argument("--output", type=Path, default=pipeline.DOCS_DIR)
    compare = sub.add_parser(
        "diff",
        help="changes between two versions of a spec; exit 1 when "
        "any breaks users of the generated client",
    )
    compare.add_argument("old", type=Path)
    compare.add_argument("new", type=Path)
    compare.add_argument("--json", action="store_true", help="machine-readable output")
    export = sub.add_parser("export-openapi", help="write an OpenAPI 3.1 document of a spec")
    export.add_argument("spec", type=Path)
    export.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="file to write (.json or .yaml; default: standard output, JSON)",
    )
    imp = sub.add_parser(
        "import-mailstore", help="create or update a MailStore spec from a get-metadata answer"
    )
    imp.add_argument(
        "metadata",
        help="a get-metadata JSON file, or a server URL "
        "(https://host:8463) to ask; credentials from --username and "
        "$MAILSTORE_PASSWORD",
    )
    imp.add_argument("--spec", type=Path, required=True, help="the spec to create or update")
    imp.add_argument(
        "--prune",
        action="store_true",
        help="remove functions and arguments the server no longer has",
    )
    imp.add_argument("--title", help="API title of a new spec")
    imp.add_argument("--client-class", help="client class name of a new spec")
    imp.add_argument("--port", type=int, help="default port of a new spec")
    imp.add_argument("--username", default="admin", help="for a server URL")
    imp.add_argument(
        "--insecure",
        action="store_true",
        help="for a server URL: do not verify its TLS certificate",
    )
    imp.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    validate = sub.add_parser("validate", help="validate specs without generating anything")
    validate.add_argument("specs", nargs="+", type=Path)
    fixtures = sub.add_parser("fixtures", help="build HTTP cassettes from the specs' examples")
    fixtures.add_argument("specs", nargs="*", type=Path, help="spec files (default: specs/*.yaml)")
    fixtures.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a built cassette is missing or out of date",
    )
    return parser


def run() -> None:
    """The ``specgen`` console command (the same as ``python -m generator``)."""
    raise SystemExit(main())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = COMMANDS[args.command]
    try:
        return command(args)
    except SpecErrors as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        writes = args.command in ("generate", "docs", "fixtures", "package")
        print(
            f"{len(exc.errors)} error(s)" + ("; nothing was written." if writes else "."),
            file=sys.stderr,
        )
        return 1
    except pipeline.GenerationError as exc:
        print(f"error: {exc}; nothing was written.", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        cache.save()  # what this command read, validated, checked and rendered, for the next


def _generate(args: argparse.Namespace) -> int:
    if not _templates_exist(args):
        return 2
    docs_dir = pipeline.DOCS_DIR if args.output == pipeline.OUTPUT_DIR else None
    output = pipeline.generate(args.specs or None, args.output, args.templates, docs_dir)
    print(
        f"generated {len(output.files)} files for {', '.join(output.packages)} into {args.output}"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    if not _templates_exist(args):
        return 2
    docs_dir = pipeline.DOCS_DIR if args.output == pipeline.OUTPUT_DIR else None
    diffs = pipeline.check(args.specs or None, args.output, args.templates, docs_dir)
    if diffs:
        sys.stdout.write("".join(diffs))
        print(
            f"\n{args.output} is out of date with the specs ({len(diffs)} files differ); "
            "run `make generate`.",
            file=sys.stderr,
        )
        return 1
    print(f"{args.output} matches the specs")
    return 0


def _templates_exist(args: argparse.Namespace) -> bool:
    if args.templates is not None and not args.templates.is_dir():
        print(f"error: template folder {args.templates} does not exist", file=sys.stderr)
        return False
    return True


def _validate(args: argparse.Namespace) -> int:
    for api in pipeline.load_apis(args.specs):
        print(f"{api.spec_file}: ok ({len(api.operations)} operations, {len(api.models)} models)")
    return 0


def _export_openapi(args: argparse.Namespace) -> int:
    from generator import openapi

    (api,) = pipeline.load_apis([args.spec])
    document = openapi.export(api)
    if args.output is not None and args.output.suffix in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    else:
        import json

        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({len(document['paths'])} paths)")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from generator import diff

    (old,) = pipeline.load_apis([args.old], check_examples=False)
    (new,) = pipeline.load_apis([args.new], check_examples=False)
    changes = diff.diff(old, new)
    print(diff.report(changes, as_json=args.json))
    return 1 if any(c.breaking for c in changes) else 0


def _package(args: argparse.Namespace) -> int:
    folders = pipeline.package(args.specs or None, args.out, since=args.since, force=args.force)
    for folder in folders:
        print(f"wrote {folder}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    output = pipeline.render_specs(args.specs or None)
    pipeline.write_docs(output, args.output, partial=bool(args.specs))
    print(f"wrote {len(output.docs)} API reference pages into {args.output}")
    return 0


def _fixtures(args: argparse.Namespace) -> int:
    from generator import fixtures as cassettes

    apis = pipeline.load_apis(args.specs or pipeline.discover_specs())
    problems = cassettes.sync(apis, check=args.check)
    for line in problems:
        print(line)
    if args.check and problems:
        print("fixtures are out of date with the specs; run `make fixtures`.", file=sys.stderr)
        return 1
    print(
        f"{'checked' if args.check else 'updated'} cassettes in tests/fixtures/ "
        f"({len(problems)} {'differ' if args.check else 'written or removed'})"
    )
    return 0


def _import_mailstore(args: argparse.Namespace) -> int:
    import os

    from generator import importer

    try:
        functions = importer.load_metadata(
            args.metadata,
            username=args.username,
            password=os.environ.get("MAILSTORE_PASSWORD", ""),
            verify_tls=not args.insecure,
        )
    except importer.MetadataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text, report = importer.import_metadata(
        functions,
        args.spec,
        prune=args.prune,
        title=args.title,
        client_class=args.client_class,
        port=args.port,
    )
    # the result must be a valid spec before it replaces anything; it is checked beside the
    # spec, so that the file it extends (a relative path) is found
    args.spec.parent.mkdir(parents=True, exist_ok=True)
    candidate = args.spec.with_name(f".{args.spec.name}.import-check")
    try:
        candidate.write_text(text, encoding="utf-8")
        (api,) = pipeline.load_apis([candidate], check_examples=False)
    finally:
        candidate.unlink(missing_ok=True)
    from generator.checks import check_examples

    stale = [f"example to update: {e.key_path}: {e.message}" for e in check_examples(api)]
    for line in report.lines() + stale or ["no changes"]:
        print(line)
    if not args.dry_run:
        args.spec.parent.mkdir(parents=True, exist_ok=True)
        partial = args.spec.with_name(args.spec.name + ".tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(args.spec)
        print(f"wrote {args.spec}; run `make generate` to update the client")
    return 0


# One function per subcommand (each returns the exit code).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "generate": _generate,
    "check": _check,
    "validate": _validate,
    "docs": _docs,
    "package": _package,
    "diff": _diff,
    "export-openapi": _export_openapi,
    "import-mailstore": _import_mailstore,
    "fixtures": _fixtures,
}

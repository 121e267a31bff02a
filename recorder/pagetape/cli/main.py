"""The `pagetape` command line: each command parses, calls the library, prints.

Errors are one sentence on stderr with exit code 2 (bad usage or input) or 1 (the operation
or a check failed); `--debug` shows the traceback instead.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pagetape import signals
from pagetape.errors import PagetapeError, RecordingError, UsageError
from pagetape.terminal import counted, printable, printable_lines

if TYPE_CHECKING:
    from pagetape.record.recording import RecordRequest

# --keep PATH, shared by record and sanitize.
KeepPaths = Annotated[
    list[str] | None,
    typer.Option(
        metavar="PATH",
        help="Keep the values at a member path real, e.g. Items[].status.S (recorded in "
        "the cassette; secret-looking keys can never be kept).",
    ),
]

app = typer.Typer(
    name="pagetape",
    help="Record real AWS paginated list calls into sanitized cassettes; replay them offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_state = {"debug": False}


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _say(text: str, err: bool = False) -> None:
    """Every line pagetape prints goes through here: text read from a cassette (or a file
    name) could carry terminal escapes, so control characters are shown escaped."""
    typer.echo(printable_lines(text), err=err)


def _echo_err(message: str) -> None:
    _say(message, err=True)


@app.command()
def record(
    service: Annotated[
        str | None,
        typer.Argument(
            metavar="SERVICE", help="boto3 service name, e.g. personalize.", show_default=False
        ),
    ] = None,
    operation: Annotated[
        str | None,
        typer.Argument(
            metavar="OPERATION",
            help="ListBatchSegmentJobs, list-batch-segment-jobs or snake_case.",
            show_default=False,
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "-p",
            "--param",
            metavar="NAME=VALUE",
            help="An operation parameter, converted by its type in the service model.",
        ),
    ] = None,
    params: Annotated[
        str | None, typer.Option("--params", metavar="JSON", help="Parameters as a JSON object.")
    ] = None,
    page_size: Annotated[
        int | None, typer.Option(help="Items per page (the operation's limit parameter).")
    ] = None,
    max_pages: Annotated[int | None, typer.Option(help="Stop after this many pages.")] = None,
    region: Annotated[str | None, typer.Option(help="AWS region.")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile.")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="Endpoint; AWS_ENDPOINT_URL* is honoured too.")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o", "--output", help="Cassette path (default: cassettes/<service>/<operation>.json)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Overwrite existing cassettes (every entry of a manifest).")
    ] = False,
    record_errors: Annotated[
        bool, typer.Option(help="Record a chain that ends in a service error instead of failing.")
    ] = False,
    max_attempts: Annotated[
        int | None,
        typer.Option(help="Attempts per call (botocore standard retry mode; default 5)."),
    ] = None,
    keep_rule: Annotated[
        list[str] | None,
        typer.Option(
            metavar="RULE",
            help="Switch a sanitization rule off (see pagetape sanitize --list-rules).",
        ),
    ] = None,
    keep: KeepPaths = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Record every recording a TOML manifest lists, concurrently, instead of "
            "SERVICE OPERATION (see README).",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "-j", "--jobs", help="With --manifest: recordings at once (default: CPU count)."
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Walk the chain of the cassette given with -o (its own service, operation, "
            "parameters, page size and region) live again and print what a new recording "
            "would change, as sanitized fakes; writes nothing. Exit 1 when something changed.",
        ),
    ] = False,
) -> None:
    """Record the whole page chain of one operation into a sanitized cassette, or, with
    --manifest FILE, every recording the manifest lists, concurrently, with a result table."""
    if check and (manifest is not None or force):
        what = "--manifest" if manifest is not None else "--force"
        raise UsageError(
            f"--check cannot be combined with {what}; check one cassette with "
            "'pagetape record --check -o CASSETTE'"
        )
    if manifest is not None:
        given = {
            "SERVICE": service is not None,
            "OPERATION": operation is not None,
            "-p": bool(param),
            "--params": params is not None,
            "--page-size": page_size is not None,
            "--max-pages": max_pages is not None,
            "--region": region is not None,
            "--profile": profile is not None,
            "--endpoint-url": endpoint_url is not None,
            "-o": output is not None,
            "--record-errors": record_errors,
            "--keep-rule": bool(keep_rule),
            "--keep": bool(keep),
        }
        mixed = [name for name, was_given in given.items() if was_given]
        if mixed:
            raise UsageError(
                f"--manifest cannot be combined with {', '.join(mixed)}; put per-recording "
                "settings in the manifest ([defaults] for region, profile and endpoint_url)"
            )
        _record_manifest(manifest, force, max_attempts or 5, jobs)
        return
    if jobs is not None:
        raise UsageError("--jobs only applies with --manifest FILE")
    if not check and (service is None or operation is None):
        missing = "SERVICE" if service is None else "OPERATION"
        raise UsageError(
            f"Missing argument {missing}: pagetape record needs SERVICE OPERATION or "
            "--manifest FILE (see 'pagetape record --help')"
        )
    from pagetape.record.recording import RecordRequest, plan  # lazy: fast CLI start
    from pagetape.record.recording import record as do_record  # lazy: fast CLI start

    request = RecordRequest(  # with --check, the cassette at OUTPUT fills what is left out
        service=service or "",
        operation=operation or "",
        pairs=param or [],
        params_json=params,
        page_size=page_size,
        max_pages=max_pages,
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        output=output,
        force=force,
        record_errors=record_errors,
        max_attempts=5 if max_attempts is None else max_attempts,
        keep_rules=keep_rule or [],
        keep_paths=keep or [],
    )
    if check:
        _record_check(request)
        return
    the_plan = plan(request)
    if sys.stderr.isatty():
        from rich.console import Console

        console = Console(stderr=True)
        with console.status(f"recording {the_plan.spec.service} {the_plan.spec.operation}") as st:

            def progress(pages: int, items: int) -> None:
                st.update(
                    f"recording {the_plan.spec.operation}: {counted(pages, 'page')}, {counted(items, 'item')}"
                )

            result = do_record(the_plan, progress)
    else:
        result = do_record(the_plan)
    meta = result.cassette.metadata
    _say(
        f"recorded {meta.service} {meta.operation}: {counted(result.pages, 'page')}, "
        f"{counted(result.items, 'item')}"
    )
    if meta.error:
        _say(printable(f"  the chain ends in an error, replay raises it: {meta.error}"))
    _say(f"  cassette: {result.path}")
    _say(f"  params for tests: {json.dumps(result.params, sort_keys=True)}")


def _record_check(request: RecordRequest) -> None:
    """`record --check`: the report of `pagetape.verify.recheck`, exit 1 when it is not empty."""
    from pagetape.verify.recheck import recheck  # lazy: fast CLI start

    found = recheck(request)
    if not found.same_secret:
        _say(
            f"note: {found.path} was sanitized with another local secret, so every fake "
            "differs from the new walk's",
            err=True,
        )
    for line in found.lines:
        _say(printable(line))
    _say(f"{found.path}: {printable(found.diff.stat())}", err=True)
    if not found.diff.same:
        raise typer.Exit(1)
    _say(f"{found.path}: unchanged, nothing written", err=True)


def _record_manifest(path: Path, force: bool, max_attempts: int, jobs: int | None) -> None:
    """`record --manifest`: live progress lines on a terminal, then a result table on stdout."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn
    from rich.table import Table
    from rich.text import Text

    from pagetape.record import manifest as batch  # lazy: fast CLI start

    if max_attempts < 1:
        raise UsageError("--max-attempts must be at least 1")
    entries = batch.prepare(path, force=force, max_attempts=max_attempts)
    live = sys.stderr.isatty()
    progress = Progress(
        SpinnerColumn(finished_text=" "),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[status]}"),
        console=Console(stderr=True),
        transient=True,
        disable=not live,
    )
    tasks = {e.index: progress.add_task(str(e.output), status="waiting", total=1) for e in entries}

    def on_progress(index: int, pages: int, items: int) -> None:
        progress.update(tasks[index], status=f"{counted(pages, 'page')}, {counted(items, 'item')}")

    def on_done(outcome: batch.EntryOutcome) -> None:
        status = (
            f"{counted(outcome.pages, 'page')}, {counted(outcome.items, 'item')}"
            if outcome.ok
            else "failed"
        )
        progress.update(tasks[outcome.entry.index], completed=1, status=status)

    with progress:  # disabled (prints nothing) unless stderr is a terminal
        outcomes = batch.run(entries, jobs, on_progress, on_done)
    table = Table()
    table.add_column("output", overflow="fold")
    table.add_column("pages", justify="right")
    table.add_column("items", justify="right")
    table.add_column("status", overflow="fold")
    for outcome in outcomes:
        table.add_row(  # Text: a service's message is neither markup nor terminal escapes
            Text(printable(str(outcome.entry.output))),
            str(outcome.pages) if outcome.ok else "",
            str(outcome.items) if outcome.ok else "",
            Text("ok" if outcome.ok else printable(f"failed: {outcome.error}")),
        )
    wide = None if sys.stdout.isatty() else 100_000  # logs get one line per row
    Console(width=wide, highlight=False).print(table)
    failed = sum(not o.ok for o in outcomes)
    if failed:
        raise RecordingError(
            f"{failed} of {counted(len(outcomes), 'recording')} failed; "
            f"{'its cassette was' if failed == 1 else 'their cassettes were'} not written"
        )
    _say(f"recorded {counted(len(outcomes), 'cassette')} from {path}", err=True)


@app.command()
def show(
    cassette: Annotated[Path, typer.Argument(help="A cassette file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    textconv: Annotated[
        bool,
        typer.Option(
            "--textconv",
            help="Print every member as one 'path = value' line per interaction: a git diff "
            "driver (git config diff.pagetape.textconv 'pagetape show --textconv').",
        ),
    ] = False,
) -> None:
    """Summarize a cassette: operation, region, parameters, pages and items."""
    from pagetape.cassette import store as cassette_io  # lazy: fast CLI start
    from pagetape.cli import summary  # lazy: fast CLI start

    if as_json and textconv:
        raise UsageError("--json and --textconv are two different outputs; pick one")
    tape = cassette_io.load(cassette)
    if textconv:
        from pagetape.verify.members import textconv as render  # lazy: fast CLI start

        _say("\n".join(render(tape)))
        return
    if as_json:
        _say(json.dumps(summary.as_dict(tape, str(cassette)), sort_keys=True))
    else:
        _say(summary.as_text(tape, str(cassette)))


@app.command()
def replay(
    cassette: Annotated[Path, typer.Argument(help="A cassette file.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per item.")] = False,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Inject KIND:PAGE[xTIMES] (throttle:2x3; KIND:#N for the Nth request) through "
            "botocore's retries; kinds: throttle, server-error, unavailable, connection-error, "
            "read-timeout.",
        ),
    ] = None,
) -> None:
    """Replay a cassette's chain offline through a real boto3 client and print the items."""
    from pagetape.replay.engine import replay_chain  # lazy: fast CLI start

    result = replay_chain(cassette, fault or ())
    if as_json:
        for item in result.items:
            _say(json.dumps(item, sort_keys=True, default=_json_default))
    else:
        for item in result.items:
            if isinstance(item, dict):
                fields = [f"{k}={v}" for k, v in item.items() if isinstance(v, (str, int, float))]
                _say(printable("  ".join(fields[:4])))
            else:
                _say(printable(str(item)))
        walks = f" in {result.chains} separate chains" if result.chains > 1 else ""
        _say(
            f"replayed {counted(result.pages, 'page')}{walks}, "
            f"{counted(len(result.items), 'item')} offline",
            err=True,
        )
    for call in result.calls:
        if call.fault:
            _say(
                f"interaction {call.interaction + 1}, attempt {call.attempt}: injected {call.fault}",
                err=True,
            )
    if result.error and result.faulted:
        _say(printable(f"the injected fault outlasted the retries: {result.error}"), err=True)
        raise typer.Exit(1)
    if result.error:
        _say(printable(f"the chain ends in the recorded error {result.error}"), err=True)


def _json_default(value: Any) -> str:
    iso = getattr(value, "isoformat", None)
    return str(iso()) if iso else str(value)


@app.command()
def verify(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Cassette files or folders (default: cassettes/); vcrpy and placebo files too."
        ),
    ] = None,
) -> None:
    """Lint cassettes for leaks (credentials, account ids, buckets, emails, IPs, keys) and
    broken token chains; vcrpy and placebo files are audited by running the sanitizer over them: every value it would replace is named. Exit 1 on findings."""
    from pagetape.verify.lint import verify as run_verify  # lazy: fast CLI start

    files, findings = run_verify(paths or [Path("cassettes")])
    for finding in findings:
        _say(printable(str(finding)))
    bad = len({f.file for f in findings})
    if findings:
        _say(
            f"{counted(len(findings), 'finding')} in {bad} of {counted(len(files), 'cassette')}",
            err=True,
        )
        raise typer.Exit(1)
    _say(f"{counted(len(files), 'cassette')} clean", err=True)


@app.command("diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="The cassette before.")],
    new: Annotated[Path, typer.Argument(help="The cassette after.")],
    stat: Annotated[bool, typer.Option("--stat", help="Only the summary line.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """What changed between two cassettes, by chain, page and member path (bodies compared as
    values). Exit 0 when they hold the same, 1 when they differ, 2 on bad input."""
    from pagetape.cassette import store as cassette_io  # lazy: fast CLI start
    from pagetape.verify.diff import diff  # lazy: fast CLI start

    found = diff(cassette_io.load(old), cassette_io.load(new))
    if as_json:
        _say(json.dumps(found.as_json(), sort_keys=True, ensure_ascii=False, default=str))
    elif stat:
        _say(printable(found.stat()))
    else:
        for line in found.lines():
            _say(printable(line))
        if not found.same:
            _say(printable(found.stat()), err=True)
    if not found.same:
        raise typer.Exit(1)


import_app = typer.Typer(
    help="Bring fixtures written by other tools: placebo response folders.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


@import_app.command("placebo")
def import_placebo(
    folder: Annotated[
        Path, typer.Argument(help="A placebo folder (service.Operation_N.json files).")
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Where to write (default: cassettes/<folder name>/)."),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(help="The region (default: the one the ARNs name, else us-east-1)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing cassettes.")] = False,
    keep_rule: Annotated[
        list[str] | None, typer.Option(metavar="RULE", help="Switch a rule off, by name.")
    ] = None,
    skip_unreadable: Annotated[
        bool,
        typer.Option(
            help="Import the other files when some cannot be read (each skipped file is named, "
            "with the other files of its operation); without it nothing is written."
        ),
    ] = False,
) -> None:
    """Turn a placebo folder into sanitized cassettes, one per operation, chains linked. One
    unreadable file (bad JSON, a timestamp that does not parse, an unknown operation) refuses
    the folder, naming it, unless --skip-unreadable."""
    from pagetape.imports.placebo import import_folder  # lazy: fast CLI start

    done = import_folder(folder, output, region, force, keep_rule or [], skip_unreadable)
    for path in done.written:
        _say(printable(f"wrote {path}"))
    for skipped in done.skipped:
        _say(printable(f"skipped {skipped.path}: {skipped.reason}"), err=True)
    if done.skipped:
        count = f"{len(done.skipped)} file" + ("s" if len(done.skipped) != 1 else "")
        _say(f"skipped {count} (named above); the other files were imported", err=True)


@app.command()
def sanitize(
    source: Annotated[
        Path | None, typer.Argument(help="A vcrpy (YAML/JSON) or pagetape cassette.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Where to write (default: a pagetape cassette in place, a vcrpy one as NAME.pagetape.json).",
        ),
    ] = None,
    keep_rule: Annotated[
        list[str] | None, typer.Option(metavar="RULE", help="Switch a rule off, by name.")
    ] = None,
    keep: KeepPaths = None,
    list_rules: Annotated[bool, typer.Option(help="List the sanitization rules and exit.")] = False,
) -> None:
    """Sanitize an existing vcrpy or pagetape cassette into a pagetape cassette."""
    from pagetape.imports.resanitize import sanitize_file  # lazy: fast CLI start
    from pagetape.sanitize import rules  # lazy: fast CLI start

    if list_rules:
        for rule in rules.RULES:
            _say(f"{rule.name:14} {rule.description}")
        return
    if source is None:
        raise UsageError("pagetape sanitize needs an INPUT cassette (or --list-rules)")
    tape, target = sanitize_file(source, output, keep_rule or [], keep or [])
    meta = tape.metadata
    _say(
        printable(
            f"sanitized {counted(len(tape.interactions), 'interaction')} "
            f"({meta.service} {meta.operation}: "
            f"{counted(meta.pages, 'page')}, {counted(meta.items, 'item')}) into {target}"
        )
    )


@app.command()
def plugins(
    service: Annotated[
        list[str] | None, typer.Option("--service", help="Only these services.")
    ] = None,
) -> None:
    """List every recordable operation and where its pagination spec comes from."""
    from pagetape.aws import specs  # lazy: fast CLI start

    if service:
        service = [specs.resolve_service(s) for s in service]
    reg = specs.registry()
    shown = [
        (name, found)
        for name, found in sorted(reg.plugins.items())
        if not service or name in service
    ]
    for name, (entry, plugin) in shown:
        _say(f"plugin {entry}: {name} ({counted(len(plugin.operations), 'operation')})")
    if service and not shown:
        whose = "its" if len(service) == 1 else "their"
        _say(f"no plugin describes {', '.join(service)}: {whose} operations come from botocore")
    for problem in reg.problems:  # a broken plugin does not say its service: always shown
        _say(f"plugin {problem.name}: broken, skipped: {problem.reason}")
    for found in specs.recordable(service):
        spec = found.spec
        size = ""
        if spec.limit_key and spec.page_size_max:
            size = f"  page size {spec.page_size_min}..{spec.page_size_max}"
            size += f", default {spec.page_size_default}" if spec.page_size_default else ""
        _say(f"{found.service} {found.operation}  [{found.source}]{size}")


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 4566,
) -> None:
    """Serve the embedded sandbox account on 127.0.0.1 until Ctrl-C."""
    from pagetape.sandbox import Sandbox  # lazy: fast CLI start

    server = Sandbox(port=port)
    try:
        server.start()
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a port number"
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {reason}") from None
    _say(f"sandbox account listening on {server.endpoint_url} (Ctrl-C stops it)")
    _say(
        f"  try: AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox pagetape record "
        f"personalize list-batch-segment-jobs --region us-east-1 --endpoint-url "
        f"{server.endpoint_url} --page-size 10"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@app.command()
def demo(
    folder: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to write the cassettes (default: a new temp folder)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite cassettes already there.")] = False,
) -> None:
    """Record all five seeded operations from the embedded sandbox, verify them, replay them."""
    from pagetape.cli import summary  # lazy: fast CLI start
    from pagetape.cli.demo import record_seeded  # lazy: fast CLI start
    from pagetape.replay.engine import replay_chain  # lazy: fast CLI start
    from pagetape.sandbox import Sandbox  # lazy: fast CLI start
    from pagetape.verify.lint import verify as run_verify  # lazy: fast CLI start

    target = folder or Path(tempfile.mkdtemp(prefix="pagetape-demo-"))
    with Sandbox() as server:
        _say(f"sandbox account on {server.endpoint_url}; recording into {target}")
        results = record_seeded(
            target,
            server.endpoint_url,
            force=force,
            on_done=lambda r: _say(summary.as_text(r.cassette, str(r.path))),
            on_skip=_say,
        )
    files, findings = run_verify([r.path for r in results])
    for finding in findings:
        _say(printable(str(finding)))
    _say(f"verify: {len(files) - len({f.file for f in findings})} of {len(files)} clean")
    for result in results:
        replayed = replay_chain(result.path)
        same = (replayed.pages, len(replayed.items)) == (result.pages, result.items)
        _say(
            f"replay offline: {result.path.name}: {counted(replayed.pages, 'page')}, "
            f"{counted(len(replayed.items), 'item')}{'' if same else ' (DIFFERS from the recording)'}"
        )
        if not same:
            raise PagetapeError(f"replaying {result.path} did not give back what was recorded")
    if findings:
        raise PagetapeError("verify found problems in the demo cassettes")
    total = sum(r.pages for r in results)
    _say(f"done: {counted(len(results), 'cassette')}, {counted(total, 'page')}, in {target}")


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the app, turning every expected error into one line and an exit code.

    SIGINT, SIGTERM and SIGHUP become an exception (`pagetape.signals`), so the cleanup of a
    half-made cassette runs whichever of them stops pagetape."""
    signals.install()
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="pagetape", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _echo_err("pagetape: aborted")
        sys.exit(1)
    except typer.TyperException as exc:  # click-style usage errors: bad option, missing argument
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            _say(ctx.get_help())
            sys.exit(0)
        where = f"pagetape {ctx.info_name}" if ctx is not None and ctx.parent else "pagetape"
        message = " ".join(exc.format_message().split())
        _echo_err(f"{where}: {message} (see '{where} --help')")
        sys.exit(exc.exit_code)
    except PagetapeError as exc:
        if _state["debug"]:
            raise
        _echo_err("pagetape: " + "; ".join(line.strip() for line in str(exc).splitlines()))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _interrupted()
    if code == 130 and signals.received() is not None:  # typer returns Ctrl-C as 130
        _interrupted()
    return code


def _interrupted() -> None:
    """One line and 128 + the signal number (130 for Ctrl-C); further signals are ignored
    while it is said."""
    import signal

    for handled in signals.HANDLED:
        signal.signal(handled, signal.SIG_IGN)
    signum = int(signals.received() or signal.SIGINT)
    how = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    written = signals.committed()
    if written:
        _echo_err(f"pagetape: {how} after writing {', '.join(written)}")
    else:
        _echo_err(f"pagetape: {how}; nothing was written")
    sys.exit(128 + signum)


if __name__ == "__main__":
    main()

"""The conformance report: pass counts overall and by protocol, failure groups (stage, exception
type and message pattern -> count, three examples, the pagetape frame that raised, a diagnosis).

    cd tests && ../.venv/bin/python -m conformance.report            # the last pytest run
    cd tests && ../.venv/bin/python -m conformance.report --run s3    # run services in-process
    cd tests && ../.venv/bin/python -m conformance.report --run --json summary.json   # all

pytest writes one JSON line per paginator into .pytest_cache/d/conformance/
outcomes-<run>-<worker>.jsonl; this module reads the newest run unless --results or --run is given.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RESULTS = ROOT / ".pytest_cache" / "d" / "conformance"

# (regex over "stage | error type | pattern || first message", diagnosis). First match wins.
DIAGNOSES: list[tuple[str, str]] = [
    (r"^endpoint hostPrefix", "not servable from 127.0.0.1: botocore puts the prefix in front "
     "of the endpoint host (e.g. data.127.0.0.1); needs a resolvable wildcard host, no pagetape "
     "fault"),
    (r"^endpoint rules bypass", "not servable: the service's endpoint rules route these "
     "operations (static context IsControlPlane) to the AWS host whatever endpoint_url says; "
     "the harness sees the failed connection and classifies it (no pagetape fault)"),
    (r"URL path",
     "sanitize/walker.py, wire/request.py: an ARN bound to the URI path is faked differently in the recorded "
     "path than in metadata.params, so the replayed request (built from the params) misses"),
    (r"^record \| LeakError",
     "proof.py: an original the arn/name rule replaced is found base64-encoded inside blob or "
     "document data that the sanitizer does not rewrite; the write aborts (by design)"),
    (r"^unsynthesizable input", "harness: the small regex generator found no value for a "
     "required parameter's pattern"),
    (r"^untokenizable output", "harness: no output token member can carry a page marker"),
    (r"response\.token: pagination token was not replaced",
     "sanitize.py: the response token travels under a wire name that differs from its member "
     "name (jsonName/locationName, e.g. apigatewayv2 NextToken -> nextToken); it is classified by "
     "the secret-looking-key rule (pagetape-secret-...) instead of the token rule, so the chain "
     "breaks: the next request asks for pagetape-token-N"),
    (r"broken token chain: no later request asks for",
     "verify.py chain check (chain.py): for rest-xml operations that POST an XML request body "
     "(CloudFront ListConnectionFunctions, ...) the input token (<Marker>) and the limit "
     "(<MaxItems>) live in the body; the recorded chain is linked, but verify does not find them "
     "there, reports a broken chain, and metadata.page_size stays null"),
    (r"^replay \| ParamValidationError \| .*Invalid length for parameter",
     "sanitize.py/pseudonym.py: fake tokens (pagetape-token-0001, 19 characters) ignore the input "
     "token's model min length (36 for UUID tokens, 80, 37 for DynamoDB backup ARNs), so boto3's "
     "own validation refuses the replayed request"),
    (r"^plan \| ParameterError \| .*Missing required parameter",
     "record.py plan() -> params.check(): the parameters are validated as a whole request before "
     "the page size is put in, so an operation whose limit key is required cannot be recorded "
     "even with --page-size"),
    (r"Unable to locate authorization token",
     "record.py _client(): bearer-token operations (smithy httpBearerAuth) need a token provider; "
     "pagetape only passes SigV4 keys (pagetape limitation)"),
    (r"ReplayMissError.*AWSAccessKeyId",
     "wire/request.py, sanitize/walker.py: SigV2 services (SimpleDB) sign inside the form body (AWSAccessKeyId, "
     "Signature, SignatureMethod, SignatureVersion, Timestamp); they stay in the recorded request "
     "key, the unsigned replayed request has none, so every replay misses"),
    (r"account id the sanitizer did not produce|secret key the sanitizer did not produce",
     "detect.py shared engine disagreement: verify flags a value the writer kept or produced "
     "(a 12-digit ExternalId, a percent-encoded path segment), so the writer's output fails "
     "verify"),
]  # fmt: skip


def load(results: Path, run: str | None = None) -> list[dict[str, Any]]:
    """Outcomes of one run (default: the newest) under RESULTS; unreadable lines are skipped."""
    files = sorted(results.glob("outcomes-*.jsonl"), key=lambda p: p.stat().st_mtime)
    if not files:
        return []
    run = run or files[-1].name.split("-")[1]
    rows = []
    for f in files:
        if f.name.split("-")[1] != run:
            continue
        for line in f.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return rows


def prune(results: Path, keep: int = 20) -> None:
    """Drop the files of all but the KEEP newest runs."""
    files = sorted(results.glob("outcomes-*.jsonl"), key=lambda p: p.stat().st_mtime)
    runs = list(dict.fromkeys(f.name.split("-")[1] for f in reversed(files)))
    for f in files:
        if f.name.split("-")[1] not in runs[:keep]:
            f.unlink(missing_ok=True)
    for folder in results.glob("cassettes-*"):
        if folder.name.split("-")[1] not in runs[:keep]:
            shutil.rmtree(folder, ignore_errors=True)


def pattern(outcome: dict[str, Any]) -> str:
    """The message with what varies between paginators replaced: names, tokens, numbers."""
    text = outcome.get("message", "")
    text = re.sub(r"(?:/[\w.+-]+)+\.json", "<path>", text)
    text = re.sub(rf"\b{re.escape(outcome['operation'])}\b", "<op>", text)
    text = re.sub(rf"\b{re.escape(outcome['service'])}\b", "<svc>", text)
    text = re.sub(r"ctok-\d+-p\d+x*", "<marker>", text)
    text = re.sub(r"(['\"]).*?\1", "'…'", text)
    text = re.sub(r"\b[0-9a-f]{8,}\b", "<hex>", text)
    text = re.sub(r"\d+", "N", text)
    return text[:160]


def diagnose(key: str, message: str = "") -> str:
    for regex, text in DIAGNOSES:
        if re.search(regex, f"{key} || {message}"):
            return text
    return ""


def summarize(outcomes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    rows = list(outcomes)
    by_protocol: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        by_protocol[r["protocol"]][r["status"]] += 1
        by_protocol["all"][r["status"]] += 1
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["status"] == "pass":
            continue
        if r["status"] == "unservable":
            key = f"{r['stage']} | {r['status']}"
        else:
            key = f"{r['stage']} | {r['error_type']} | {pattern(r)}"
        groups[key].append(r)
    listed = []
    for key, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        listed.append(
            {
                "group": key,
                "status": members[0]["status"],
                "count": len(members),
                "protocols": dict(Counter(m["protocol"] for m in members)),
                "raised_in": dict(Counter(m.get("where") or "-" for m in members)),
                "examples": [
                    f"{m['service']} {m['operation']} ({m['protocol']}): {m['message'][:300]}"
                    + (f" [{m['cassette']}]" if m.get("cassette") else "")
                    for m in members[:3]
                ],
                "diagnosis": diagnose(key, f"{members[0]['error_type']} {members[0]['message']}"),
            }
        )
    return {
        "total": len(rows),
        "by_protocol": {p: dict(c) for p, c in sorted(by_protocol.items())},
        "groups": listed,
    }


def render(summary: dict[str, Any]) -> str:
    lines = [f"pagetape conformance: {summary['total']} paginators"]
    for protocol, counts in summary["by_protocol"].items():
        total = sum(counts.values())
        rest = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "pass")
        lines.append(f"  {protocol:<20} pass {counts.get('pass', 0):>5} / {total:<5} {rest}")
    for g in summary["groups"]:
        lines.append(f"[{g['count']}] {g['group']}")
        lines.append(f"      protocols: {g['protocols']}  raised in: {g['raised_in']}")
        if g["diagnosis"]:
            lines.append(f"      diagnosis: {g['diagnosis']}")
        lines.extend(f"      e.g. {e}" for e in g["examples"])
    return "\n".join(lines)


def run(services: list[str] | None) -> list[dict[str, Any]]:
    """Check every paginator of SERVICES (default: all) in this process, one after another."""
    from conformance import runner, synth
    from conformance.server import ConformanceServer

    os.environ.setdefault("PAGETAPE_SECRET", "pagetape-conformance-secret")
    os.environ.update(
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )  # fmt: skip
    rows = []
    with ConformanceServer() as server, tempfile.TemporaryDirectory() as tmp:
        for service in services or synth.services():
            for outcome in runner.check_service(server, service, Path(tmp)):
                rows.append(json.loads(outcome.to_json()))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--run", nargs="*", metavar="SERVICE", help="run these (or all) now")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args(argv)
    rows = run(args.run or None) if args.run is not None else load(args.results)
    if not rows:
        print(f"no conformance outcomes under {args.results}", file=sys.stderr)
        return 2
    summary = summarize(rows)
    print(render(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

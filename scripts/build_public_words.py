"""Build recorder/pagetape/data/public_words.txt: the public vocabulary of free text.

Free text in a cassette keeps only words every AWS account shares; everything else is faked
(default-deny). The vocabulary is built from data, not by hand: the words of botocore's own model
documentation that at least MIN_SERVICES service models write in lower case (a word documented
once, in one service, is too close to an example value), plus hyphenated phrases written so
in the documentation and the literal segments of request URIs, minus the fictitious people and
companies AWS's style guide uses in its examples (they are what a fixture author types too). Operation names and IAM service prefixes
are listed apart: `s3:GetObject` in a policy and CloudTrail's EventName are AWS's own.

    python scripts/build_public_words.py     # rewrites the file for the installed botocore
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore
import botocore.session

OUT = Path(__file__).parent.parent / "recorder" / "pagetape" / "data" / "public_words.txt"
MIN_SERVICES = 4
# The fictitious names of AWS documentation examples (AWS style guide: example people and
# companies such as John Doe, Mary Major, Richard Roe, AnyCompany): never public vocabulary.
FICTITIOUS = [
    "acme",
    "alejandro",
    "akua",
    "ana",
    "anycompany",
    "arnav",
    "carlos",
    "carolina",
    "desai",
    "diego",
    "doe",
    "efua",
    "example",
    "jackson",
    "jane",
    "john",
    "jorge",
    "juan",
    "kwaku",
    "li",
    "major",
    "mansa",
    "martha",
    "mary",
    "mateo",
    "mensah",
    "nikki",
    "owusu",
    "pat",
    "paulo",
    "richard",
    "rivera",
    "rodriguez",
    "roe",
    "rosalez",
    "salazar",
    "santos",
    "saanvi",
    "sarkar",
    "shirley",
    "silva",
    "souza",
    "terry",
    "whitlock",
    "wang",
    "wei",
    "wolf",
    "xiulan",
    "zhang",
    "alice",
    "bob",
    "carol",
    "dave",
    "eve",
    "mallory",
    "trent",
]
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"(?<![A-Za-z0-9-])[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?![A-Za-z0-9-])")


def _docs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "documentation" and isinstance(value, str):
                yield _TAG.sub(" ", value)
            else:
                yield from _docs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _docs(value)


def main() -> None:
    loader = botocore.session.get_session().get_component("data_loader")
    seen: dict[str, set[str]] = defaultdict(set)
    operations: set[str] = set()
    prefixes: set[str] = set()
    literals: set[str] = set()
    for service in loader.list_available_services("service-2"):
        model = loader.load_service_model(service, "service-2")
        meta = model.get("metadata", {})
        prefixes.update(p for p in (meta.get("endpointPrefix"), meta.get("signingName")) if p)
        operations.update(model.get("operations", {}))
        for op in model.get("operations", {}).values():
            # Literal segments of request URIs (/2013-04-01/hostedzone/{Id}) are structure.
            uri = op.get("http", {}).get("requestUri", "")
            for part in re.split(r"[/?&=]", uri):
                if part.isalpha() and part.islower():
                    literals.add(part)
        for text in _docs(model):
            for word in _WORD.findall(text):
                seen[word].add(service)
    fictitious = set(FICTITIOUS)
    words = sorted(
        {
            w
            for w, services in seen.items()
            if len(services) >= MIN_SERVICES and not fictitious & set(w.split("-"))
        }
        | literals
    )
    header = [
        f"# pagetape public vocabulary, built by scripts/build_public_words.py from botocore "
        f"{botocore.__version__}: documentation words of >= {MIN_SERVICES} service models and URI literals, "
        "then operation names, then IAM service prefixes. Data, not code.",
    ]
    body = [
        "[words]", *words,
        "[operations]", *sorted(operations),
        "[prefixes]", *sorted(prefixes),
    ]  # fmt: skip
    OUT.write_text("\n".join(header + body) + "\n")
    print(f"{OUT}: {len(words)} words, {len(operations)} operations, {len(prefixes)} prefixes")


if __name__ == "__main__":
    main()

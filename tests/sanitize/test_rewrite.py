"""Value rewriting (pagetape.sanitize.rewrite.Rewriter): one real value becomes one fake, a pure
function of (secret, value, kind), format-true, recognised as a fake by the detection engine
`verify` uses; AWS's public values, placeholders and schema stay; fakes map to themselves."""

from __future__ import annotations

import ipaddress
import json
import re

import pytest

from pagetape.errors import UsageError
from pagetape.sanitize import detect, proof
from pagetape.sanitize.rewrite import Rewriter, identifying

SECRET = b"rewrite-test-secret"
ACCOUNT = "210987654321"

# (value, kind the walker gives it): one of each family the rewriter rebuilds.
VALUES = [
    ("acme-prod-logs", "name"),
    ("Acme Corp", "name"),
    ("report-q1.csv", "name"),
    (f"backups-{ACCOUNT}", "name"),
    (ACCOUNT, "account_id"),
    ("ana.moreira@globex.com", "name"),
    (f"arn:aws:iam::{ACCOUNT}:role/acme-deployer", "name"),
    ("s3://acme-bucket/exports/2024/users.parquet", "name"),
    ("db01.globex.com", "name"),
    ("https://acme.globex.com/admin?user=ana", "name"),
    ("10.1.2.3", "name"),
    ("54.193.109.11", "name"),
    ("i-0abc123def4567890", "name"),
    ("+1 415 555 2671", "name"),
    ("AKIA2OGYBAH6QZ4EXMPL", "secret"),
    ("hunter2-password", "secret"),
    ("Ask ana.moreira@globex.com about acme-prod-logs", "free_text"),
]


def _fakes(values: Rewriter, pairs: list[tuple[str, str]]) -> list[str]:
    return [values.string(value, kind) for value, kind in pairs]


def test_same_secret_same_fakes_different_secret_different_fakes() -> None:
    first = _fakes(Rewriter(SECRET), VALUES)
    assert first == _fakes(Rewriter(SECRET), VALUES)
    other = _fakes(Rewriter(b"another-secret"), VALUES)
    for (value, _), fake, fake_other in zip(VALUES, first, other, strict=True):
        assert fake != value, value
        assert fake_other != fake, value


def test_fakes_do_not_depend_on_order() -> None:
    names = [(v, k) for v, k in VALUES if k != "free_text"]
    forward = dict(zip(names, _fakes(Rewriter(SECRET), names), strict=True))
    backward = dict(zip(names[::-1], _fakes(Rewriter(SECRET), names[::-1]), strict=True))
    assert forward == backward


def test_one_real_value_one_fake_wherever_it_appears() -> None:
    values = Rewriter(SECRET)
    bucket = values.string("acme-prod-logs", "name")
    account = values.string(ACCOUNT, "account_id")
    arn = values.string(f"arn:aws:s3:::acme-prod-logs/{ACCOUNT}/report.csv", "name")
    report = values.string("report", "name")
    assert arn == f"arn:aws:s3:::{bucket}/{account}/{report}.csv"
    assert values.string(f"arn:aws:iam::{ACCOUNT}:role/r-1", "name").split(":")[4] == account
    assert values.string(f"backups-{ACCOUNT}", "name").endswith(f"-{account}")
    assert values.text(f"bucket acme-prod-logs of {ACCOUNT}.") == f"bucket {bucket} of {account}."


def test_a_name_keeps_its_shape() -> None:
    values = Rewriter(SECRET)
    for name in ("acme-prod-logs", "Team_Blue.42", "Acme Corp"):
        fake = values.string(name, "name")
        assert len(fake) == len(name) and fake != name
        shape = [("a" if c.islower() else "A" if c.isupper() else "9" if c.isdigit() else c)
                 for c in name]  # fmt: skip
        assert [("a" if c.islower() else "A" if c.isupper() else "9" if c.isdigit() else c)
                for c in fake] == shape  # fmt: skip
    assert values.string("report-q1.csv", "name").endswith(".csv")
    # AWS's path stays, the function name is faked.
    fake_fn = values.string("/aws/lambda/acme-fn", "name")
    assert fake_fn.startswith("/aws/lambda/") and not fake_fn.endswith("acme-fn")


def test_detected_values_keep_their_format() -> None:
    values = Rewriter(SECRET)
    email = values.string("ana.moreira@globex.com", "name")
    assert email.endswith(".example") and email.count("@") == 1
    private = values.string("10.1.2.3", "name")
    assert ipaddress.ip_address(private) in ipaddress.ip_network("10.0.0.0/8")
    public = values.string("54.193.109.11", "name")
    assert ipaddress.ip_address(public) in ipaddress.ip_network("198.18.0.0/15")
    arn = values.string(f"arn:aws:iam::{ACCOUNT}:role/acme-deployer", "name").split(":")
    assert arn[:4] == ["arn", "aws", "iam", ""] and arn[5].startswith("role/")
    instance = values.string("i-0abc123def4567890", "name")
    assert re.fullmatch(r"i-[0-9a-f]{17}", instance)
    uri = values.string("s3://acme-bucket/exports/2024/users.parquet", "name")
    assert re.fullmatch(r"s3://[a-z]{4}-[a-z]{6}/[a-z]{7}/\d{4}/[a-z]{5}\.parquet", uri)


def test_fakes_are_recognised_as_fakes_by_the_detection_engine() -> None:
    # What verify does: scan the written value, ask is_fake of every hit.
    values = Rewriter(SECRET)
    fakes = _fakes(values, VALUES)
    listed = frozenset(values.pseudo.fakes())
    for (value, _), fake in zip(VALUES, fakes, strict=True):
        for hit in detect.scan(fake):
            assert detect.is_fake(hit.kind, hit.value, listed), (value, hit)
        for hit in detect.scan(value):
            if hit.value in fake:  # whatever of the original is still there is public
                assert detect.is_fake(hit.kind, hit.value) or values.is_public(hit.value)
    # The kinds that matter most prove themselves, with no list at all.
    for value, kind in [(ACCOUNT, "account_id"), ("54.193.109.11", "ip_address"),
                        ("AKIA2OGYBAH6QZ4EXMPL", "access_key_id"), ("+1 415 555 2671", "phone")]:  # fmt: skip
        fake = values.string(value, "secret" if kind == "access_key_id" else "name")
        assert detect.fullmatch(fake) == kind
        assert detect.is_fake(kind, fake) and not detect.is_fake(kind, value)


def test_the_leak_proof_accepts_what_the_rewriter_wrote() -> None:
    values = Rewriter(SECRET)
    body = dict(zip((str(i) for i in range(len(VALUES))), _fakes(values, VALUES), strict=True))
    data = json.dumps({"interactions": [{"response": {"body": body}}], "metadata": {}}).encode()
    proof.check(data, values)
    assert "ana.moreira" in values.pseudo.replaced  # there was something to look for


def test_public_values_and_placeholders_are_kept() -> None:
    values = Rewriter(SECRET)
    kept = [
        ("us-east-1", "name"),
        ("arn:aws:iam::aws:policy/AdministratorAccess", "name"),
        ("123456789012", "account_id"),  # AWS's documentation account
        ("AKIAIOSFODNN7EXAMPLE", "secret"),  # AWS's documentation key
        ("203.0.113.25", "name"),  # documentation range: identifies nobody
        ("2024-01-02", "name"),
        ("", "name"),
    ]
    assert _fakes(values, kept) == [v for v, _ in kept]
    assert not values.stats  # nothing changed, nothing counted


def test_keep_kind_is_aws_vocabulary_everywhere() -> None:
    values = Rewriter(SECRET)
    assert values.string("Zyxwvut", "name") != "Zyxwvut"  # unknown: a name
    again = Rewriter(SECRET)
    assert again.string("Zyxwvut", "keep") == "Zyxwvut"  # an enum value of the model
    assert again.string("Zyxwvut", "name") == "Zyxwvut"
    assert again.text("status Zyxwvut since noon") == "status Zyxwvut since noon"


def test_tokens_are_numbered_by_first_appearance() -> None:
    values = Rewriter(SECRET, first_token=7)
    assert values.string("real-a", "token") == "pagetape-token-0007"
    assert values.string("real-b", "token") == "pagetape-token-0008"
    assert values.string("real-a", "token") == "pagetape-token-0007"
    padded = values.token("real-c", min_length=30)
    assert len(padded) == 30 and padded.startswith("pagetape-token-0009-")
    assert values.string("pagetape-token-0042", "token") == "pagetape-token-0042"  # a fake
    assert Rewriter(SECRET, disabled=["token"]).string("real-a", "token") == "real-a"


def test_secret_keeps_a_known_credential_form_and_replaces_the_rest() -> None:
    values = Rewriter(SECRET)
    key = values.secret("AKIA2OGYBAH6QZ4EXMPL")
    assert key.startswith("AKIAPAGETAPE") and len(key) == 20
    other = values.secret("hunter2-password")
    assert re.fullmatch(r"pagetape-secret-[a-f][0-9a-f]{11}", other)
    assert values.rule_of["hunter2-password"] == "secret_value"
    assert values.secret(other) == other  # its own fake stays
    assert Rewriter(SECRET, disabled=["secret_value"]).secret("hunter2-password") == (
        "hunter2-password"
    )


def test_free_text_keeps_public_words_and_numbers_and_fakes_the_rest() -> None:
    values = Rewriter(SECRET)
    out = values.text("The job failed with 3 errors at 2024-01-02 for customer Zyxwvut")
    assert out.startswith("The job failed with 3 errors at 2024-01-02 for customer ")
    fake = out.rsplit(" ", 1)[1]
    assert fake != "Zyxwvut" and len(fake) == len("Zyxwvut")
    assert values.string("Zyxwvut", "name") == fake  # the same fake as the name elsewhere
    assert values.text("password=hunter2 ok").startswith("password=pagetape-secret-")


def test_keys_are_schema_unless_a_detector_finds_something() -> None:
    values = Rewriter(SECRET)
    assert values.key("crm_url") == "crm_url"
    assert values.string("crm_url", "name") == "crm_url"  # a key the code reads stays everywhere
    key = values.key("owner ana@globex.com")
    assert key.startswith("owner ") and key.endswith(".example")


def test_schema_text_gets_learnt_names_on_the_second_pass() -> None:
    values = Rewriter(SECRET)
    fake = values.string("Zyxwvut-corp", "name")  # learnt on the first pass
    assert values.schema("team:Zyxwvut-corp") == "team:Zyxwvut-corp"
    values.learning = False
    assert values.schema("team:Zyxwvut-corp") == f"team:{fake}"
    assert values.schema("team") == "team"


def test_document_keeps_structure_and_aws_words() -> None:
    values = Rewriter(SECRET)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": "arn:aws:s3:::acme-bucket/*",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Condition": {"StringEquals": {"aws:username": "ana.moreira"}},
            }
        ],
    }
    out = values.document(policy)
    statement = out["Statement"][0]
    assert out["Version"] == "2012-10-17" and statement["Effect"] == "Allow"
    assert statement["Action"] == ["s3:GetObject"]
    assert statement["Resource"] == f"arn:aws:s3:::{values.string('acme-bucket', 'name')}/*"
    account = values.string(ACCOUNT, "account_id")
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert list(statement["Condition"]["StringEquals"]) == ["aws:username"]
    assert statement["Condition"]["StringEquals"]["aws:username"] != "ana.moreira"


def test_data_plane_values_fake_every_word() -> None:
    values = Rewriter(SECRET)
    out = values.data("hello world 42 ana@globex.com")
    words = out.split(" ")
    assert words[0] != "hello" and words[1] != "world" and words[2] == "42"
    assert words[3].endswith(".example")


def test_fakes_map_to_themselves_and_count_nothing() -> None:
    first = Rewriter(SECRET)
    fakes = _fakes(first, VALUES)
    # Sanitizing again, with the cassette's list of fakes (any secret): nothing changes.
    again = Rewriter(b"another-secret", known_fakes=first.pseudo.fakes())
    assert _fakes(again, [(f, k) for f, (_, k) in zip(fakes, VALUES, strict=True)]) == fakes
    assert not again.stats


def test_a_real_value_in_a_hand_edited_list_of_fakes_is_not_trusted() -> None:
    values = Rewriter(SECRET, known_fakes=[ACCOUNT, "ana.moreira@globex.com"])
    assert values.string(ACCOUNT, "account_id") != ACCOUNT
    assert values.string("ana.moreira@globex.com", "name") != "ana.moreira@globex.com"


def test_stats_count_changes_by_rule() -> None:
    values = Rewriter(SECRET)
    values.string("acme-prod-logs", "name")
    values.string("ana.moreira@globex.com", "name")
    values.string("us-east-1", "name")
    assert values.stats["name"] == 1 and values.stats["email"] == 1
    assert sum(values.stats.values()) == 2


def test_identifying_leaves_out_common_words_and_short_numbers() -> None:
    assert identifying("acme-prod-logs") and identifying("db01") and identifying(ACCOUNT)
    assert not identifying("list") and not identifying("20240102") and not identifying("ab")


def test_unknown_rule_name_is_refused() -> None:
    with pytest.raises(UsageError, match="ip_adress"):
        Rewriter(SECRET, disabled=["ip_adress"])


def test_account_id_switched_off_keeps_account_ids_everywhere() -> None:
    values = Rewriter(SECRET, disabled=["account_id"])
    arn = values.string(f"arn:aws:iam::{ACCOUNT}:role/deployer", "name")
    assert arn.split(":")[4] == ACCOUNT
    assert values.string(ACCOUNT, "account_id") == ACCOUNT


def test_a_pre_scrubbed_address_label_passes_through() -> None:
    """A fixture author's own redaction (ip-00-00-00-00) identifies nobody and stays; a label
    with a leading zero still embeds its address, which is faked; no label is a traceback."""
    values = Rewriter(SECRET)
    scrubbed = "ip-00-00-00-00.eu-west-1.compute.internal"
    assert values.string(scrubbed, "name") == scrubbed
    faked = values.string("ip-10-0-0-01.ec2.internal", "name")
    assert faked == values.string("ip-10-0-0-1.ec2.internal", "name") != "ip-10-0-0-1.ec2.internal"
    assert values.string("ip-999-0-0-1", "name") != "ip-999-0-0-1"  # no address: a name


@pytest.mark.parametrize(
    "written, plain",
    [("10.0.0.01", "10.0.0.1"), ("010.000.000.001", "10.0.0.1"), ("8.8.8.08", "8.8.8.8"),
     ("192.168.001.010/24", "192.168.1.10/24")],
)  # fmt: skip
def test_an_address_with_leading_zeros_is_an_address(written: str, plain: str) -> None:
    """Zero-padded octets are how some tools print addresses: detected and faked as the
    address they pad, in free text too; pre-scrubbed zeros stay."""
    values = Rewriter(SECRET)
    assert detect.fullmatch(written) == "ip_address"
    assert values.string(written, "free_text") == values.string(plain, "free_text") != plain
    assert values.string(f"host at {written} ok", "free_text") == (
        f"host at {values.string(plain, 'free_text')} ok"
    )
    for scrubbed in ("0.0.0.0", "000.000.000.000", "ip-00-00-00-00.eu-west-1.compute.internal"):
        assert values.string(scrubbed, "free_text") == scrubbed

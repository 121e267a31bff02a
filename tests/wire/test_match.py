"""Role-matched comparison: a recorded request whose values the sanitizer replaced matches the
test's real values in those places, one real value per fake, and nothing else is loosened."""

from __future__ import annotations

from pagetape.cassette.store import Request
from pagetape.wire import match

JSON = {"content-type": "application/x-amz-json-1.1"}


def _json(body: dict[str, object], path: str = "/") -> match.RequestView:
    return match.view(Request(method="POST", path=path, headers=JSON, body=body))


def test_the_view_flattens_path_query_and_body_by_location() -> None:
    request = Request(
        method="get",
        path="/audience-generation-job/abc%2Fdef",
        query=[("maxResults", "5"), ("tag", "a"), ("tag", "b")],
        headers={},
        body=None,
    )
    view = match.view(request)
    assert view.method == "GET"
    assert view.values == {
        "path.1": "audience-generation-job",
        "path.2": "abc/def",
        "query.maxResults": "5",
        "query.tag": "a",
        "query.tag#2": "b",
    }


def test_nested_json_members_have_their_own_locations() -> None:
    view = _json({"Filters": [{"Name": "tag:team", "Values": ["a"]}], "Empty": {}})
    assert view.values["body.Filters[0].Name"] == "tag:team"
    assert view.values["body.Filters[0].Values[0]"] == "a"
    assert view.values["body.Empty"] == {}


def test_form_fields_are_locations_too() -> None:
    request = Request(
        method="POST",
        path="/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body="Action=DescribeInstances&Filter.1.Name=tag%3Ateam",
    )
    assert match.view(request).values["form.Filter.1.Name"] == "tag:team"


def test_dropped_members_are_not_compared() -> None:
    request = Request(method="POST", path="/", headers=JSON, body={"maxResults": 5, "x": 1})
    assert "body.maxResults" not in match.view(request, ["maxResults"]).values


def test_marks_name_what_the_sanitizer_changed_but_not_tokens() -> None:
    raw = _json({"Name": "globex-prod", "nextToken": "real-token", "Max": 5})
    clean = _json({"Name": "fake-abcd1", "nextToken": "pagetape-token-0001", "Max": 5})
    is_token = lambda v: str(v).startswith("pagetape-token-")  # noqa: E731
    assert match.marks(raw, clean, is_token) == ["body.Name"]


def test_a_sanitized_value_matches_any_real_value_once_bound() -> None:
    recorded = _json({"Name": "fake-abcd1", "Max": 5})
    first = match.compare(recorded, ["body.Name"], _json({"Name": "globex-prod", "Max": 5}), {})
    assert first.matches and first.bindings == {"fake-abcd1": "globex-prod"}
    # The same fake later asked with another real value: a miss that says why.
    again = match.compare(
        recorded, ["body.Name"], _json({"Name": "initech-prod", "Max": 5}), first.bindings
    )
    assert not again.matches
    assert "already used 'globex-prod'" in again.differences[0]


def test_an_unsanitized_value_must_be_equal() -> None:
    recorded = _json({"Name": "fake-abcd1", "Max": 5})
    outcome = match.compare(recorded, ["body.Name"], _json({"Name": "x", "Max": 6}), {})
    assert not outcome.matches
    assert outcome.differences == ["body.Max: asked 6, recorded 5"]


def test_an_absent_member_is_a_difference_either_way() -> None:
    recorded = _json({"Max": 5})
    outcome = match.compare(recorded, [], _json({"Max": 5, "Prefix": "a"}), {})
    assert outcome.differences == ["body.Prefix: asked 'a', recorded (absent)"]
    outcome = match.compare(_json({"Max": 5, "Prefix": "a"}), [], _json({"Max": 5}), {})
    assert outcome.differences == ["body.Prefix: asked (absent), recorded 'a'"]


def test_the_method_must_agree() -> None:
    get = match.view(Request(method="GET", path="/x", headers={}, body=None))
    post = match.view(Request(method="POST", path="/x", headers={}, body=None))
    assert match.compare(get, [], post, {}).differences == ["method: asked POST, recorded GET"]

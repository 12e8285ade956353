"""The shared audit key=value parser: value shapes both auditd lines and auoms messages use."""

import time

from triage.ingest.auditd_pairs import audit_pairs


def test_quoted_bare_and_nested_values() -> None:
    body = (
        'pid=9 exe="/usr/bin/ssh -x" msg=\'op=login acct="root" res=failed\' '
        "proctitle=/usr/bin/java -Dkey=value -jar app.jar containerid="
    )
    pairs = {pair.key: (pair.value, pair.quote) for pair in audit_pairs(body)}
    assert pairs["pid"] == ("9", "")
    assert pairs["exe"] == ("/usr/bin/ssh -x", '"')
    assert pairs["msg"] == ('op=login acct="root" res=failed', "'")
    # A bare value runs to the next " key=", so an unquoted command line keeps its spaces.
    assert pairs["proctitle"] == ("/usr/bin/java -Dkey=value -jar app.jar", "")
    assert pairs["containerid"] == ("", "")
    inner = {pair.key: pair.value for pair in audit_pairs(pairs["msg"][0])}
    assert inner == {"op": "login", "acct": "root", "res": "failed"}


def test_quoted_value_may_hold_what_looks_like_a_key() -> None:
    (pair,) = audit_pairs('cmdline="bash -c x=1 y=2"')
    assert (pair.key, pair.value) == ("cmdline", "bash -c x=1 y=2")


def test_unclosed_quote_is_kept_as_a_bare_value() -> None:
    pairs = audit_pairs('a="open b=2')
    assert [(p.key, p.value) for p in pairs] == [("a", '"open'), ("b", "2")]


def test_start_offset_skips_the_header() -> None:
    text = "type=X audit(1.0:1): a=b"
    assert [(p.key, p.value) for p in audit_pairs(text, start=text.index("a="))] == [("a", "b")]


def test_hostile_lines_take_linear_time() -> None:
    # The old lazy-match regex with a `\s+key=` lookahead took about 90 s on the first.
    hostile = [
        "a=b" + " " * 200_000 + "x",
        "a=" + " b" * 100_000,
        'a="' + ' x="' * 50_000,
        "a=b " + "c.d.e " * 40_000,
    ]
    started = time.perf_counter()
    results = [audit_pairs(text) for text in hostile]
    assert time.perf_counter() - started < 2
    assert [(p.key, p.value) for p in results[0]] == [("a", "b" + " " * 200_000 + "x")]
    assert [(p.key, p.value) for p in results[1]] == [("a", ("b " * 100_000).strip())]
    assert len(results[2]) == 25_001 and results[2][1] == ("x", " x=", '"')
    assert results[3][0].value == ("b " + "c.d.e " * 40_000).strip()

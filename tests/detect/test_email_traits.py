"""Brand-independent phishing traits: senders, envelopes, replies, links and bodies."""

from pathlib import Path

from triage.detect.email import EmailPhishingDetector
from triage.ingest import load_incident
from triage.ingest.limits import Limits
from triage.models.base import severity_rank

LEGIT = """\
From: Example Weekly <news@weekly.example.org>
To: reader@corp.example.com
Subject: This week in storage: five new articles
List-Unsubscribe: <https://weekly.example.org/unsubscribe>
Return-Path: <bounce@weekly.example.org>
Content-Type: text/plain; charset=utf-8

Hello Jane,

Our editors picked five articles for you this week.
Read them at https://weekly.example.org/issues/42 and manage your subscription at
https://weekly.example.org/account.
"""

PHISH = """\
From: Account Security Team <secure.helpdesk@gmail.com>
To: j.doe@corp.example.com
Reply-To: verify-desk@outlook.com
Return-Path: <root@vps-1cpu-node7>
Subject: Urgent: your account will be suspended
Content-Type: text/html; charset=utf-8

<html><body><p>Dear j.doe,</p>
<p>Unusual sign-in activity was found. Verify your password immediately or your account will
be suspended within 24 hours.</p>
<a href="https://account-check-portal.firebaseapp.com/login">Verify now</a>
<form action="https://collect.example.top/p" method="post"><input name="pw"></form>
</body></html>
"""

NO_DOMAIN = """\
From: Delivery Service <no-reply@parcelnotice>
To: someone@corp.example.com
Subject: Your parcel: customs fee due, pay immediately
Content-Type: text/plain; charset=utf-8

Your shipment on hold. Pay the customs fee immediately: https://pay-fee.example.click/p
"""


def detections(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "m.eml"
    path.write_text(text, encoding="utf-8")
    incident = load_incident([str(path)], Limits())
    return {d.rule_id.split(":", 1)[1]: d.level for d in EmailPhishingDetector().detect(incident)}


def test_an_ordinary_newsletter_shows_no_phishing_trait(tmp_path: Path) -> None:
    found = detections(tmp_path, LEGIT)
    assert all(severity_rank(level) < severity_rank("medium") for level in found.values()), found


def test_a_credential_phish_shows_its_traits(tmp_path: Path) -> None:
    found = detections(tmp_path, PHISH)
    for key in (
        "free-mail-organisation",
        "script-envelope",
        "reply-to-diversion",
        "risky-link-host",
        "credential-request-off-domain",
        "html-form",
        "greets-mailbox-name",
    ):
        assert key in found, (key, found)
    assert found["html-form"] == "high"
    assert found["risky-link-host"] in {"high", "critical"}


def test_a_sender_without_a_real_domain(tmp_path: Path) -> None:
    found = detections(tmp_path, NO_DOMAIN)
    assert found.get("sender-not-a-domain") == "medium"
    assert "risky-link-host" in found


def test_hidden_characters_inside_words(tmp_path: Path) -> None:
    zero_width = "\u200b"
    text = LEGIT.replace("five new articles", zero_width.join("password") + " reset")
    found = detections(tmp_path, text)
    assert found.get("hidden-characters") == "medium"


def test_a_header_of_nested_groups_does_not_crash(tmp_path: Path) -> None:
    text = LEGIT.replace("To: reader@corp.example.com", "To: " + "g:" * 2000 + ";")
    assert isinstance(detections(tmp_path, text), dict)


def test_a_long_whitespace_run_after_a_greeting_stays_linear(tmp_path: Path) -> None:
    import time

    text = NO_DOMAIN.replace("To: someone@corp.example.com", "To: some.one@corp.example.com")
    text += ("dear" + " " * 16_000 + "x\n") * 5
    started = time.monotonic()
    detections(tmp_path, text)
    assert time.monotonic() - started < 2.0


def test_first_name_mailboxes_are_not_greeted_by_address(tmp_path: Path) -> None:
    text = LEGIT.replace("To: reader@corp.example.com", "To: jane@corp.example.com")
    assert "greets-mailbox-name" not in detections(tmp_path, text)

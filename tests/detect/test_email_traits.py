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


NEWSLETTER_ARTICLES = """\
From: Tech Weekly <news@techweekly.example.org>
To: reader@corp.example.com
Subject: This week: patching your media player
Content-Type: text/plain; charset=utf-8

Tired of junk piling up in your mailbox? Our filter guide is below.
{filler}
Tip: the FTP server should not accept a password sent in clear text.
"""


def test_lure_words_pages_apart_in_a_newsletter_ask_nothing(tmp_path: Path) -> None:
    text = NEWSLETTER_ARTICLES.format(filler="An article about patches and updates. " * 60)
    assert "lure-language" not in detections(tmp_path, text)


def test_lure_words_in_one_paragraph_are_a_request(tmp_path: Path) -> None:
    text = NEWSLETTER_ARTICLES.format(filler="").replace(
        "Tip: the FTP server", "Confirm your password now or the FTP server"
    )
    assert "lure-language" in detections(tmp_path, text)


def test_many_repeats_of_one_lure_word_stay_linear(tmp_path: Path) -> None:
    import time

    text = NEWSLETTER_ARTICLES.format(filler="password " * 2000)
    started = time.monotonic()
    detections(tmp_path, text)
    assert time.monotonic() - started < 2.0


QUOTA_NOTICE = """\
From: Quota Warning <admin@agency.example.org>
To: j.doe@corp.example.com
Subject: j.doe@corp.example.com has reached the quota limit
Content-Type: text/plain; charset=utf-8

j.doe@corp.example.com, your mailbox is almost full. Update now to keep receiving mail:
https://mail.storage-check.example.net/quota?u=j.doe@corp.example.com
"""


def test_a_message_that_opens_with_the_mailbox_address(tmp_path: Path) -> None:
    found = detections(tmp_path, QUOTA_NOTICE)
    assert found.get("greets-mailbox-name") == "medium", found
    assert found.get("several-traits") == "high", found


def test_a_footer_naming_the_subscriber_is_not_a_greeting(tmp_path: Path) -> None:
    text = LEGIT.replace("reader@corp.example.com", "j.doe@corp.example.com") + (
        "\nThis message was sent to: j.doe@corp.example.com\n"
    )
    assert "greets-mailbox-name" not in detections(tmp_path, text)


def test_an_advert_linked_by_ip_address_in_a_message_that_asks_nothing(tmp_path: Path) -> None:
    # No list headers: an older mailing that the bulk-mail allowance does not cover.
    text = LEGIT.replace("List-Unsubscribe: <https://weekly.example.org/unsubscribe>\n", "")
    text += "\nSponsor: notebooks on offer, http://192.0.2.15/go/weekly/4524.html\n"
    assert detections(tmp_path, text).get("ip-link") == "low"


def test_a_product_name_in_link_text_is_not_a_destination(tmp_path: Path) -> None:
    html = LEGIT.replace("Content-Type: text/plain", "Content-Type: text/html") + (
        '<p><a href="https://docs.weekly.example.org/odpnet">Data Provider for .NET (ODP.NET) '
        'Beta</a></p><p><a href="https://login.other.example.net/">www.weekly.example.com</a></p>'
    )
    found = detections(tmp_path, html)
    assert "anchor-mismatch" in found, found  # a host written as the whole link text counts
    text = html.split('<p><a href="https://login')[0]
    assert "anchor-mismatch" not in detections(tmp_path, text)

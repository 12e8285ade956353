"""Claims to be a commonly impersonated organisation, and the traits that do not need one:
sender authentication failures, links pre-filled with the recipient's address, senders on a
rented server's host name, and lures in more languages."""

import base64
import time
from pathlib import Path

import pytest

from triage.detect.email import EmailPhishingDetector
from triage.detect.email_lexicon import fold, impersonated_brands
from triage.ingest import load_incident
from triage.ingest.limits import Limits
from triage.models.base import severity_rank


def detections(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "m.eml"
    path.write_text(text, encoding="utf-8")
    incident = load_incident([str(path)], Limits())
    return {d.rule_id.split(":", 1)[1]: d.level for d in EmailPhishingDetector().detect(incident)}


def message(
    *, sender: str, subject: str, body: str, to: str = "reader@corp.example.com", extra: str = ""
) -> str:
    return (
        f"From: {sender}\nTo: {to}\nSubject: {subject}\n{extra}"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"{body}\n"
    )


def test_the_catalogue_loads_and_every_brand_has_a_domain() -> None:
    brands = impersonated_brands()
    assert len(brands) >= 60
    assert all(b.domains and (b.names or b.sender_names) for b in brands)
    assert len({b.key for b in brands}) == len(brands)


def test_folding_reads_names_as_a_reader_sees_them() -> None:
    assert fold("Itaú Crédit") == "itau credit"
    assert fold("Netflıx") == "netflix"  # dotless i
    assert fold("D\u200bHL\u00ad™") == "dhl "  # zero-width space, soft hyphen, trade mark
    assert fold("PаyPal") == "paypal"  # Cyrillic a


def test_a_broken_catalogue_entry_is_skipped(tmp_path: Path) -> None:
    catalogue = tmp_path / "brands.yaml"
    catalogue.write_text(
        "brands:\n  broken: [foo.com]\n  nodomain: {names: [x]}\n"
        "  fine: {names: [fine co], domains: [fine.example]}\n",
        encoding="utf-8",
    )
    assert [b.key for b in impersonated_brands(catalogue)] == ["fine"]


@pytest.mark.parametrize(
    "sender",
    [
        '"DHL Express" <tracking@parcel-notices.example.net>',
        "UPS, <info@ml.newsletters.example.fr>",  # unquoted comma: one name to a reader
        '"@Itau digital - [Ultimo Aviso]" <aviso@mailer.example.online>',
        '"Aviso:Nubank" <contato@shop.example.com.br>',
        '"DHL-Zustellung" <paket@versand.example.net>',
        '"D.H.L Express" <paket@versand.example.net>',
        '"D\u200bHL" <paket@versand.example.net>',
        '"UPS Support" <help@parcel.example.net>',
        '"DHL Express" <noreply@dhl.delivery>',  # the brand's name on a generic TLD is anyone's
    ],
)
def test_a_sender_named_after_an_organisation_it_is_not(tmp_path: Path, sender: str) -> None:
    found = detections(
        tmp_path,
        message(
            sender=sender,
            subject="Your delivery is on hold",
            body="Pay the customs fee immediately: https://pay.example.click/fee",
        ),
    )
    assert severity_rank(found["brand-impersonation"]) >= severity_rank("high"), found


def test_the_organisation_itself_is_not_an_impersonation(tmp_path: Path) -> None:
    for sender in (
        "DHL <noreply@dhl.com>",
        "DHL Paket <info@dhl.de>",
        "Detran <a@detran.sp.gov.br>",
        "Yahoo <no-reply@yahoo.com>",  # a catalogued organisation's own free-mail domain
        "Citibank <alerts@citibank.com.sg>",  # its name under a country's suffix
    ):
        found = detections(
            tmp_path,
            message(
                sender=sender,
                subject="Your parcel",
                body="Track it at https://www.dhl.com/track and pay the customs fee.",
            ),
        )
        assert "brand-impersonation" not in found, (sender, found)


def test_ordinary_words_count_only_as_the_sender_name(tmp_path: Path) -> None:
    # "ups" and "chase" in prose are not claims to be UPS or Chase.
    found = detections(
        tmp_path,
        message(
            sender="Gardening Weekly <news@gardening.example.org>",
            subject="Ups and downs of the season; chase away the aphids",
            body="Read more at https://gardening.example.org/issue/7",
        ),
    )
    assert "brand-impersonation" not in found, found


def test_a_newsletter_that_mentions_a_brand_is_not_an_impersonation(tmp_path: Path) -> None:
    found = detections(
        tmp_path,
        message(
            sender="Tech Digest <digest@techdigest.example.com>",
            subject="This week: new Netflix and Dropbox features",
            body="Netflix ships a new player; Dropbox adds folders. "
            "Full story: https://news.example.net/story/1",
        ),
    )
    assert severity_rank(found.get("brand-impersonation", "informational")) <= severity_rank("low")


def test_a_failed_authentication_is_weak_alone_and_medium_with_a_lure(tmp_path: Path) -> None:
    auth = (
        "Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=x.example.net; "
        "dkim=none; dmarc=fail header.from=x.example.net\n"
    )
    quiet = detections(
        tmp_path,
        message(sender="Ann <ann@x.example.net>", subject="Lunch", body="See you at noon.",
                extra=auth),
    )  # fmt: skip
    lured = detections(
        tmp_path,
        message(sender="Ann <ann@x.example.net>", subject="Invoice overdue",
                body="Your payment is overdue, pay immediately.", extra=auth),
    )  # fmt: skip
    assert quiet.get("auth-failure") == "low"
    assert lured.get("auth-failure") == "medium"


def test_a_link_prefilled_with_the_recipient_address(tmp_path: Path) -> None:
    to = "j.doe@corp.example.com"
    encoded = base64.b64encode(to.encode()).decode()
    for url in (
        f"https://mail.example.best/login.html?look={to}",
        f"https://mail.example.best/login.html?u={encoded}",
    ):
        found = detections(
            tmp_path,
            message(
                sender="Quota Warning <admin@agency.example.id>",
                subject=f"{to} has reached the quota limit",
                body=f"Your mailbox is almost full. Verify your account now: {url}",
                to=to,
            ),
        )
        assert found.get("recipient-in-link") == "medium", (url, found)


def test_an_unsubscribe_link_may_name_the_subscriber(tmp_path: Path) -> None:
    to = "j.doe@corp.example.com"
    found = detections(
        tmp_path,
        message(
            sender="News <news@weekly.example.org>",
            subject="This week",
            body=f"Unsubscribe: https://weekly.example.org/unsubscribe?email={to}",
            to=to,
        ),
    )
    assert "recipient-in-link" not in found


def test_a_sender_on_a_rented_servers_host_name(tmp_path: Path) -> None:
    found = detections(
        tmp_path,
        message(
            sender="Legal Department <notices@vps-4a9f03.vps.ovh.ca>",
            subject="Notificación judicial: atención requerida",
            body="Para evitar cualquier penalización, lea el archivo adjunto inmediatamente.",
            extra="Return-Path: <root@vps-e1095755.vps.ovh.net>\n",
        ),
    )
    assert found.get("hosting-sender") == "medium", found
    quiet = detections(
        tmp_path,
        message(
            sender="Cron Daemon <root@backup.corp.example.com>",
            subject="Cron <root@backup> /usr/local/bin/rotate",
            body="rotated 3 files",
        ),
    )
    assert "hosting-sender" not in quiet


def test_a_sender_domain_with_characters_no_domain_holds(tmp_path: Path) -> None:
    found = detections(
        tmp_path,
        message(sender="NOTICE <detran@%avisos.com>", subject="x", body="y"),
    )
    assert found.get("sender-not-a-domain") == "medium"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Je pakket wacht", "Er zijn douanerechten niet betaald. Nu betalen via de link."),
        ("Il tuo account è bloccato", "Verifica subito il tuo account: pagamento in sospeso."),
        ("Bloqueio de conta", "Evite o bloqueio: regularize sua conta, acesse agora."),
    ],
)
def test_lures_in_more_languages(tmp_path: Path, subject: str, body: str) -> None:
    found = detections(
        tmp_path,
        message(sender="X <x@sender.example.com>", subject=subject, body=body),
    )
    assert "lure-language" in found, found


def test_a_name_that_is_another_address_is_not_the_sender(tmp_path: Path) -> None:
    found = detections(
        tmp_path,
        message(
            sender="noreply@dhl.com <evil@parcel-center.example.net>",
            subject="Your parcel",
            body="Pay the customs fee immediately: https://pay.example.click/fee",
        ),
    )
    assert severity_rank(found["display-name-address"]) >= severity_rank("medium"), found


@pytest.mark.parametrize(
    "sender",
    [
        "Chase Smith <chase.smith@partner.example.com>",
        "Orange County Library <notices@ocl.example.org>",
        "UK Visa Application Centre <info@vac.example.com>",
        "The UPS Store #1234 <store1234@theupsstore.example.com>",
        "Ann Norton <ann@norton-family.example.net>",
        '"john.doe@yahoo.com" <john.doe@yahoo.com>',
    ],
)
def test_names_that_only_resemble_a_brand_are_not_claims(tmp_path: Path, sender: str) -> None:
    found = detections(
        tmp_path,
        message(sender=sender, subject="Invoice overdue", body="Your payment is due; thanks."),
    )
    assert "brand-impersonation" not in found, found


def test_a_list_post_that_fails_spf_is_not_an_authentication_finding(tmp_path: Path) -> None:
    auth = (
        "Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=x.example.net; "
        "dkim=none; dmarc=fail header.from=x.example.net\nList-Id: <dev.lists.example.org>\n"
    )
    found = detections(
        tmp_path,
        message(sender="Ann <ann@x.example.net>", subject="[dev] login bug in the build",
                body="Please verify the build and confirm your sign-off.", extra=auth),
    )  # fmt: skip
    assert found.get("auth-failure") == "informational", found
    assert "several-traits" not in found


def test_a_forwarded_note_that_mentions_a_carrier_is_not_a_spoof(tmp_path: Path) -> None:
    auth = "Authentication-Results: mx.example.com; spf=softfail smtp.mailfrom=x.example.net\n"
    found = detections(
        tmp_path,
        message(sender="Ann <ann@x.example.net>", subject="Fwd: tracking",
                body="FYI the DHL tracking number is 123456.", extra=auth),
    )  # fmt: skip
    assert "auth-failure-brand" not in found, found


def test_a_server_notice_is_one_family_of_traits_not_several(tmp_path: Path) -> None:
    found = detections(
        tmp_path,
        message(
            sender="root <root@vps-1a2b3c4d.vps.ovh.net>",
            subject="Logwatch: failed password attempts; certificate expires, action required",
            body="Failed password for invalid user admin; verify your configuration.",
            extra="Return-Path: <root@vps-1a2b3c4d.vps.ovh.net>\n",
        ),
    )
    assert "several-traits" not in found, found


def test_a_reset_link_on_the_senders_own_domain_may_carry_the_address(tmp_path: Path) -> None:
    to = "ann.lee@corp.example.com"
    found = detections(
        tmp_path,
        message(
            sender="Service <no-reply@saas.example.com>",
            subject="Reset your password",
            body=f"Sign in again: https://app.saas.example.com/reset?t=1&email={to}",
            to=to,
        ),
    )
    assert "recipient-in-link" not in found


ENCODINGS = {
    "double percent": lambda a: a.replace("@", "%2540"),
    "base64 after a prefix": lambda a: base64.b64encode(("e=" + a).encode()).decode(),
    "hex": lambda a: a.encode().hex(),
    "base64 upper case": lambda a: base64.b64encode(a.upper().encode()).decode(),
}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_the_recipient_address_is_found_however_it_is_encoded(
    tmp_path: Path, encoding: str
) -> None:
    to = "j.doe@corp.example.com"
    url = f"https://mail.example.best/x/subscription?u={ENCODINGS[encoding](to)}"
    found = detections(
        tmp_path,
        message(
            sender="Mail Admin <admin@agency.example.id>",
            subject="Mailbox quota reached",
            body=f"Verify your account now: {url}",
            to=to,
        ),
    )
    assert found.get("recipient-in-link") == "medium", found


def test_a_dotless_i_in_a_brand_name_does_not_crash(tmp_path: Path) -> None:
    found = detections(
        tmp_path,
        message(sender='"Vısa Security" <alert@notify-center.example.com>',
                subject="Your Netflıx account", body="Mıcrosoft 365 sign-in required."),
    )  # fmt: skip
    assert "brand-impersonation" in found


def test_a_huge_display_name_stays_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    detections(
        tmp_path,
        message(sender='"' + "Support " * 120_000 + '" <a@b.example.com>', subject="x", body="y"),
    )
    assert time.perf_counter() - start < 5


def test_a_servers_own_notice_is_not_raised_by_its_words(tmp_path: Path) -> None:
    found = detections(
        tmp_path,
        message(
            sender="root <root@vps-1a2b3c4d.vps.ovh.net>",
            subject="Certificate expires soon: action required",
            body="Renewal failed; verify the configuration immediately.",
            extra="Return-Path: <root@vps-1a2b3c4d.vps.ovh.net>\n",
        ),
    )
    assert found.get("hosting-sender") == "low" and found.get("script-envelope") == "low", found


def test_a_sign_in_link_to_a_known_organisations_own_site_is_not_off_domain(
    tmp_path: Path,
) -> None:
    found = detections(
        tmp_path,
        message(
            sender="Ann's Manager <boss@corp.example.com>",
            subject="Invitation: Q4 review",
            body="Sign in to join the meeting: https://teams.microsoft.com/l/meetup-join/19",
        ),
    )
    assert "credential-request-off-domain" not in found, found


def test_the_brands_own_site_under_a_country_suffix_is_not_a_lookalike() -> None:
    detector = EmailPhishingDetector()
    assert detector.is_lookalike("www.amazon.fr") is None
    assert detector.is_lookalike("amazon-account-verify.example.top") is not None

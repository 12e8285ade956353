"""Claims to be a commonly impersonated organisation, and the traits that do not need one:
sender authentication failures, links pre-filled with the recipient's address, senders on a
rented server's host name, and lures in more languages."""

import base64
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
    assert all(b.domains and b.names for b in brands)
    assert len({b.key for b in brands}) == len(brands)


def test_accents_fold_for_matching() -> None:
    assert fold("Itaú Crédit") == "itau credit"


@pytest.mark.parametrize(
    "sender",
    [
        '"DHL Express" <tracking@parcel-notices.example.net>',
        "UPS, <info@ml.newsletters.example.fr>",  # unquoted comma: one name to a reader
        '"@Itau digital - [Ultimo Aviso]" <aviso@mailer.example.online>',
        '"Aviso:Nubank" <contato@shop.example.com.br>',
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

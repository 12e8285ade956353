"""E-mail content phishing detector: composed messages in several phishing and legitimate
styles, the bundled samples, and the real e-mails when /work/shared/realdata is present."""

from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REALDATA, SAMPLES, case_artifacts, requires_realdata
from triage.detect.email import EmailPhishingDetector
from triage.ingest import Limits, load_incident
from triage.models import Detection
from triage.models.base import severity_rank


@cache
def detector() -> EmailPhishingDetector:
    return EmailPhishingDetector()


def _message(
    *,
    sender: str,
    subject: str,
    body: str,
    html: str = "",
    to: str = "ana@halvorsen.example",
    auth: str = "spf=pass smtp.mailfrom={d}; dkim=pass header.d={d}; dmarc=pass header.from={d}",
    extra: str = "",
    attachment: tuple[str, str, bytes] | None = None,
) -> str:
    domain = sender.rpartition("@")[2].strip(">")
    parts = [("text/plain", body)] + ([("text/html", html)] if html else [])
    lines = [
        f"Authentication-Results: mx.halvorsen.example; {auth.format(d=domain)}",
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Mon, 02 Mar 2026 09:00:00 +0000",
        *([extra] if extra else []),
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
    ]
    for content_type, text in parts:
        lines += ["--b1", f"Content-Type: {content_type}; charset=utf-8", "", text]
    if attachment:
        import base64

        name, declared, payload = attachment
        lines += [
            "--b1",
            f'Content-Type: {declared}; name="{name}"',
            f'Content-Disposition: attachment; filename="{name}"',
            "Content-Transfer-Encoding: base64",
            "",
            base64.b64encode(payload).decode(),
        ]
    return "\r\n".join([*lines, "--b1--", ""])


def _detect(tmp_path: Path, eml: str) -> list[Detection]:
    path = tmp_path / "message.eml"
    path.write_text(eml, encoding="utf-8")
    return list(detector().detect(load_incident([str(path)], Limits())))


def _top(found: list[Detection]) -> str:
    return max((d.level for d in found), key=severity_rank, default="informational")


def _by_rule(found: list[Detection]) -> dict[str, Detection]:
    return {d.rule_id.split(":", 1)[1]: d for d in found}


# --- phishing styles -------------------------------------------------------------------------


def test_brand_sender_name_with_free_mail_reply_to_is_high(tmp_path: Path) -> None:
    found = _by_rule(_detect(tmp_path, _message(
        sender='"PayPal Service" <notice@mail-center-17.example.net>',
        subject="Your account has been suspended",
        body="Please verify your account within 24 hours: https://paypal-secure-account.net/x",
        extra="Reply-To: paypal.team.help@gmail.com",
    )))  # fmt: skip
    claim = found["brand-impersonation"]
    assert claim.level == "high"
    assert claim.matched_fields["brand"] == "paypal"
    assert "gmail.com" in claim.matched_fields["off_brand_contacts"]
    assert {"T1656", "T1598"} <= set(claim.techniques)
    assert {r.locator for r in claim.records} >= {"header:From#1", "header:Reply-To#1"}
    assert found["lookalike-link"].level == "critical"  # lookalike link + credential words


def test_anchor_showing_the_brand_over_another_domain(tmp_path: Path) -> None:
    html = (
        "<p>Dear customer, unusual activity was detected. Confirm your password now:</p>"
        '<a href="https://account-review.tk-secure.example/session">https://www.paypal.com/signin</a>'
    )
    found = _by_rule(_detect(tmp_path, _message(
        sender="service@updates-center.example", subject="Security alert", body="", html=html,
    )))  # fmt: skip
    mismatch = found["anchor-mismatch"]
    assert severity_rank(mismatch.level) >= severity_rank("high")
    assert "paypal.com" in mismatch.matched_fields["links"]
    assert "T1566.002" in mismatch.techniques
    assert mismatch.records[0].locator == "part:2"


def test_ip_literal_link_with_spanish_lure(tmp_path: Path) -> None:
    found = _by_rule(_detect(tmp_path, _message(
        sender="facturas@proveedor-ejemplo.example",
        subject="Factura pendiente - urgente",
        body="Su cuenta será suspendida. Verifique el pago aquí: http://203.0.113.7/pago/login",
    )))  # fmt: skip
    assert found["ip-link"].level == "high"
    assert "es" in found["lure-language"].matched_fields["languages"]
    assert found["lure-language"].level == "low"


def test_german_lure_with_punycode_lookalike_is_critical(tmp_path: Path) -> None:
    found = _by_rule(_detect(tmp_path, _message(
        sender="sicherheit@kundenservice.example",
        subject="Ihr Konto wurde gesperrt",
        body="Bitte bestätigen Sie Ihr Passwort: https://xn--mcrosoft-thh.com/anmeldung",
    )))  # fmt: skip
    assert found["lookalike-link"].level == "critical"
    assert "de" in found["lure-language"].matched_fields["languages"]


def test_pdf_that_is_a_program_and_zip_invoice(tmp_path: Path) -> None:
    disguised = _by_rule(_detect(tmp_path, _message(
        sender="billing@vendor.example", subject="Invoice 4471 overdue",
        body="Payment is overdue, see the attached invoice.",
        attachment=("invoice.pdf", "application/pdf", b"MZ\x90\x00" + b"\x00" * 200),
    )))  # fmt: skip
    assert disguised["disguised-attachment"].level == "high"
    assert disguised["disguised-attachment"].matched_fields["sniffed_type"] == "pe"
    archive = _by_rule(_detect(tmp_path, _message(
        sender="billing@vendor.example", subject="Rechnung", body="Hello, files attached.",
        attachment=("docs.zip", "application/zip", b"PK\x03\x04" + b"\x00" * 100),
    )))  # fmt: skip
    assert archive["archive-attachment"].level == "low"  # an archive alone is weak


def test_docusign_name_from_free_mail_with_french_lure(tmp_path: Path) -> None:
    found = _by_rule(_detect(tmp_path, _message(
        sender='"DocuSign" <signature.docs2026@gmail.com>',
        subject="Document à signer : facture",
        body="Veuillez confirmer votre identifiant pour consulter la facture.",
    )))  # fmt: skip
    assert found["brand-impersonation"].level == "high"
    assert found["brand-impersonation"].matched_fields["claimed_in"] == "sender name"


def test_spoofed_brand_domain_failing_dmarc(tmp_path: Path) -> None:
    found = _by_rule(_detect(tmp_path, _message(
        sender='"Microsoft account team" <account-security-noreply@microsoft.com>',
        subject="Unusual sign-in activity", body="Review your account activity.",
        auth="spf=fail smtp.mailfrom={d}; dkim=none; dmarc=fail header.from={d}",
    )))  # fmt: skip
    assert "brand-impersonation" not in found  # the domain is the brand's …
    assert found["auth-failure-brand"].level == "high"  # … but the brand did not send it
    assert found["auth-failure-brand"].records[0].locator == "header:Authentication-Results#1"


def test_common_word_brands_count_only_as_the_sender_name(tmp_path: Path) -> None:
    prose = _by_rule(_detect(tmp_path, _message(
        sender="orders@orchard-coop.example", subject="Apple harvest invoice",
        body="Your invoice for the apple harvest is ready: https://portal.shop-host.example/inv",
    )))  # fmt: skip
    assert "brand-impersonation" not in prose
    sender = _by_rule(_detect(tmp_path, _message(
        sender='"Apple" <id-review@orchard-coop.example>', subject="Your account is locked",
        body="Verify your password to unlock it: https://portal.shop-host.example/unlock",
    )))  # fmt: skip
    assert sender["brand-impersonation"].level == "high"
    assert sender["brand-impersonation"].matched_fields["brand"] == "apple"


# --- legitimate styles ------------------------------------------------------------------------


LEGITIMATE = {
    "bank notification": _message(
        sender='"Northwind Bank" <alerts@northwindbank.com>',
        subject="Your payment to Fabrikam was sent",
        body="Your account ending 4411 sent a payment of 120.00 EUR. Sign in to review it: "
        "https://online.northwindbank.com/activity . Never share your password.",
    ),
    "github": _message(
        sender='"GitHub" <noreply@github.com>',
        subject="[GitHub] A new SSH key was added to your account",
        body="If you did not add this key, verify your account security and reset your "
        "password: https://github.com/settings/keys",
        html='<p>Review <a href="https://github.com/settings/keys">github.com/settings/keys</a></p>',
    ),
    "mailing list": _message(
        sender='"Python-Dev" <python-dev@python.org>',
        subject="[Python-Dev] Google Summer of Code mentors wanted",
        body="Google is funding students again this year. Details: "
        "https://summerofcode.withgoogle.com and https://wiki.python.org/moin/SummerOfCode",
        extra="List-Id: <python-dev.python.org>",
    ),
    "internal IT": _message(
        sender='"IT Service Desk" <it@halvorsen.example>',
        subject="Microsoft 365 migration this weekend",
        body="On Saturday we move mailboxes to Microsoft 365. On Monday sign in with your usual "
        "password at https://intranet.halvorsen.example/m365 . Questions: it@halvorsen.example",
    ),
    "newsletter click tracking": _message(
        sender='"FieldGear" <news@fieldgear.example>',
        subject="Summer range",
        body="New workwear is in.",
        html='<a href="https://click.esp-mailer.example/c/123">www.fieldgear.example/summer</a>',
    ),
    "microsoft itself": _message(
        sender='"Microsoft account team" <security-noreply@accountprotection.microsoft.com>',
        subject="Microsoft account security info was added",
        body="The following security info was recently added to your account. "
        "If this wasn't you, review it at https://account.live.com/proofs",
    ),
}


@pytest.mark.parametrize("style", sorted(LEGITIMATE))
def test_legitimate_styles_stay_low(tmp_path: Path, style: str) -> None:
    found = _detect(tmp_path, LEGITIMATE[style])
    assert severity_rank(_top(found)) <= severity_rank("low"), [(d.title, d.level) for d in found]


# --- samples and real data --------------------------------------------------------------------


def _case(paths: list[Path]) -> list[Detection]:
    return list(detector().detect(load_incident([str(p) for p in paths], Limits())))


def test_sample_credential_harvest_is_critical() -> None:
    found = _case([SAMPLES / "S01-phish-credential-harvest" / "message.eml"])
    assert _top(found) == "critical"
    assert "lookalike-link" in _by_rule(found)


def test_sample_vendor_newsletter_gets_nothing_above_low() -> None:
    found = _case([SAMPLES / "S10-benign-vendor-newsletter" / "reported_message.eml"])
    assert severity_rank(_top(found)) <= severity_rank("low")


@requires_realdata
@pytest.mark.parametrize(
    ("case", "phishing"), [("DEV-14", True), ("DEV-15", True), ("DEV-16", False)]
)
def test_real_messages(case: str, phishing: bool) -> None:
    found = _case(case_artifacts(REALDATA / case))
    if phishing:
        assert severity_rank(_top(found)) >= severity_rank("high")
    else:
        assert severity_rank(_top(found)) <= severity_rank("low")

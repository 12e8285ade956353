"""Email authentication from header records (built from the sample messages with the stdlib)."""

import email
import email.policy
from pathlib import Path

from tests.conftest import SAMPLES
from triage.enrich.email_auth import analyse_email_headers
from triage.models import Record


def header_records(path: Path) -> list[Record]:
    """Header records as the email loader makes them: one per occurrence, fields {name, value}."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
    records: list[Record] = []
    seen: dict[str, int] = {}
    for name, value in message.items():
        seen[name] = seen.get(name, 0) + 1
        unfolded = " ".join(str(value).split())
        records.append(
            Record(
                artifact_id="A1",
                locator=f"header:{name}#{seen[name]}",
                source="email.header",
                raw=f"{name}: {unfolded}",
                fields={"name": name, "value": unfolded},
            )
        )
    return records


def _record(name: str, value: str) -> Record:
    return Record(
        artifact_id="A1",
        locator=f"header:{name}#1",
        source="email.header",
        raw=f"{name}: {value}",
        fields={"name": name, "value": value},
    )


def test_phishing_sample_fails_authentication_and_mismatches_reply_to() -> None:
    records = header_records(SAMPLES / "S01-phish-credential-harvest" / "message.eml")
    (result,) = analyse_email_headers(records)
    assert result.provider == "email-auth" and result.observable_type == "email"
    assert result.value == "servicedesk@halvorsen-logistics.example"
    assert (result.details["spf"], result.details["dkim"], result.details["dmarc"]) == (
        "fail",
        "fail",
        "fail",
    )
    assert "Reply-To domain mailbox-verify.example differs" in result.summary
    assert result.verdict == "malicious"


def test_benign_newsletter_passes() -> None:
    records = header_records(SAMPLES / "S10-benign-vendor-newsletter" / "reported_message.eml")
    (result,) = analyse_email_headers(records)
    assert result.details["dmarc"] == "pass"
    assert result.verdict == "benign"  # authenticated by the receiver, nothing amiss
    assert (result.score or 0) == 0


def test_only_the_topmost_authentication_results_counts() -> None:
    records = [
        _record(
            "Authentication-Results", "mx.example; spf=fail smtp.mailfrom=a.example; dmarc=fail"
        ),
        _record("Authentication-Results", "forged; spf=pass; dmarc=pass"),
        _record("From", "Alice <alice@a.example>"),
    ]
    (result,) = analyse_email_headers(records)
    assert (result.details["spf"], result.details["dmarc"]) == ("fail", "fail")


def test_display_name_spoofing() -> None:
    embedded = [_record("From", '"ceo@corp.example" <random123@free-mail.example>')]
    brand = [_record("From", '"Microsoft Account Team" <no-reply@account-alerts.example>')]
    real = [_record("From", '"Microsoft" <account-security-noreply@microsoft.com>')]
    assert "another address (ceo@corp.example)" in analyse_email_headers(embedded)[0].summary
    assert "names 'microsoft'" in analyse_email_headers(brand)[0].summary
    assert "names" not in analyse_email_headers(real)[0].summary


def test_no_from_header_gives_no_result() -> None:
    assert analyse_email_headers([_record("Subject", "hello")]) == ()

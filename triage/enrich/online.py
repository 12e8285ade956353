"""Online providers, used only with an API key and outside offline mode: VirusTotal (v3) and
AbuseIPDB (v2). Answers go through ApiClient (rate limit, retries, cache)."""

import base64
from datetime import UTC, datetime
from typing import Any

from triage.enrich.api_client import ApiClient, ApiError, ApiResponse, RateLimited
from triage.enrich.provider import Details, verdict_for
from triage.models import EnrichmentResult, Observable

_VT_PATHS = {
    "ipv4": "/ip_addresses/{}",
    "ipv6": "/ip_addresses/{}",
    "domain": "/domains/{}",
    "url": "/urls/{}",
    "md5": "/files/{}",
    "sha1": "/files/{}",
    "sha256": "/files/{}",
}


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _failure(name: str, observable: Observable, exc: Exception) -> EnrichmentResult:
    limited = isinstance(exc, RateLimited)
    return EnrichmentResult(
        provider=name,
        observable_type=observable.type,
        value=observable.value,
        status="rate_limited" if limited else "error",
        verdict="unknown",
        summary=str(exc),
    )


def _not_found(name: str, observable: Observable, answer: ApiResponse) -> EnrichmentResult:
    return EnrichmentResult(
        provider=name,
        observable_type=observable.type,
        value=observable.value,
        status="not_found",
        verdict="unknown",
        summary="unknown to the service",
        data_age=_when(answer.fetched_at),
    )


class VirusTotalProvider:
    name = "virustotal"
    observable_types = frozenset(_VT_PATHS)
    offline = False

    def __init__(self, *, client: ApiClient) -> None:
        self._client = client

    def lookup(self, observable: Observable) -> EnrichmentResult:
        value = observable.value
        if observable.type == "url":
            # VT identifies a URL by its unpadded URL-safe base64.
            value = base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
        try:
            answer = self._client.get_json(_VT_PATHS[observable.type].format(value))
        except (ApiError, RateLimited) as exc:
            return _failure(self.name, observable, exc)
        if answer.status == 404:
            return _not_found(self.name, observable, answer)
        attributes: dict[str, Any] = (answer.body or {}).get("data", {}).get("attributes", {})
        stats = {
            k: int(v)
            for k, v in (attributes.get("last_analysis_stats") or {}).items()
            if isinstance(v, int)
        }
        malicious, suspicious = stats.get("malicious", 0), stats.get("suspicious", 0)
        total = sum(stats.values())
        score = round(100 * (malicious + 0.5 * suspicious) / total, 1) if total else 0.0
        verdict = verdict_for(score, malicious_at=10, suspicious_at=1)
        if malicious >= 5:
            verdict = "malicious"
        elif verdict == "unknown" and stats.get("harmless", 0) > 0:
            verdict = "benign"
        details: Details = {f"engines_{k}": v for k, v in stats.items()}
        if isinstance(attributes.get("reputation"), int):
            details["reputation"] = attributes["reputation"]
        return EnrichmentResult(
            provider=self.name,
            observable_type=observable.type,
            value=observable.value,
            status="ok",
            verdict=verdict,
            score=min(score, 100.0),
            summary=f"{malicious} of {total} engines flag it malicious, {suspicious} suspicious",
            details=details,
            data_age=_when(answer.fetched_at),
        )


class AbuseIpdbProvider:
    name = "abuseipdb"
    observable_types = frozenset({"ipv4", "ipv6"})
    offline = False

    def __init__(self, *, client: ApiClient, max_age_days: int = 90) -> None:
        self._client = client
        self._max_age_days = max_age_days

    def lookup(self, observable: Observable) -> EnrichmentResult:
        params = {"ipAddress": observable.value, "maxAgeInDays": str(self._max_age_days)}
        try:
            answer = self._client.get_json("/check", params=params)
        except (ApiError, RateLimited) as exc:
            return _failure(self.name, observable, exc)
        if answer.status == 404:
            return _not_found(self.name, observable, answer)
        data: dict[str, Any] = (answer.body or {}).get("data", {})
        confidence = float(data.get("abuseConfidenceScore") or 0)
        reports = int(data.get("totalReports") or 0)
        verdict = verdict_for(confidence, malicious_at=75, suspicious_at=25)
        if data.get("isWhitelisted"):
            verdict = "benign"
        details: Details = {
            "abuse_confidence": confidence,
            "total_reports": reports,
            "country_code": data.get("countryCode"),
            "isp": data.get("isp"),
            "usage_type": data.get("usageType"),
            "last_reported_at": data.get("lastReportedAt"),
        }
        return EnrichmentResult(
            provider=self.name,
            observable_type=observable.type,
            value=observable.value,
            status="ok",
            verdict=verdict,
            score=max(0.0, min(confidence, 100.0)),
            summary=f"abuse confidence {confidence:.0f}% from {reports} reports",
            details={k: v for k, v in details.items() if v is not None},
            data_age=_when(answer.fetched_at),
        )

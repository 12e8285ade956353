"""Offline IP context: special-purpose ranges (ipaddress) and country/ASN (geoip2fast data)."""

import functools
import ipaddress
import os
from typing import Any

from triage.enrich.provider import Details, ProviderUnavailable
from triage.models import EnrichmentResult, Observable

GEOIP_FILE = "geoip2fast-asn-ipv6.dat.gz"
GEOIP_DATA_AGE = "2024-06"
IP_TYPES = frozenset({"ipv4", "ipv6"})

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SPECIAL = tuple(
    (ipaddress.ip_network(net), label)
    for net, label in (
        ("100.64.0.0/10", "carrier-grade NAT (CGNAT)"),
        ("192.0.2.0/24", "documentation (TEST-NET-1)"),
        ("198.51.100.0/24", "documentation (TEST-NET-2)"),
        ("203.0.113.0/24", "documentation (TEST-NET-3)"),
        ("2001:db8::/32", "documentation"),
        ("198.18.0.0/15", "benchmarking"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("0.0.0.0/8", "this network"),
        ("240.0.0.0/4", "reserved (class E)"),
        ("255.255.255.255/32", "limited broadcast"),
        ("64:ff9b::/96", "NAT64"),
        ("fc00::/7", "unique local"),
    )
)


def classify_range(address: IpAddress) -> str | None:
    """The special-purpose range an address falls in, or None for a global unicast address."""
    for network, label in _SPECIAL:
        if address.version == network.version and address in network:
            return label
    checks = (
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address.is_unspecified, "unspecified"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private (RFC 1918 / RFC 4193)"),
    )
    return next((label for hit, label in checks if hit), None)


class IpRangeProvider:
    """Says whether an address is private, reserved, bogon, loopback, CGNAT, documentation…"""

    name = "ip-ranges"
    observable_types = IP_TYPES
    offline = True

    def lookup(self, observable: Observable) -> EnrichmentResult:
        address = ipaddress.ip_address(observable.value.strip("[]"))
        label = classify_range(address)
        details: Details = {"version": address.version, "global": label is None}
        if label is None:
            summary = "globally routable address"
        else:
            details["range"] = label
            summary = f"non-routable address: {label}"
        return EnrichmentResult(
            provider=self.name,
            observable_type=observable.type,
            value=observable.value,
            status="ok",
            verdict="unknown",
            score=0,
            summary=summary,
            details=details,
        )


@functools.cache
def _load_geoip(path: str) -> Any:
    """One GeoIP2Fast instance per data file and process (loading takes ~0.4 s)."""
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(verbose=False, geoip2fast_data_file=path)


def geoip_data_file() -> str:
    import geoip2fast

    return os.path.join(os.path.dirname(geoip2fast.__file__), GEOIP_FILE)


class GeoIpProvider:
    """Country and autonomous system from the packaged GeoLite2-derived geoip2fast data."""

    name = "geoip"
    observable_types = IP_TYPES
    offline = True

    def __init__(self, *, data_file: str | None = None) -> None:
        self._data_file = data_file

    def lookup(self, observable: Observable) -> EnrichmentResult:
        address = ipaddress.ip_address(observable.value.strip("[]"))
        if classify_range(address) is not None:
            return EnrichmentResult(
                provider=self.name,
                observable_type=observable.type,
                value=observable.value,
                status="not_found",
                verdict="unknown",
                summary="not a public address: no location",
                data_age=GEOIP_DATA_AGE,
            )
        try:
            geo = _load_geoip(self._data_file or geoip_data_file())
        except Exception as exc:
            raise ProviderUnavailable(f"cannot load geoip data: {type(exc).__name__}") from exc
        found = geo.lookup(str(address))
        country = str(found.country_code or "")
        if not country or country.startswith("<") or country == "--":
            return EnrichmentResult(
                provider=self.name,
                observable_type=observable.type,
                value=observable.value,
                status="not_found",
                verdict="unknown",
                summary="address not in the geoip data",
                data_age=GEOIP_DATA_AGE,
            )
        details: Details = {
            "country_code": country,
            "country": str(found.country_name),
            "network": str(found.cidr),
            "as_name": str(found.asn_name or ""),
            "as_network": str(found.asn_cidr or ""),
        }
        as_text = f", AS {found.asn_name}" if found.asn_name else ""
        return EnrichmentResult(
            provider=self.name,
            observable_type=observable.type,
            value=observable.value,
            status="ok",
            verdict="unknown",
            summary=f"{found.country_name} ({country}){as_text}",
            details=details,
            data_age=GEOIP_DATA_AGE,
        )

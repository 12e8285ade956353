"""IP ranges and offline geoip."""

import pytest

from triage.enrich.ip import GEOIP_DATA_AGE, GeoIpProvider, IpRangeProvider
from triage.models import Observable


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("127.0.0.1", "loopback"),
        ("169.254.10.1", "link-local"),
        ("100.72.1.1", "CGNAT"),
        ("198.51.100.4", "documentation"),
        ("0.1.2.3", "this network"),
        ("240.0.0.1", "reserved"),
        ("fe80::1", "link-local"),
        ("fd00::5", "unique local"),
        ("2001:db8::1", "documentation"),
    ],
)
def test_bogon_and_special_ranges(value: str, expected: str) -> None:
    observable = Observable(type="ipv6" if ":" in value else "ipv4", value=value)
    result = IpRangeProvider().lookup(observable)
    assert result.status == "ok"
    assert result.details["global"] is False
    assert expected in str(result.details["range"])


def test_public_address_is_global() -> None:
    result = IpRangeProvider().lookup(Observable(type="ipv4", value="8.8.8.8"))
    assert result.details["global"] is True
    assert "range" not in result.details


@pytest.mark.parametrize(
    ("value", "country", "as_name"),
    [("8.8.8.8", "US", "GOOGLE"), ("2001:4860:4860::8888", "US", "GOOGLE")],
)
def test_geoip_country_and_as_offline(
    no_network: list[object], value: str, country: str, as_name: str
) -> None:
    observable = Observable(type="ipv6" if ":" in value else "ipv4", value=value)
    result = GeoIpProvider().lookup(observable)
    assert result.status == "ok"
    assert result.details["country_code"] == country
    assert as_name in str(result.details["as_name"])
    assert result.data_age == GEOIP_DATA_AGE == "2024-06"
    assert no_network == []


def test_geoip_does_not_locate_private_addresses() -> None:
    result = GeoIpProvider().lookup(Observable(type="ipv4", value="192.168.1.1"))
    assert result.status == "not_found"


def test_geoip_with_unloadable_data_raises_unavailable() -> None:
    from triage.enrich.provider import ProviderUnavailable

    provider = GeoIpProvider(data_file="/nonexistent/geoip.dat.gz")
    with pytest.raises(ProviderUnavailable):
        provider.lookup(Observable(type="ipv4", value="8.8.8.8"))

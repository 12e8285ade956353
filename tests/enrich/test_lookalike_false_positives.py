"""Brand-lookalike matching measured on ordinary domains (must stay quiet) and real squats.

Decision: a registrable domain that uses a brand as a word of its name (paypal-community.com,
docusign-secure-review.net) is flagged even when the brand runs it, unless it is on the
brand's owned list or the deployment's trusted_domains: the name alone cannot tell them apart.
"""

import pytest

from triage.enrich.domains import DomainAnalysis, DomainProvider
from triage.enrich.lookalike import is_typo_of, skeleton
from triage.enrich.provider import EnrichmentConfig
from triage.enrich.registry import domain_analysis
from triage.models import Observable

# fmt: off
ORDINARY_DOMAINS = (
    # mailing lists, personal sites, open source
    "jmason.org", "apache.org", "mozilla.org", "gitlab.com", "github.com", "gnome.org",
    "kde.org", "debian.org", "ubuntu.com", "python.org", "pypi.org", "rust-lang.org",
    "golang.org", "nodejs.org", "npmjs.com", "kernel.org", "freebsd.org", "openbsd.org",
    "postgresql.org", "mysql.com", "sqlite.org", "gnu.org", "fsf.org", "eclipse.org",
    "jenkins.io", "docker.com", "kubernetes.io", "ansible.com", "terraform.io", "helm.sh",
    "readthedocs.io", "sourceforge.net", "savannah.gnu.org", "lwn.net", "slashdot.org",
    "spamassassin.apache.org", "ximian.com", "helixcode.com", "netnoteinc.com", "slashnull.org",
    "apachecon.com", "mailman.org", "lists.debian.org", "openssl.org", "wireshark.org",
    # news and media
    "bbc.co.uk", "nytimes.com", "theguardian.com", "reuters.com", "apnews.com", "cnn.com",
    "washingtonpost.com", "lemonde.fr", "spiegel.de", "elpais.com", "folha.uol.com.br",
    "globo.com", "outlookindia.com", "economist.com", "bloomberg.com", "ft.com",
    "arstechnica.com", "wired.com", "theverge.com", "techcrunch.com", "zdnet.com",
    "npr.org", "aljazeera.com", "lefigaro.fr", "corriere.it", "abc.net.au",
    # universities
    "mit.edu", "stanford.edu", "harvard.edu", "ox.ac.uk", "cam.ac.uk", "ethz.ch",
    "berkeley.edu", "cornell.edu", "princeton.edu", "yale.edu", "columbia.edu", "usp.br",
    "unicamp.br", "uva.nl", "tum.de", "sorbonne-universite.fr", "uchicago.edu", "ucl.ac.uk",
    "applied-sciences.edu", "appalachian.edu", "amherst.edu",
    # SaaS and vendors
    "oracle.com", "salesforce.com", "slack.com", "zoom.us", "atlassian.com", "dropbox.com",
    "box.com", "adobe.com", "sap.com", "ibm.com", "cisco.com", "vmware.com", "zendesk.com",
    "hubspot.com", "mailchimp.com", "sendgrid.net", "mailgun.org", "twilio.com", "stripe.com",
    "shopify.com", "squarespace.com", "wix.com", "cloudflare.com", "fastly.com", "akamai.com",
    "digitalocean.com", "heroku.com", "netlify.com", "vercel.com", "notion.so", "figma.com",
    "canva.com", "trello.com", "asana.com", "monday.com", "airtable.com", "intuit.com",
    "quickbooks.com", "xero.com", "workday.com", "servicenow.com", "splunk.com",
    "crowdstrike.com", "sentinelone.com", "paloaltonetworks.com", "fortinet.com", "duo.com",
    "onelogin.com", "auth0.com", "pingidentity.com", "lastpass.com", "1password.com",
    "protonmail.com", "proton.me", "yahoo.com", "gmx.de", "zoho.com", "fastmail.com",
    "paypay.ne.jp", "payoneer.com", "wise.com", "revolut.com", "klarna.com", "adyen.com",
    "ebay.com", "etsy.com", "walmart.com", "target.com", "alibaba.com", "mercadolivre.com.br",
    "applebees.com", "pineapple.org", "amazonia.org", "docus.org",
    "oktoberfest.de", "ample.com", "apply.com", "maple.com", "appletonwi.gov",
    "outlooktraining.org", "micron.com", "microchip.com", "microstrategy.com", "softbank.jp",
    # common words
    "weather.com", "recipes.org", "garden.org", "books.com", "music.org", "travel.com",
    "news.org", "health.gov", "example.com", "wikipedia.org", "wikimedia.org",
    "archive.org", "stackoverflow.com", "reddit.com", "linkedin.com", "facebook.com",
    "instagram.com", "whatsapp.com", "telegram.org", "signal.org", "spotify.com",
    "netflix.com", "booking.com", "airbnb.com", "uber.com", "lyft.com",
    # brand-owned
    "amazonaws.com", "office.com", "outlook.com", "microsoftonline.com", "gmail.com",
    "icloud.com", "paypalobjects.com", "docusign.net", "okta.com", "amazon.de",
    "google.co.uk", "apple.com", "login.microsoftonline.com", "s3.amazonaws.com",
)
GENUINE_LOOKALIKES = (
    "micros0ft.com", "rnicrosoft.com", "rnicrosoft-login.com", "paypa1.com", "g00gle.com",
    "app1e.com", "arnazon.com", "amaz0n.net", "d0cusign.com", "0kta.com", "0utlook.com",
    "microsfot.com", "micorsoft.com", "microsooft.com", "gooogle.com", "googel.com",
    "paypall.com", "paypai.com", "amazom.com", "docusing.com", "docuslgn.net",
    "microsoft-login-verify.com", "paypal-secure-account.net", "docusign-secure-review.net",
    "okta-sso-login.com", "apple-id-support.com", "amazon-billing.info",
    "micros0ft-online-login.com", "paypalsecure.com", "microsoftonline-auth.net",
    "login.microsoft.com.evil.net", "office365.verify-account.example",
    "www.paypal.com.account-check.co", "xn--mcrosoft-thh.com", "xn--pple-43d.com",
    "xn--gogle-jye.com", "offlce365.com",
)
# fmt: on


@pytest.fixture(scope="module")
def analysis() -> DomainAnalysis:
    return domain_analysis(EnrichmentConfig())


def _lookalike(analysis: DomainAnalysis, value: str) -> object:
    result = DomainProvider(analysis=analysis).lookup(Observable(type="domain", value=value))
    return result.details.get("lookalike_brand")


def test_lists_are_big_enough_to_measure() -> None:
    assert len(set(ORDINARY_DOMAINS)) >= 150
    assert len(set(GENUINE_LOOKALIKES)) >= 25


def test_ordinary_domains_are_not_lookalikes(analysis: DomainAnalysis) -> None:
    flagged = [d for d in ORDINARY_DOMAINS if _lookalike(analysis, d) is not None]
    assert flagged == []


def test_genuine_lookalikes_are_all_flagged(analysis: DomainAnalysis) -> None:
    missed = [d for d in GENUINE_LOOKALIKES if _lookalike(analysis, d) is None]
    assert missed == []


@pytest.mark.parametrize(
    ("token", "brand", "expected"),
    [
        ("jmason", "amazon", False),  # two edits on a six-letter brand: a different name
        ("apply", "apple", False),  # y is neither next to e nor shaped like it
        ("paypay", "paypal", False),
        ("amazom", "amazon", True),  # m sits next to n
        ("paypai", "paypal", True),  # i looks like l
        ("googel", "google", True),  # swapped letters
        ("micosoft", "microsoft", True),
        ("nicrosoft", "microsoft", True),
        ("macrosaft", "microsoft", True),  # two edits, first letter kept
        ("xicrosofx", "microsoft", False),  # two edits and both anchors changed
        ("okra", "okta", False),  # short brands only match exactly or by homoglyph
    ],
)
def test_typo_rule(token: str, brand: str, expected: bool) -> None:
    assert is_typo_of(skeleton(token), skeleton(brand)) is expected

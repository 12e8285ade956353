"""Domain-name signals: IDN decoding, brand lookalikes (confusable skeleton + edit distance)
and DGA-likeness (entropy, consonant runs, digits, length)."""

import math
import re
from collections import Counter
from dataclasses import dataclass

# Characters attackers swap for Latin letters; digits included because they read alike.
_CONFUSABLES = str.maketrans(
    {
        "0": "o", "1": "l", "3": "e", "5": "s", "7": "t", "|": "l", "!": "i",
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "ԁ": "d", "ɡ": "g", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l",
        "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "ı": "i", "ł": "l", "ɩ": "i",
        "à": "a", "á": "a", "â": "a", "ä": "a", "å": "a", "ç": "c", "è": "e", "é": "e",
        "ê": "e", "ë": "e", "ì": "i", "í": "i", "î": "i", "ï": "i", "ñ": "n", "ò": "o",
        "ó": "o", "ô": "o", "ö": "o", "ø": "o", "ù": "u", "ú": "u", "û": "u", "ü": "u",
        "ý": "y", "ÿ": "y",
    }
)  # fmt: skip
_MULTI = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("nn", "m"))
_VOWELS = frozenset("aeiouy")
_SEPARATORS = re.compile(r"[-_.]+")


def decode_idn(label: str) -> str:
    """Unicode form of a (possibly punycode) label; the input when it does not decode."""
    if not label.startswith("xn--"):
        return label
    try:
        return label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return label


def skeleton(text: str) -> str:
    """What a name looks like to a reader: confusables folded to the Latin letter they mimic."""
    folded = text.lower().translate(_CONFUSABLES)
    for pair, single in _MULTI:
        folded = folded.replace(pair, single)
    return folded


def edit_distance(a: str, b: str, *, limit: int = 2) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


# Neighbouring keys (QWERTY) and look-alike letters: the substitutions a typo-squatter relies
# on. Any other single-letter change (apple → apply, paypal → paypay) makes a different word.
_KEY_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_LOOK_ALIKE = ("il", "uv", "gq", "ce", "mn", "oa")
# Words squatters glue to a brand (micros0ft-online, paypalsecure); a brand inside any other
# word is usually an ordinary name (outlookindia, pineapple, amazonia).
SERVICE_WORDS = frozenset(
    (
        "login", "logon", "signin", "sign", "secure", "security", "verify", "verification",
        "account", "accounts", "support", "online", "update", "auth", "mail", "webmail", "web",
        "service", "services", "help", "helpdesk", "pay", "payment", "billing", "team", "portal",
        "app", "id", "cloud", "office", "alert", "alerts", "center", "desk", "access", "password",
        "recovery", "unlock", "review", "docs", "files", "share", "safe", "check", "confirm",
        "notice", "invoice", "us", "my", "sso", "mfa", "user", "customer", "hq",
    )
)  # fmt: skip


def _neighbours(ch: str) -> set[str]:
    near: set[str] = set()
    for row_index, row in enumerate(_KEY_ROWS):
        col = row.find(ch)
        if col < 0:
            continue
        for other_row in _KEY_ROWS[max(0, row_index - 1) : row_index + 2]:
            near.update(other_row[max(0, col - 1) : col + 2])
    for pair in _LOOK_ALIKE:
        if ch in pair:
            near.update(pair)
    near.discard(ch)
    return near


def _is_one_typo(token: str, brand: str) -> bool:
    """One slip of the keyboard or eye: a dropped, doubled, swapped or neighbouring letter."""
    if token == brand or abs(len(token) - len(brand)) > 1:
        return False
    if len(token) == len(brand):
        diffs = [i for i, (a, b) in enumerate(zip(token, brand, strict=True)) if a != b]
        if len(diffs) == 1:
            return token[diffs[0]] in _neighbours(brand[diffs[0]])
        first, *rest = diffs
        return (
            rest == [first + 1]
            and token[first] == brand[first + 1]
            and (token[first + 1] == brand[first])
        )
    longer, shorter = (token, brand) if len(token) > len(brand) else (brand, token)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def is_typo_of(token: str, brand: str) -> bool:
    """Whether `token` reads as a misspelling of `brand` (both already skeletons).

    Brands under five letters collide with ordinary words at any distance, so only exact and
    homoglyph matches count for them; 5–8 letters allow one slip; 9+ allow two edits as long as
    the first or last letter, which readers anchor on, is kept.
    """
    if len(brand) < 5 or not token or token == brand:
        return False
    if len(brand) <= 8:
        return _is_one_typo(token, brand)
    anchored = token[0] == brand[0] or token[-1] == brand[-1]
    return anchored and edit_distance(token, brand, limit=2) <= 2


def _glued_to_service_word(token: str, brand: str) -> bool:
    start = token.find(brand)
    if start < 0 or len(brand) < 5:
        return False
    before, after = token[:start], token[start + len(brand) :]
    return all(not part or part in SERVICE_WORDS for part in (before, after))


@dataclass(frozen=True)
class BrandMatch:
    brand: str
    kind: str  # "homoglyph", "typo", "brand-in-name", "brand-in-subdomain"
    token: str


def match_brand(
    label: str, subdomain: str, *, brands: tuple[str, ...], is_brand_domain: bool
) -> BrandMatch | None:
    """The strongest resemblance between a registrable label (unicode) and a protected brand.

    In order of strength: the label's letters fold to the brand (micros0ft, rnicrosoft, Cyrillic
    homoglyphs), a one-slip misspelling (microsfot), the brand as a word of the name
    (microsoft-login-verify, paypalsecure), the brand as a label in front of another domain
    (login.microsoft.com.evil.net).
    """
    if is_brand_domain:
        return None
    tokens = [t for t in _SEPARATORS.split(label.lower()) if t]
    candidates = [*tokens, "".join(tokens)] if len(tokens) > 1 else tokens
    rank = {"homoglyph": 0, "typo": 1, "brand-in-name": 2, "brand-in-subdomain": 3}
    found: list[BrandMatch] = []
    for brand in brands:
        brand_skeleton = skeleton(brand)
        for token in candidates:
            token_skeleton = skeleton(token)
            disguised = token_skeleton != token
            if token == brand or _glued_to_service_word(token, brand):
                found.append(BrandMatch(brand, "brand-in-name", token))
            elif disguised and (
                token_skeleton == brand_skeleton
                or _glued_to_service_word(token_skeleton, brand_skeleton)
            ):
                found.append(BrandMatch(brand, "homoglyph", token))
            elif is_typo_of(token_skeleton, brand_skeleton):
                found.append(BrandMatch(brand, "typo", token))
        if subdomain:
            sub_tokens = set(_SEPARATORS.split(subdomain.lower()))
            if brand in sub_tokens or any(skeleton(t) == brand_skeleton for t in sub_tokens):
                found.append(BrandMatch(brand, "brand-in-subdomain", subdomain))
    return min(found, key=lambda m: rank[m.kind]) if found else None


@dataclass(frozen=True)
class DgaSignals:
    length: int
    entropy: float
    longest_consonant_run: int
    digit_ratio: float
    vowel_ratio: float
    score: float  # 0..1


def dga_signals(label: str) -> DgaSignals:
    """How machine-generated a registrable label looks (long, random, vowel-poor, digit-rich)."""
    text = label.lower().replace("-", "")
    length = len(text)
    counts = Counter(text)
    entropy = -sum(n / length * math.log2(n / length) for n in counts.values()) if length else 0.0
    run = longest = 0
    for ch in text:
        run = run + 1 if ch.isalpha() and ch not in _VOWELS else 0
        longest = max(longest, run)
    digits = sum(ch.isdigit() for ch in text) / length if length else 0.0
    vowels = sum(ch in _VOWELS for ch in text) / length if length else 0.0
    score = 0.0
    if length >= 10:
        score += 0.2 + min(0.15, (length - 10) * 0.01)
    if entropy >= 3.3 and length >= 8:
        score += 0.3
    if longest >= 5:
        score += 0.25
    elif longest == 4:
        score += 0.1
    if 0.15 <= digits < 1:
        score += 0.2
    if length >= 8 and vowels < 0.25:
        score += 0.15
    return DgaSignals(
        length,
        round(entropy, 3),
        longest,
        round(digits, 3),
        round(vowels, 3),
        round(min(score, 1.0), 3),
    )

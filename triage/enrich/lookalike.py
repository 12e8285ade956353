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


@dataclass(frozen=True)
class BrandMatch:
    brand: str
    kind: str  # "homoglyph", "typo", "brand-in-name", "brand-in-subdomain"
    token: str


def match_brand(
    label: str, subdomain: str, *, brands: tuple[str, ...], is_brand_domain: bool
) -> BrandMatch | None:
    """The strongest resemblance between a registrable label (unicode) and a protected brand."""
    if is_brand_domain:
        return None
    tokens = [t for t in _SEPARATORS.split(label) if t]
    joined = "".join(tokens)
    candidates = [*tokens, joined] if len(tokens) > 1 else tokens
    best: BrandMatch | None = None
    for brand in brands:
        brand_skeleton = skeleton(brand)
        for token in candidates:
            if token == brand:
                best = best or BrandMatch(brand, "brand-in-name", token)
                continue
            token_skeleton = skeleton(token)
            if token_skeleton == brand_skeleton:
                return BrandMatch(brand, "homoglyph", token)
            # Short brands (okta, apple) collide with real words at distance 2.
            limit = 1 if len(brand) <= 5 else 2
            if edit_distance(token_skeleton, brand_skeleton, limit=limit) <= limit:
                best = BrandMatch(brand, "typo", token)
            elif best is None and len(brand) >= 5 and brand in token:
                best = BrandMatch(brand, "brand-in-name", token)
        if best is None and subdomain:
            sub_tokens = set(_SEPARATORS.split(subdomain.lower()))
            if brand in sub_tokens or any(skeleton(t) == brand_skeleton for t in sub_tokens):
                best = BrandMatch(brand, "brand-in-subdomain", subdomain)
    return best


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

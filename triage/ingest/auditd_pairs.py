"""The key=value pairs of Linux audit records (auditd lines, auoms messages in Syslog rows).

One left-to-right pass: attacker-controlled lines must cost time in proportion to their length.
"""

import re
from typing import NamedTuple

# A key starts the text or follows whitespace. One whitespace character, not `\s+`, so a long
# run of spaces is never rescanned from each of its positions.
_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z_][\w.-]*)=")
_NEXT_KEY = re.compile(r"\s(?=[A-Za-z_][\w.-]*=)")
_QUOTES = ('"', "'")


class AuditPair(NamedTuple):
    key: str
    value: str
    quote: str  # '"' or "'" when the value was quoted (quotes removed), "" when bare


def audit_pairs(text: str, *, start: int = 0) -> list[AuditPair]:
    """Every key=value pair from `start` on. A value is "double-quoted", 'single-quoted' (USER_*
    records nest pairs in msg='…') or bare; a bare value runs to the next ` key=`, so the unquoted
    command lines auoms writes keep their spaces."""
    pairs: list[AuditPair] = []
    position = start
    while True:
        key = _KEY.search(text, position)
        if key is None:
            return pairs
        value_start = key.end()
        quote = text[value_start : value_start + 1]
        close = text.find(quote, value_start + 1) if quote in _QUOTES else -1
        if close >= 0:
            pairs.append(AuditPair(key[1], text[value_start + 1 : close], quote))
            position = close + 1
            continue
        # An unclosed quote is kept as written, like any other bare value.
        following = _NEXT_KEY.search(text, value_start)
        end = following.start() if following else len(text)
        pairs.append(AuditPair(key[1], text[value_start:end].strip(), ""))
        position = end

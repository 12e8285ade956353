"""Windows-event XML (EVTX records, XML event lines, Sysmon for Linux) → flat record fields."""

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from triage.errors import InputError
from triage.models import Scalar

# A DTD is the only way XML can declare entities; refusing it up front means expat never
# expands anything an attacker defined (billion laughs, external entities).
_DECLARATION = re.compile(r"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
# The declared encoding is meaningless for text already decoded, and expat rejects some.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_INT_FIELDS = frozenset({"EventID", "EventRecordID"})
# No salvage pattern runs past the next "<" (attributes not past ">" either), so each scan stops
# at the next tag and the whole salvage stays linear however the broken XML is shaped.
_SALVAGE_DATA = re.compile(r'<Data Name="(?P<name>[^"<>]*)">(?P<value>[^<]*)</Data>')
_SALVAGE_SYSTEM = re.compile(
    r"<(?P<tag>EventID|Version|Level|Task|Opcode|Keywords|EventRecordID|Channel|Computer)"
    r"(?:\s[^<>]*)?>(?P<value>[^<]*)</(?P=tag)>"
)
_SALVAGE_ATTRIBUTES = {
    "Provider": re.compile(r'<Provider Name="([^"<>]*)"'),
    "TimeCreated": re.compile(r'<TimeCreated SystemTime="([^"<>]*)"'),
}
# Salvage reads the start of an event only: System and EventData fit well within this.
_MAX_SALVAGED_CHARS = 64 * 1024


def event_fields_from_xml(xml: str) -> dict[str, Scalar]:
    """Flatten one `<Event>`: System as EventID (int), Channel, Provider, Computer,
    EventRecordID (int), TimeCreated and the other System values; every EventData/UserData item
    under its own name. XML that real agents get wrong (a bare "&", a message cut short by
    syslog's length limit) is salvaged by pattern. Raises InputError for any DTD declaration,
    or when not even an EventID can be found."""
    if _DECLARATION.search(xml):
        raise InputError("event XML declares a DTD or entities; refused")
    try:
        event = ET.fromstring(_XML_DECLARATION.sub("", xml, count=1))
    except ET.ParseError as exc:
        salvaged = _salvage(xml)
        if "EventID" not in salvaged:
            raise InputError(f"malformed event XML: {exc}") from exc
        return salvaged
    if _local(event.tag) != "Event":
        raise InputError(f"not a Windows event: root element is <{_local(event.tag)}>")
    fields: dict[str, Scalar] = {}
    for section in event:
        name = _local(section.tag)
        if name == "EventData":
            fields.update(_event_data(section))
        elif name == "UserData":
            fields.update(_user_data(section))
    # System values win over a same-named EventData item: attackers control EventData text.
    system = next((child for child in event if _local(child.tag) == "System"), None)
    if system is not None:
        fields.update(_system_fields(system))
    return fields


def _salvage(xml: str) -> dict[str, Scalar]:
    xml = xml[:_MAX_SALVAGED_CHARS]
    fields: dict[str, Scalar] = {
        match["name"]: html.unescape(match["value"]) or None
        for match in _SALVAGE_DATA.finditer(xml)
    }
    for match in _SALVAGE_SYSTEM.finditer(xml):
        text = html.unescape(match["value"]).strip()
        fields[match["tag"]] = _as_int(text) if match["tag"] in _INT_FIELDS else text
    for name, pattern in _SALVAGE_ATTRIBUTES.items():
        found = pattern.search(xml)
        if found:
            fields[name] = html.unescape(found[1])
    return fields


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element) -> str | None:
    text = element.text
    # Pretty-printed XML (the EVTX parser's) puts a line break inside empty elements.
    if not text or (not text.strip() and "\n" in text):
        return None
    return text


def _system_fields(system: ET.Element) -> dict[str, Scalar]:
    fields: dict[str, Scalar] = {}
    for child in system:
        name = _local(child.tag)
        if name == "Provider":
            fields["Provider"] = child.get("Name") or child.get("EventSourceName")
        elif name == "TimeCreated":
            fields["TimeCreated"] = child.get("SystemTime")
        else:
            text = (child.text or "").strip()
            if text:
                fields[name] = _as_int(text) if name in _INT_FIELDS else text
        # Attribute-only elements (Execution, Security, Correlation) keep "Element.Attribute".
        for attribute, value in child.attrib.items():
            if name not in {"Provider", "TimeCreated"} or attribute not in {"Name", "SystemTime"}:
                fields[f"{name}.{_local(attribute)}"] = value
    return fields


def _as_int(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def _event_data(section: ET.Element) -> dict[str, Scalar]:
    """Named `<Data Name="X">` items by name; unnamed ones (classic providers) as Data.N."""
    fields: dict[str, Scalar] = {}
    unnamed = 0
    for item in section:
        tag = _local(item.tag)
        name = item.get("Name")
        if tag == "Data" and name:
            fields[name] = _text(item)
        elif tag == "Data":
            fields[f"Data.{unnamed}"] = _text(item)
            unnamed += 1
        else:
            fields[tag] = _text(item)
    return fields


def _user_data(section: ET.Element) -> dict[str, Scalar]:
    """UserData holds one provider-defined element; its leaf elements become fields by tag."""
    fields: dict[str, Scalar] = {}
    for element in section.iter():
        if element is section or len(element):
            continue
        name = _local(element.tag)
        key, suffix = name, 1
        while key in fields:
            key, suffix = f"{name}.{suffix}", suffix + 1
        fields[key] = _text(element)
    return fields


# Names that exports of Windows events (OTRF/Mordor, Log Analytics, NXLog) give System values.
_PROVIDER_KEYS = ("Provider", "ProviderName", "SourceName", "EventSourceName", "Provider_Name")
_COMPUTER_KEYS = ("Computer", "Hostname", "host", "computer_name")
_RECORD_ID_KEYS = ("EventRecordID", "EventRecordId", "RecordNumber", "record_id")


def is_windows_event(row: Mapping[str, object]) -> bool:
    """A flat JSON export of one Windows event: an EventID with a Channel or provider."""
    return "EventID" in row and any(key in row for key in ("Channel", *_PROVIDER_KEYS))


def windows_event_fields(flat: Mapping[str, Scalar]) -> dict[str, Scalar]:
    """The fields of a flat Windows-event export, with the System names fixed by fields.md
    (EventID and EventRecordID as int, Provider, Computer) added beside the export's own."""
    fields = dict(flat)
    fields["EventID"] = _as_int_scalar(flat.get("EventID"))
    for target, keys in (("Provider", _PROVIDER_KEYS), ("Computer", _COMPUTER_KEYS)):
        value = next((flat[key] for key in keys if flat.get(key) not in (None, "")), None)
        if value is not None:
            fields[target] = value
    record_id = next((flat[key] for key in _RECORD_ID_KEYS if key in flat), None)
    if record_id is not None:
        fields["EventRecordID"] = _as_int_scalar(record_id)
    return fields


def _as_int_scalar(value: Scalar) -> Scalar:
    return _as_int(value) if isinstance(value, str) else value

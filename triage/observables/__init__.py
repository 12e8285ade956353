"""Observables: the IPs, domains, URLs, hashes, users, hosts, processes … an incident shows,
extracted from its records, refanged and normalised, each with the places it was seen."""

from triage.observables.extract import MAX_OBSERVABLES, MAX_SIGHTINGS, extract_observables
from triage.observables.normalise import defang

__all__ = ["MAX_OBSERVABLES", "MAX_SIGHTINGS", "defang", "extract_observables"]

"""triage: evidence-cited incident triage reports from security artifacts."""

__version__ = "0.1.0"

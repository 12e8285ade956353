"""`triage eval`: score triage against labelled cases (samples and real data); docs/eval.md."""

"""Run bundles and replay: record a run's inputs, tool and model traffic and report
(`triage run --bundle`), re-run them offline and diff the reports (`triage replay`)."""

"""`python -m triage` runs the CLI."""

from triage.cli import main

raise SystemExit(main())

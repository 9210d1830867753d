"""``python -m pipeline`` is the ``wirefeed`` command."""

from pipeline.cli import main

raise SystemExit(main())

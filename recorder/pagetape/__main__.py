"""`python -m pagetape` is the same as the `pagetape` command."""

from pagetape.cli.main import main

raise SystemExit(main())

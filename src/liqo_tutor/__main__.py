"""`python -m liqo_tutor` hands off to the CLI."""

from __future__ import annotations

from liqo_tutor.cli import main

if __name__ == "__main__":
    main()

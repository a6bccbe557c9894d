"""`python -m signaldesk` runs the CLI."""

from signaldesk.cli import main

main()

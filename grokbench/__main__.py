"""``python -m grokbench`` runs the command line."""

from grokbench.cli import main

main()

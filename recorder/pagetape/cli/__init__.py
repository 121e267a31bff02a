"""The command line: commands, summaries, the demo."""

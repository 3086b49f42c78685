"""Core: what every stage may use. Errors and located problems, the models, kernel path
patterns, bounded regular expressions, the terminal (quiet, colour) and progress bars."""

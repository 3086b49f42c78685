"""Check: the main job over every file (load -> validate -> evaluate -> render check),
one driver at a time in worker processes, with results cached by content."""

"""Report: results -> text, JSON, GitHub annotations, SARIF, a pull-request comment."""

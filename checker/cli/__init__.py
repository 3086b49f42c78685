"""The command line: main (parse, dispatch, one error boundary) and one module per
subcommand in commands/."""

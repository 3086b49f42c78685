"""Validate: Documents -> Driver / Policy models, every problem located. Schemas as
data, a compiled pre-check, cerberus for the messages, cross-field and cross-file
rules, dates against the day, and the workspace: every file of a repository."""

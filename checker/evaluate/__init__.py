"""Evaluate: a validated driver and the policy -> Verdict, as pure functions.

probes/ (one small function per question) -> direction (which way a verdict points)
-> rules (hard-rule conditions) -> engine (score, thresholds, rules, confidence).
No I/O and no clock: time is the evidence's own date.
"""

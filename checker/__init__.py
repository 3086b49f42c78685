"""kernel-driver-policy: evidence -> policy -> verdicts -> cards for Linux kernel drivers."""

from __future__ import annotations

__version__ = "0.1.0"

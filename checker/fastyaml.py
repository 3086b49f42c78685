"""The common-path YAML loader: PyYAML's C parser with YAML 1.2 core-schema resolution.

ruamel.yaml (YAML 1.2) is the reference loader and the only one that reports errors.
This loader is several times faster, but PyYAML resolves plain scalars by YAML 1.1
rules (`yes` is true, `012` is octal, `1e3` is a string). So it resolves only the
scalars on which both versions agree and *declines* everything else (and every error,
duplicate key, unusual tag or alias): the caller then loads the file with ruamel. The
result for any file it accepts equals ruamel's (tests/test_fastyaml.py checks that).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

NULL = frozenset(("", "~", "null", "Null", "NULL"))
BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
        "FALSE": False}
# Both versions read these the same way.
INT_RE = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
FLOAT_RE = re.compile(r"[-+]?(0|[1-9][0-9]*)\.[0-9]+\Z")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
# Whole plain scalars that YAML 1.1 or 1.2 may read as something other than a string
# (numbers of every base and form, sexagesimal, timestamps, 1.1 booleans, merge, value).
SUSPECT_RE = re.compile(
    r"(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?0b[0-1_]+|[-+]?0o[0-7_]+|[-+]?0x[0-9a-fA-F_]+"
    r"|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?"
    r"|[-+0-9_.:eE]+"  # anything else made only of number characters: let the reference decide
    r"|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|<<|=)\Z"
)

STR, INT, FLOAT, NULL_TAG, BOOL_TAG, DATE, SEQ, MAP = (
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "null", "bool", "timestamp", "seq", "map")
)


class Declined(Exception):
    """This file needs the reference loader."""


class _Loader(yaml.CSafeLoader):  # type: ignore[misc,name-defined]
    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:  # quoted: always a string
                return STR
            if value in NULL:
                return NULL_TAG
            if value in BOOL:
                return BOOL_TAG
            if INT_RE.match(value):
                return INT
            if FLOAT_RE.match(value):
                return FLOAT
            if DATE_RE.match(value):
                return DATE
            if SUSPECT_RE.match(value):
                raise Declined(value)
            return STR
        return SEQ if kind is yaml.SequenceNode else MAP

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        if len(keys) != len(node.value) or len(set(keys)) != len(keys):
            raise Declined("duplicate or non-scalar key")
        return super().construct_mapping(node, deep)

    def construct_undefined(self, node: Any) -> Any:
        raise Declined(node.tag)


# Only the core tags: anything else (explicit !!binary, !!set, local tags) declines.
_Loader.yaml_constructors = {
    tag: yaml.SafeLoader.yaml_constructors[tag] for tag in (STR, INT, FLOAT, NULL_TAG, DATE)
}
_Loader.yaml_constructors[BOOL_TAG] = lambda loader, node: BOOL[node.value]
_Loader.yaml_constructors[SEQ] = yaml.SafeLoader.yaml_constructors[SEQ]
_Loader.yaml_constructors[MAP] = yaml.SafeLoader.yaml_constructors[MAP]
_Loader.yaml_constructors[None] = _Loader.construct_undefined


def fast_load(text: str) -> Any:
    """Plain data for `text`, or Declined when the reference loader must decide."""
    if "&" in text or "*" in text or "!" in text:
        # Anchors, aliases and tags are rare in evidence and handled by the reference path.
        if _has_node_property(text):
            raise Declined("anchor, alias or tag")
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except Declined:
        raise
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise Declined(str(exc)) from None
    finally:
        loader.dispose()


_PROPERTY_RE = re.compile(r"(^|[\s\[{,:-])[&*!][^\s,\]}]")


def _has_node_property(text: str) -> bool:
    """Could `text` hold an anchor, alias or tag? (A claim's `*` may say yes: then the
    reference loader decides, which is correct, only slower.)"""
    return _PROPERTY_RE.search(text) is not None

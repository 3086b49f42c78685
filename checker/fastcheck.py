"""A compiled pre-check of a cerberus schema: True only when cerberus would find nothing.

Cerberus builds child validators for every nested mapping and list item, which makes it
the most expensive step of a check. Most files are valid, so this module compiles the
schema once into plain closures that answer one question: is the document certainly
valid? It is never more lenient than cerberus (where unsure it answers False), and it
never produces messages: a False sends the document to cerberus, which reports the
errors. tests/test_fastcheck.py checks the agreement on valid and mutated documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

Check = Callable[[Any], bool]

_KNOWN_RULES = {
    "type",
    "required",
    "nullable",
    "allowed",
    "regex",
    "min",
    "max",
    "minlength",
    "maxlength",
    "empty",
    "schema",
    "excludes",
    "condition",
    "regex_pattern",
}


def compile_schema(
    schema: dict[str, Any], custom_types: dict[str, Check], custom_rules: dict[str, Check]
) -> Check:
    """Compile a cerberus mapping schema; unknown rules are a programming error.

    The schema becomes Python source (one function per mapping, each field's rules
    inlined as straight-line tests), compiled once: a driver file's few hundred values
    then cost a few hundred comparisons, not a few thousand closure calls.
    """
    compiler = _Compiler(custom_types, custom_rules)
    entry = compiler.mapping(schema)
    namespace = dict(compiler.constants)
    exec(compile("\n".join(compiler.lines), "<fastcheck>", "exec"), namespace)
    check: Check = namespace[entry]
    return check


def compile_fields(
    schema: dict[str, Any], custom_types: dict[str, Check], custom_rules: dict[str, Check]
) -> dict[str, Check]:
    """One check per field of a mapping schema (True: cerberus finds nothing in it)."""
    compiler = _Compiler(custom_types, custom_rules)
    names = {key: compiler.item(rule) for key, rule in schema.items()}
    namespace = dict(compiler.constants)
    exec(compile("\n".join(compiler.lines), "<fastcheck>", "exec"), namespace)
    return {key: namespace[name] for key, name in names.items()}


_SIZED = "hasattr(x, '__len__')"  # collections.abc.Sized, without the ABC machinery
_INLINE_TYPES = {
    "string": "isinstance(x, str)",
    "integer": "(isinstance(x, int) and not isinstance(x, bool))",
    "number": "(isinstance(x, (int, float)) and not isinstance(x, bool))",
    "boolean": "isinstance(x, bool)",
    "date": "(isinstance(x, date) and not isinstance(x, datetime))",
    "list": "isinstance(x, list)",
    "dict": "isinstance(x, dict)",
}


class _Compiler:
    """Emits the source of the checks; constants (sets, patterns, custom rules) are
    passed by name, never spelled into the source."""

    def __init__(self, custom_types: dict[str, Check], rules: dict[str, Check]) -> None:
        self.types, self.rules = custom_types, rules
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {"date": date, "datetime": datetime, "_MISSING": object()}
        self.count = 0

    def const(self, value: Any) -> str:
        self.count += 1
        name = f"_c{self.count}"
        self.constants[name] = value
        return name

    def mapping(self, schema: dict[str, Any]) -> str:
        """A function that checks one mapping: returns its name."""
        body: list[str] = []
        required = frozenset(k for k, rule in schema.items() if rule.get("required"))
        body.append("if not isinstance(v, dict):\n    return False")
        if required:
            body.append(f"if not {self.const(required)} <= v.keys():\n    return False")
        body.append(f"if not v.keys() <= {self.const(frozenset(schema))}:\n    return False")
        for key, rule in schema.items():
            test = self.field(rule)
            body.append(f"x = v.get({key!r}, _MISSING)\nif x is not _MISSING:\n" + _indent(test))
            if "excludes" in rule:
                others = tuple(rule["excludes"])
                body.append(
                    f"if {key!r} in v and any(e in v for e in {self.const(others)}):\n"
                    "    return False"
                )
        body.append("return True")
        self.count += 1
        name = f"_mapping{self.count}"
        self.lines.append(f"def {name}(v):\n" + _indent("\n".join(body)))
        return name

    def field(self, rule: dict[str, Any]) -> str:
        """Statements that `return False` unless the value in `x` passes `rule`."""
        unknown = set(rule) - _KNOWN_RULES
        if unknown:
            raise ValueError(f"fastcheck does not know the rule(s) {sorted(unknown)}")
        tests: list[str] = []
        kind = rule.get("type")
        if kind is not None:
            names = kind if isinstance(kind, (list, tuple)) else [kind]
            alternatives = [
                f"{self.const(self.types[n])}(x)" if n in self.types else _INLINE_TYPES[n]
                for n in names
            ]
            tests.append(f"if not ({' or '.join(alternatives)}):\n    return False")
        if rule.get("empty") is False:
            tests.append(f"if {_SIZED} and len(x) == 0:\n    return False")
        if "allowed" in rule:
            # `in` on a tuple compares with ==, as cerberus does; lists are left to cerberus.
            allowed = self.const(tuple(rule["allowed"]))
            tests.append(f"if isinstance(x, (list, dict)) or x not in {allowed}:\n    return False")
        if "regex" in rule:
            pattern = rule["regex"]
            regex = self.const(re.compile(pattern if pattern.endswith("$") else pattern + "$"))
            tests.append(f"if isinstance(x, str) and {regex}.match(x) is None:\n    return False")
        for name, op in (("min", ">="), ("max", "<=")):
            if name in rule:
                bound = self.const(rule[name])
                # cerberus skips a rule it cannot compare; be conservative
                tests.append(
                    f"try:\n    if not (x {op} {bound}):\n        return False\n"
                    "except TypeError:\n    return False"
                )
        if "minlength" in rule:
            tests.append(f"if {_SIZED} and len(x) < {int(rule['minlength'])}:\n    return False")
        if "maxlength" in rule:
            tests.append(f"if {_SIZED} and len(x) > {int(rule['maxlength'])}:\n    return False")
        if "schema" in rule:
            inner = rule["schema"]
            if kind == "list":
                item = self.item(inner)
                tests.append(f"for y in x:\n    if not {item}(y):\n        return False")
            else:
                tests.append(f"if not {self.mapping(inner)}(x):\n    return False")
        for name in ("condition", "regex_pattern"):
            if rule.get(name):
                tests.append(f"if not {self.const(self.rules[name])}(x):\n    return False")
        nullable = bool(rule.get("nullable"))
        head = f"if x is None:\n    {'pass' if nullable else 'return False'}\n"
        if not tests:
            return head.rstrip("\n") if not nullable else "pass"
        return head + "else:\n" + _indent("\n".join(tests))

    def item(self, rule: dict[str, Any]) -> str:
        """A function that checks one list item against `rule`: returns its name."""
        self.count += 1
        name = f"_item{self.count}"
        test = self.field(rule)
        self.lines.append(f"def {name}(x):\n" + _indent(test + "\nreturn True"))
        return name


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.split("\n"))

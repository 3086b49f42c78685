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

from checker.load.codecache import compiled

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
    exec(compiled("\n".join(compiler.lines), "fastcheck"), namespace)
    check: Check = namespace[entry]
    return check


def compile_fields(
    schema: dict[str, Any], custom_types: dict[str, Check], custom_rules: dict[str, Check]
) -> dict[str, Check]:
    """One check per field of a mapping schema (True: cerberus finds nothing in it)."""
    compiler = _Compiler(custom_types, custom_rules)
    names = {key: compiler.item(rule) for key, rule in schema.items()}
    namespace = dict(compiler.constants)
    exec(compiled("\n".join(compiler.lines), "fastcheck-fields"), namespace)
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
# Exact types: stricter than cerberus (a subclass of str or int is left to it), never
# more lenient, and cheaper. Loaders give exactly these types. None fails every one.
_EXACT_TYPES = {
    "string": "type(x) is str",
    "integer": "type(x) is int",
    "boolean": "(x is True or x is False)",
    "date": "type(x) is date",
    "list": "type(x) is list",
    "dict": "type(x) is dict",
}
_SIZED_TYPES = ("string", "list", "dict")


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
        body = ["if type(v) is not dict:\n    return False", *self.mapping_body(schema)]
        body.append("return True")
        self.count += 1
        name = f"_mapping{self.count}"
        self.lines.append(f"def {name}(v):\n" + _indent("\n".join(body)))
        return name

    def mapping_body(self, schema: dict[str, Any]) -> list[str]:
        """Statements that `return False` unless the dict in `v` passes `schema`."""
        body: list[str] = []
        required = frozenset(k for k, rule in schema.items() if rule.get("required"))
        if required == frozenset(schema):  # exactly these keys: one comparison
            body.append(f"if v.keys() != {self.const(required)}:\n    return False")
        else:
            if required:
                body.append(f"if not {self.const(required)} <= v.keys():\n    return False")
            body.append(f"if not v.keys() <= {self.const(frozenset(schema))}:\n"
                        "    return False")
        for key, rule in schema.items():
            test = self.field(rule)
            if key in required:  # known to be there
                body.append(f"x = v[{key!r}]\n" + test)
            else:
                body.append(f"x = v.get({key!r}, _MISSING)\nif x is not _MISSING:\n"
                            + _indent(test))
            if "excludes" in rule:
                others = tuple(rule["excludes"])
                body.append(
                    f"if {key!r} in v and any(e in v for e in {self.const(others)}):\n"
                    "    return False"
                )
        return body

    def field(self, rule: dict[str, Any]) -> str:
        """Statements that `return False` unless the value in `x` passes `rule`."""
        unknown = set(rule) - _KNOWN_RULES
        if unknown:
            raise ValueError(f"fastcheck does not know the rule(s) {sorted(unknown)}")
        tests: list[str] = []
        kind = rule.get("type")
        names = [] if kind is None else kind if isinstance(kind, (list, tuple)) else [kind]
        # one type whose test fails for None and proves the exact type
        exact = names[0] if len(names) == 1 and names[0] in _EXACT_TYPES \
            and names[0] not in self.types else None
        if exact is not None:
            tests.append(f"if not {_EXACT_TYPES[exact]}:\n    return False")
        elif names:
            alternatives = [
                f"{self.const(self.types[n])}(x)" if n in self.types else _INLINE_TYPES[n]
                for n in names
            ]
            tests.append(f"if not ({' or '.join(alternatives)}):\n    return False")
        sized = "" if exact in _SIZED_TYPES else f"{_SIZED} and "
        if rule.get("empty") is False:
            tests.append(f"if {sized}len(x) == 0:\n    return False")
        if "allowed" in rule:
            # `in` on a tuple compares with ==, as cerberus does; lists are left to cerberus.
            allowed = self.const(tuple(rule["allowed"]))
            odd = "" if exact == "string" else "isinstance(x, (list, dict)) or "
            tests.append(f"if {odd}x not in {allowed}:\n    return False")
        if "regex" in rule:
            pattern = rule["regex"]
            regex = self.const(re.compile(pattern if pattern.endswith("$") else pattern + "$"))
            if exact == "string":
                # short strings that matched are remembered: every driver file repeats
                # the same months, dates and names (a set lookup, not a regex match)
                matched = self.const(set())
                tests.append(f"if x not in {matched}:\n"
                             f"    if {regex}.match(x) is None:\n        return False\n"
                             f"    if len(x) <= 32 and len({matched}) < 4096:\n"
                             f"        {matched}.add(x)")
            else:
                tests.append(f"if isinstance(x, str) and {regex}.match(x) is None:\n"
                             "    return False")
        for name, op in (("min", ">="), ("max", "<=")):
            if name in rule:
                bound = self.const(rule[name])
                if exact == "integer" and type(rule[name]) in (int, float):
                    tests.append(f"if not (x {op} {bound}):\n    return False")
                    continue
                # cerberus skips a rule it cannot compare; be conservative
                tests.append(
                    f"try:\n    if not (x {op} {bound}):\n        return False\n"
                    "except TypeError:\n    return False"
                )
        if "minlength" in rule:
            tests.append(f"if {sized}len(x) < {int(rule['minlength'])}:\n    return False")
        if "maxlength" in rule:
            tests.append(f"if {sized}len(x) > {int(rule['maxlength'])}:\n    return False")
        if "schema" in rule:
            inner = rule["schema"]
            if kind == "list":
                tests.append(f"if not {self.each(inner)}(x):\n    return False")
            else:
                tests.append(f"if not {self.mapping(inner)}(x):\n    return False")
        for name in ("condition", "regex_pattern"):
            if rule.get(name):
                tests.append(f"if not {self.const(self.rules[name])}(x):\n    return False")
        nullable = bool(rule.get("nullable"))
        if exact is not None:  # its type test refuses None
            if not nullable:
                return "\n".join(tests)
            return "if x is not None:\n" + _indent("\n".join(tests))
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

    def each(self, rule: dict[str, Any]) -> str:
        """A function that checks every item of a list against `rule`: returns its name.
        A list of mappings (most of a driver file's values) is checked in one loop."""
        self.count += 1
        name = f"_each{self.count}"
        if set(rule) == {"type", "schema"} and rule["type"] == "dict":
            body = ["if type(v) is not dict:\n    return False",
                    *self.mapping_body(rule["schema"])]
            loop = "for v in xs:\n" + _indent("\n".join(body))
        else:
            loop = f"for y in xs:\n    if not {self.item(rule)}(y):\n        return False"
        self.lines.append(f"def {name}(xs):\n" + _indent(loop + "\nreturn True"))
        return name


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.split("\n"))

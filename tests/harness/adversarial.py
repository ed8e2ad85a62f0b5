"""Adversarial text for regular expressions: long runs of the characters and pieces a pattern
is made of, the inputs that make a backtracking engine take quadratic or exponential time."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass
from types import ModuleType
from typing import Any

_parser: Any = importlib.import_module("re._parser")

# Characters mail text is made of and that regex classes overlap on.
FILLERS = (" ", "\u3000", "\t", "a", "1", "１", ".", "-", ">", "あ", "漢", "ア")
_CATEGORY = {"CATEGORY_DIGIT": "1", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "a"}


@dataclass(frozen=True)
class FoundPattern:
    """A compiled pattern of a module, and how the module applies it."""

    where: str  # module.NAME
    pattern: re.Pattern[Any]
    methods: frozenset[str]  # match / fullmatch / search (search stands for every scan)


def _pieces(pattern: re.Pattern[Any]) -> list[str]:
    """Literal runs and one member of each class of ``pattern``, longest first."""
    found: set[str] = set()

    def walk(tree: Any) -> None:
        run: list[str] = []
        for op, av in tree:
            name = op.name
            if name == "LITERAL":
                run.append(chr(av))
                continue
            if run:
                found.add("".join(run))
                run = []
            if name == "IN":
                for o, a in av:
                    if o.name == "LITERAL":
                        found.add(chr(a))
                    elif o.name == "RANGE":
                        found.add(chr(a[0]))
                    elif o.name == "CATEGORY":
                        found.add(_CATEGORY.get(a.name, "a"))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                walk(av[2])
            elif name == "SUBPATTERN":
                walk(av[-1])
            elif name == "ATOMIC_GROUP":
                walk(av)
            elif name == "BRANCH":
                for branch in av[1]:
                    walk(branch)
            elif name in ("ASSERT", "ASSERT_NOT"):
                walk(av[1])
        if run:
            found.add("".join(run))

    source = pattern.pattern
    if isinstance(source, bytes):
        source = source.decode("latin-1")
    walk(
        _parser.parse(
            source,
            pattern.flags & ~re.UNICODE if isinstance(pattern.pattern, bytes) else pattern.flags,
        )
    )
    return sorted(found, key=lambda p: (-len(p), p))


def _char(items: Any) -> str:
    """One character a class (the items of an IN node) accepts."""
    negated = any(o.name == "NEGATE" for o, _ in items)
    if negated:
        refused = {chr(a) for o, a in items if o.name == "LITERAL"}
        return next(c for c in ("a", "あ", "1", " ", "x") if c not in refused)
    for o, a in items:
        if o.name == "LITERAL":
            return chr(a)
        if o.name == "RANGE":
            return chr(a[0])
        if o.name == "CATEGORY":
            return _CATEGORY.get(a.name, "a")
    return "a"


def _walk(tree: Any, text: str, found: list[tuple[str, str]], budget: list[int]) -> str:
    """Extend ``text`` by a short match of ``tree``; record (text so far, repeated piece)
    before every repetition: the state from which a long run of that piece is fed."""
    for op, av in tree:
        if budget[0] <= 0:
            return text
        budget[0] -= 1
        name = op.name
        if name == "LITERAL":
            text += chr(av)
        elif name == "IN":
            text += _char(av)
        elif name == "ANY":
            text += "a"
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, body = av
            piece = _walk(body, "", [], [8])
            if piece:
                found.append((text, piece))
            for _ in range(max(low, 1)):
                text = _walk(body, text, found, budget)
        elif name == "SUBPATTERN":
            text = _walk(av[-1], text, found, budget)
        elif name == "ATOMIC_GROUP":
            text = _walk(av, text, found, budget)
        elif name == "BRANCH":
            for branch in av[1][1:4]:  # the others only to find their repetitions
                _walk(branch, text, found, [budget[0] // 4])
            text = _walk(av[1][0], text, found, budget)
    return text


def _states(pattern: re.Pattern[Any]) -> list[tuple[str, str]]:
    source = pattern.pattern
    flags = pattern.flags
    if isinstance(source, bytes):
        source, flags = source.decode("latin-1"), flags & ~re.UNICODE
    found: list[tuple[str, str]] = []
    _walk(_parser.parse(source, flags), "", found, [400])
    return list(dict.fromkeys(found))


def lines_for(pattern: re.Pattern[Any], size: int, max_pieces: int = 8) -> Iterator[str]:
    """Lines of about ``size`` characters to try ``pattern`` on: runs of common characters
    and of the pattern's pieces, and for every repetition the text that leads to it
    followed by a long run of what it repeats (``E-mail: ken@exa`` + letters)."""
    for c in FILLERS:
        yield c * size
    for piece in _pieces(pattern)[:max_pieces]:
        yield (piece * (size // len(piece) + 1))[:size]
        for f in (" ", "a"):
            yield piece + f * size
            yield (piece + f) * (size // (len(piece) + 1))
    for before, piece in _states(pattern)[:40]:
        run = (piece * (size // len(piece) + 1))[:size]
        yield before + run
        yield before + run + "\x00"


def _usage(module: ModuleType) -> tuple[set[str], dict[str, set[str]]]:
    """The names the module assigns at top level, and the methods called on each name or
    attribute in its source (``NAME.match(...)``, ``row.pattern.fullmatch(...)``)."""
    tree = ast.parse(inspect.getsource(module))
    own = {
        t.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Name)
    }
    used: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if isinstance(target, ast.Name):
                used.setdefault(target.id, set()).add(node.func.attr)
            elif isinstance(target, ast.Attribute):
                used.setdefault("." + target.attr, set()).add(node.func.attr)
    return own, used


def _compiled(value: Any, field: str = "", depth: int = 0) -> Iterator[tuple[str, re.Pattern[Any]]]:
    """The patterns in ``value``, each with the dataclass field it sits in ("" if none)."""
    if isinstance(value, re.Pattern):
        yield field, value
    elif depth < 3 and isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _compiled(v, field, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for v in (*value.keys(), *value.values()):
            yield from _compiled(v, field, depth + 1)
    elif depth < 3 and is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from _compiled(getattr(value, f.name), "." + f.name, depth + 1)


_ANCHORED = frozenset({"match", "fullmatch"})
_METHODS = _ANCHORED | {"search", "sub", "subn", "split", "findall", "finditer"}


def module_patterns(
    *packages: ModuleType, applied_as: dict[str, frozenset[str]] | None = None
) -> list[FoundPattern]:
    """Every compiled pattern at module level in ``packages`` (also inside tables of rows).

    A pattern the package only ever applies with ``match``/``fullmatch`` is tried so (a
    row's field: as that field is applied anywhere in the package); any other, or one whose
    use is not seen, is tried with a search, the costliest. ``applied_as`` names the uses
    the source does not show plainly (``for p in (A, B): p.match(...)``): "module.NAME".
    """
    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for package in packages
        for info in pkgutil.iter_modules(package.__path__)
    ]
    usage = {m.__name__: _usage(m) for m in modules}
    # Fields and public names are applied where they are imported too.
    shared: dict[str, set[str]] = {}
    for _own, used in usage.values():
        for key, methods in used.items():
            if not key.startswith("_"):
                shared.setdefault(key, set()).update(methods)
    out: dict[tuple[Any, int], FoundPattern] = {}
    for module in modules:
        own, used = usage[module.__name__]
        short = module.__name__.rsplit(".", 1)[-1]
        for name, value in vars(module).items():
            if name not in own:
                continue
            for field, pattern in _compiled(value):
                where = f"{short}.{name}"
                calls = (shared.get(field or name) or set()) | used.get(name, set())
                calls = set((applied_as or {}).get(where, calls)) & _METHODS
                methods = (
                    calls & _ANCHORED
                    if calls and calls <= _ANCHORED
                    else {"search", *(calls & _ANCHORED)}
                )
                out.setdefault(
                    (pattern.pattern, pattern.flags),
                    FoundPattern(where, pattern, frozenset(methods)),
                )
    return list(out.values())


def apply(found: FoundPattern, text: Any) -> None:
    """Run the pattern on ``text`` the way its module does."""
    p = found.pattern
    for method in found.methods:
        if method == "search":
            p.search(text)
            for _ in p.finditer(text):
                pass
        else:
            getattr(p, method)(text)

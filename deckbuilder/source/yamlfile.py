"""Read a YAML file into plain data that remembers where each mapping and key stood."""

from __future__ import annotations

import re
from typing import Any

import yaml

_Base: Any  # one of two loader classes
try:
    _Base = yaml.CSafeLoader  # libyaml's parser: several times faster than the pure-Python one
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader


class Mapping(dict):
    """A YAML mapping with the 1-based line and column of itself and of each key."""

    line = 0
    col = 0

    def __init__(self) -> None:
        super().__init__()
        self.key_marks: dict[object, tuple[int, int]] = {}
        self.duplicate_keys: list[tuple[object, int, int]] = []

    def mark(self, key: object) -> tuple[int, int]:
        return self.key_marks.get(key, (self.line, self.col))


class YAMLFileError(Exception):
    def __init__(self, line: int, col: int, message: str):
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
# Plain scalars stay text: `back: 1950` or `back: 1950-02-14` is an answer, not a number or a
# date. Only yes/no (booleans) and null keep their YAML meaning, in YAML 1.1's spellings.
_PLAIN_TAGS = {
    **dict.fromkeys("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF"
                    .split(), "tag:yaml.org,2002:bool"),
    **dict.fromkeys(["~", "null", "Null", "NULL", ""], "tag:yaml.org,2002:null"),
}


class _Loader(_Base):
    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:  # a plain scalar: one lookup, no regexes
            return _PLAIN_TAGS.get(value, _STR)
        return super().resolve(kind, value, implicit)

    def construct_object(self, node, deep=False):
        # An alias would be constructed a second time; refusing it stops "billion laughs" bombs
        # and keeps card data a tree.
        if node in self.constructed_objects:
            mark = node.start_mark
            raise YAMLFileError(mark.line + 1, mark.column + 1,
                                "YAML anchors and aliases (&, *) are not supported in card files")
        # Text, lists and mappings (nearly every node) directly; the rest (yes/no, null, explicit
        # tags such as !!binary) through PyYAML's constructors, which come back here for children.
        kind = type(node)
        if kind is yaml.ScalarNode and node.tag == _STR:
            data = self.constructed_objects[node] = node.value
        elif kind is yaml.SequenceNode and node.tag == _SEQ:
            data = self.constructed_objects[node] = []
            data.extend([self.construct_object(child) for child in node.value])
        elif kind is yaml.MappingNode and node.tag == _MAP:
            data = _mapping(self, node)
        else:
            data = super().construct_object(node, deep=True)
        return data


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Mapping:
    data = loader.constructed_objects[node] = Mapping()
    data.line, data.col = node.start_mark.line + 1, node.start_mark.column + 1
    # No flatten_mapping: merge keys (`!!merge <<`) need aliases, and flattening nested merges
    # copies key nodes exponentially before any alias could be refused.
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        try:
            hash(key)
        except TypeError:
            raise YAMLFileError(*mark, "a mapping key must be plain text") from None
        if key in data:
            data.duplicate_keys.append((key, *mark))
        data.key_marks[key] = mark
        data[key] = loader.construct_object(value_node)
    return data


# What YAML 1.1 accepts in a stream (its "printable" set); libyaml reports anything else by byte
# offset only, so we find it again to give a line and column. (Compiled on first use: 3 ms.)
_NOT_PRINTABLE = "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
# Card files are four levels deep; deeper only matters once it exhausts Python's stack.
_MAX_DEPTH = 100
_TOO_DEEP = f"YAML is nested more than {_MAX_DEPTH} levels deep; card files need no more than four"


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _too_deep(text: str | bytes) -> tuple[int, int]:
    """Where the nesting first goes past _MAX_DEPTH, found with the parser's flat event stream."""
    depth = 0
    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > _MAX_DEPTH:
                return event.start_mark.line + 1, event.start_mark.column + 1
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return 0, 0


def load(text: str | bytes):
    """Parse one YAML document; raise YAMLFileError with a 1-based position."""
    try:
        return yaml.load(text, Loader=_Loader)
    except YAMLFileError:
        raise
    except yaml.reader.ReaderError as e:
        if not isinstance(text, str):  # bytes: libyaml's own words (e.g. not UTF-8)
            raise YAMLFileError(0, 0, f"YAML error: {e}") from None
        bad = re.search(_NOT_PRINTABLE, text)
        line, col = _position(text, bad.start()) if bad else (0, 0)
        char = f"U+{ord(bad.group()):04X}" if bad else "a character"
        raise YAMLFileError(line, col, f"{char} is a control character, which YAML does not "
                            "allow; delete it (it is usually invisible in an editor)") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise YAMLFileError(line, col, _syntax_message(e, text, line, col)) from None
    except yaml.YAMLError as e:
        raise YAMLFileError(0, 0, f"YAML error: {e}") from None
    except RecursionError:
        raise YAMLFileError(*_too_deep(text), _TOO_DEEP) from None


def _syntax_message(error: yaml.MarkedYAMLError, text: str | bytes, line: int, col: int) -> str:
    """libyaml's wording, with the fix spelled out for the mistakes people make."""
    problem = error.problem or ""
    if "maximum nesting depth" in problem:
        return _TOO_DEEP
    if "another document" in problem:
        return "a card file is one YAML document; remove the '---' line that starts a second one"
    message = "YAML syntax error: " + (problem or "not valid YAML")
    context = error.context_mark
    if error.context and context and (context.line + 1, context.column + 1) != (line, col):
        message += f" ({error.context} at line {context.line + 1}, column {context.column + 1})"
    lines = text.split("\n", line) if line and isinstance(text, str) else []
    # libyaml may point one line past the end of the text (a file ending inside a '[').
    if 0 < line <= len(lines) and "\t" in lines[line - 1][:col]:
        message += " (a tab indents this line; YAML indents with spaces only)"
    return message

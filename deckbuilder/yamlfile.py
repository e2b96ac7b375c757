"""Read a YAML file into plain data that remembers where each mapping and key stood."""

from __future__ import annotations

import yaml

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


class _Loader(_Base):
    def construct_object(self, node, deep=False):
        # An alias would be constructed a second time; refusing it stops "billion laughs" bombs
        # and keeps card data a tree.
        if node in self.constructed_objects:
            mark = node.start_mark
            raise YAMLFileError(mark.line + 1, mark.column + 1,
                                "YAML anchors and aliases (&, *) are not supported in card files")
        return super().construct_object(node, deep=deep)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode):
    data = Mapping()
    data.line, data.col = node.start_mark.line + 1, node.start_mark.column + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        try:
            hash(key)
        except TypeError:
            raise YAMLFileError(*mark, "a mapping key must be plain text") from None
        if key in data:
            data.duplicate_keys.append((key, *mark))
        data.key_marks[key] = mark
        data[key] = loader.construct_object(value_node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)

# Plain scalars stay text: `back: 1950` or `back: 1950-02-14` is an answer, not a number or a
# date. Only yes/no (booleans) and null keep their YAML meaning.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


def load(text: str | bytes):
    """Parse one YAML document; raise YAMLFileError with a 1-based position."""
    try:
        return yaml.load(text, Loader=_Loader)
    except YAMLFileError:
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = " ".join(p for p in (e.context, e.problem) if p)
        raise YAMLFileError(line, col, f"YAML syntax error: {message}") from None
    except yaml.YAMLError as e:
        raise YAMLFileError(0, 0, f"YAML error: {e}") from None
    except RecursionError:
        raise YAMLFileError(0, 0, "YAML is nested too deeply") from None

"""The YAML loaders that parse a programme file, keeping each key's and item's line."""

from __future__ import annotations

from typing import Any

import yaml

from .programme import _kind, _LineDict, _LineList
from .yamlfile import FastSafeLoader


class Loader(FastSafeLoader):
    pass


class ExactLoader(yaml.SafeLoader):
    """The pure-Python loader with the same constructors: its errors name the right line."""


def _construct_mapping(loader: Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict | set):
            raise yaml.constructor.ConstructorError(
                None, None, f"a key cannot be {_kind(key)}; use a name", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: Loader, node: yaml.SequenceNode) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: Loader, node: yaml.ScalarNode) -> Any:
    """A date, or the text as written when it is not a real date (validation reports it)."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return str(node.value)


for loader_class in (Loader, ExactLoader):
    loader_class.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
    loader_class.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    loader_class.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence
    )

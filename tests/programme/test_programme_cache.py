"""The parsed programme is cached under the workspace by the file's hash; a changed file is
parsed again, and a damaged or tampered cache file is never trusted."""

from __future__ import annotations

import dataclasses
import marshal
import pickle

import pytest
import yaml
from imatter import yamlfile
from imatter.programme import Programme, load_programme
from imatter.programme_cache import CACHE_FOLDER, cached_programme

from ..conftest import PROGRAMME_FILE


def _cache_files(ws_path):
    return sorted((ws_path / CACHE_FOLDER).glob("programme-*.marshal"))


def test_the_programme_is_cached_and_read_back_equal(tmp_path):
    first = cached_programme(PROGRAMME_FILE, tmp_path)
    assert first == load_programme(PROGRAMME_FILE)
    [cache] = _cache_files(tmp_path)
    again = cached_programme(PROGRAMME_FILE, tmp_path)
    assert again == first and again is not first  # read from the cache file
    assert _cache_files(tmp_path) == [cache]


def test_a_cached_programme_is_not_parsed_again(tmp_path, monkeypatch):
    """The cache file is really read back (it once held a path its unpickler refused, so every
    read command parsed the file again)."""
    from imatter import programme_parse

    cached_programme(PROGRAMME_FILE, tmp_path)

    def parse(path):
        raise AssertionError(f"{path} was parsed again")

    monkeypatch.setattr(programme_parse, "parse", parse)
    copy = tmp_path / "elsewhere.yml"
    copy.write_bytes(PROGRAMME_FILE.read_bytes())
    assert cached_programme(PROGRAMME_FILE, tmp_path).source == PROGRAMME_FILE
    assert cached_programme(copy, tmp_path).source == copy  # same bytes, its own path


def test_a_changed_file_is_parsed_again(tmp_path):
    programme = tmp_path / "programme.yml"
    text = PROGRAMME_FILE.read_text(encoding="utf-8")
    programme.write_text(text, encoding="utf-8")
    before = cached_programme(programme, tmp_path)
    programme.write_text(text.replace(f"name: {before.name}", "name: Renamed", 1), "utf-8")
    after = cached_programme(programme, tmp_path)
    assert after.name == "Renamed"
    assert len(_cache_files(tmp_path)) == 1  # the stale one is gone


def test_a_broken_file_is_an_error_even_after_a_good_one_was_cached(tmp_path):
    from imatter.errors import ProgrammeError

    programme = tmp_path / "programme.yml"
    programme.write_text(PROGRAMME_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    cached_programme(programme, tmp_path)
    programme.write_text("schema: 1\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProgrammeError, match=r"programme.yml:\d+: not valid YAML"):
        cached_programme(programme, tmp_path)


class _Evil:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def _record(data: object) -> bytes:
    """A cache file for today's programme file and code, holding `data`."""
    from imatter.programme_cache import _code

    return marshal.dumps((PROGRAMME_FILE.read_bytes(), _code(), data))


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(_Evil()),  # would run code if unpickled
        _record(("c", "Evil", ())),  # a class that is not the programme's
        _record(("c", "Programme", ())),  # the right class, made wrongly
        _record(("m", {"not": "a programme"})),  # the wrong type
        _record(compile("import os", "x", "exec")),  # code: never run
        b"\x80\x05garbage",  # damaged
    ],
)
def test_a_tampered_cache_file_is_ignored(tmp_path, monkeypatch, payload):
    monkeypatch.chdir(tmp_path)
    cached_programme(PROGRAMME_FILE, tmp_path)
    [cache] = _cache_files(tmp_path)
    cache.write_bytes(payload)
    got = cached_programme(PROGRAMME_FILE, tmp_path)
    assert isinstance(got, Programme) and got == load_programme(PROGRAMME_FILE)
    assert not (tmp_path / "PWNED").exists()


def test_a_workspace_reads_its_programme_through_the_cache(ws):
    assert ws.programme == load_programme(PROGRAMME_FILE)
    assert len(_cache_files(ws.path)) == 1


def test_yaml_goes_through_libyaml_and_errors_stay_pure_pythons():
    assert yamlfile.FastSafeLoader is yaml.CSafeLoader
    text = "a: 1\nb: caf\u00e9 \x07\n"  # a control character after a non-ASCII one
    with pytest.raises(yaml.YAMLError) as ours:
        yamlfile.safe_load(text)
    with pytest.raises(yaml.YAMLError) as theirs:
        yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506
    assert yamlfile.problem(ours.value, text) == yamlfile.problem(theirs.value, text)
    assert yamlfile.problem(ours.value, text) == (
        2,
        "the character U+0007 is not allowed in YAML; delete it",
    )


def test_a_cache_file_for_other_bytes_under_the_same_name_is_not_used(tmp_path):
    """The name is only a CRC-32: what decides a hit is the bytes the file was parsed from (and
    the code that parsed them), kept in the cache file and compared exactly."""
    from imatter.programme_cache import _code, _encode

    cached_programme(PROGRAMME_FILE, tmp_path)
    [cache] = _cache_files(tmp_path)
    other = dataclasses.replace(load_programme(PROGRAMME_FILE), name="Not this programme")
    for record in (
        (b"other bytes", _code(), _encode(other)),  # a collision on the name
        (PROGRAMME_FILE.read_bytes(), b"older code", _encode(other)),  # parsed by other code
    ):
        cache.write_bytes(marshal.dumps(record))
        assert cached_programme(PROGRAMME_FILE, tmp_path).name != "Not this programme"

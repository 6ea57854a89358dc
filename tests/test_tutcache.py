"""The cache of validated tutorials (tutcache.py): a hit only for the same bytes, path and code."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from liqo_tutor import loader, tutcache

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LIQO_TUTOR_NO_CACHE", raising=False)
    shutil.copytree(REPO / "steps", tmp_path / "steps")
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    return tmp_path / "steps"


def test_second_load_is_the_cached_tutorial(copy: Path) -> None:
    first = loader.load("service-offloading", copy)
    entries = list(tutcache.cache_dir().glob("*.pickle"))
    assert len(entries) == 1 and entries[0].stat().st_mode & 0o777 == 0o600
    assert loader.load("service-offloading", copy) == first


def test_an_edited_file_is_validated_again(copy: Path) -> None:
    loader.load("service-offloading", copy)
    path = copy / "service-offloading.yaml"
    path.write_text(path.read_text().replace("title: Offloading a Service", "title: Offloading it"))
    assert loader.load("service-offloading", copy).title == "Offloading it"
    # A broken edit is reported, not hidden by an earlier good validation.
    path.write_text(path.read_text().replace("  - id: peer", "  - id: Peer!"))
    with pytest.raises(Exception, match="steps"):
        loader.load("service-offloading", copy)


def test_a_missing_manifest_is_a_miss(copy: Path) -> None:
    loader.load("service-offloading", copy)
    (copy.parent / "manifests" / "app.yaml").unlink()
    with pytest.raises(Exception, match="missing manifest app.yaml"):
        loader.load("service-offloading", copy)


def test_an_entry_others_could_write_is_ignored(copy: Path) -> None:
    first = loader.load("service-offloading", copy)
    (entry,) = tutcache.cache_dir().glob("*.pickle")
    os.chmod(entry, 0o666)
    path = copy / "service-offloading.yaml"
    key = tutcache.key(path, path.read_bytes(), loader.manifests_dir(path))
    assert entry.stem == key
    assert tutcache.get(key) is None
    assert loader.load("service-offloading", copy) == first  # validated again, and written anew
    assert tutcache.get(key) == first


def test_an_edit_inside_a_subpackage_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The code part of the key covers every module, subpackages included (an edit to verbs/run_pod.py
    once left a pickled model without its new field: an internal error at the consume step)."""
    pkg = tmp_path / "pkg"
    (pkg / "verbs").mkdir(parents=True)
    (pkg / "tutcache.py").write_text("")
    module = pkg / "verbs" / "run_pod.py"
    module.write_text("class RunPodModel: ...\n")
    monkeypatch.setattr(tutcache, "__file__", str(pkg / "tutcache.py"))
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    before = tutcache.key(tmp_path / "t.yaml", b"raw", manifests)
    assert tutcache.key(tmp_path / "t.yaml", b"raw", manifests) == before
    module.write_text("class RunPodModel:\n    command: bool = False\n")
    assert tutcache.key(tmp_path / "t.yaml", b"raw", manifests) != before

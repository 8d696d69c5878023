"""Atomic writes: all or nothing, with ordinary permissions."""

import os
import stat

import pytest

from seqcnn.io import atomic_dir, atomic_path, write_json


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.tsv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_written_file_has_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_json({"a": 1}, tmp_path / "x.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == 0o644
    assert (tmp_path / "x.json").read_text() == '{\n  "a": 1\n}\n'


def test_atomic_dir_replaces_only_on_success(tmp_path):
    target = tmp_path / "dataset"
    target.mkdir()
    (target / "old.txt").write_text("old")
    old = os.umask(0o022)
    try:
        with atomic_dir(target) as tmp:
            (tmp / "new.txt").write_text("new")
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o755

    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("killed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]
    assert (target / "new.txt").read_text() == "new" and not (target / "half.txt").exists()

"""ember.hub.download_url_to_file and the shared download helpers, on a fake network."""

import gzip
import hashlib
import io
import os
import tarfile
import time
import zipfile

import pytest

from ember.hub import download_url_to_file
from ember.utils._download import (
    download_from_mirrors,
    download_url,
    extract_archive,
    file_digest,
    placement_hint,
)

URL = "https://example.org/files/weights.bin"
PAYLOAD = bytes(range(256)) * 50


def test_download_url_to_file_checks_the_sha256_prefix(tmp_path, serve_urls):
    serve_urls({URL: PAYLOAD})
    dst = tmp_path / "sub" / "w.bin"
    download_url_to_file(URL, dst, hash_prefix=hashlib.sha256(PAYLOAD).hexdigest()[:8])
    assert dst.read_bytes() == PAYLOAD

    other = tmp_path / "other.bin"
    with pytest.raises(RuntimeError, match=r'invalid hash value \(expected "00000000", got "'):
        download_url_to_file(URL, other, hash_prefix="00000000", progress=False)
    assert os.listdir(tmp_path) == ["sub"]  # nothing half-written beside the target


def test_download_url_to_file_offline_fails_fast(tmp_path, offline):
    start = time.perf_counter()
    with pytest.raises(OSError, match="name resolution"):
        download_url_to_file(URL, tmp_path / "w.bin", progress=False)
    assert time.perf_counter() - start < 2.0
    assert offline == [URL]
    assert os.listdir(tmp_path) == []


def test_download_url_skips_a_verified_file_and_replaces_a_corrupt_one(tmp_path, serve_urls):
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    calls = serve_urls({URL: PAYLOAD})
    download_url(URL, tmp_path, md5=md5)
    assert (tmp_path / "weights.bin").read_bytes() == PAYLOAD
    download_url(URL, tmp_path, md5=md5)
    assert calls == [URL]  # the second call found the verified file

    (tmp_path / "weights.bin").write_bytes(b"truncated")
    download_url(URL, tmp_path, md5=md5)
    assert (tmp_path / "weights.bin").read_bytes() == PAYLOAD


def test_download_from_mirrors_lists_every_failure_and_the_hint(tmp_path, serve_urls):
    mirrors = ["https://a.example/x.tar.gz", "https://b.example/x.tar.gz"]
    serve_urls({mirrors[0]: b"not the archive"})
    hint = placement_hint(tmp_path, ["x.tar.gz"])
    with pytest.raises(RuntimeError) as info:
        download_from_mirrors(mirrors, tmp_path, "x.tar.gz", "0" * 32, hint)
    message = str(info.value)
    assert message.startswith("Error downloading x.tar.gz:")
    assert f"{mirrors[0]}: File not found or corrupted" in message
    assert f"{mirrors[1]}: " in message and "404" in message
    assert message.endswith(f"place these files in {tmp_path}:\n  x.tar.gz")
    assert os.listdir(tmp_path) == []


def _archives(tmp_path):
    members = {"d/a.txt": b"alpha", "d/b.txt": b"beta"}
    archives = []
    for name, mode in (("x.tar.gz", "w:gz"), ("x.tar.bz2", "w:bz2"), ("x.tar.xz", "w:xz")):
        archives.append(tmp_path / name)
        with tarfile.open(archives[-1], mode) as tar:
            for member, data in members.items():
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    archives.append(tmp_path / "x.zip")
    with zipfile.ZipFile(archives[-1], "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return members, archives


def test_extract_archive_tar_zip_and_gz(tmp_path):
    members, archives = _archives(tmp_path)
    for archive in archives:
        out = tmp_path / archive.name.replace(".", "_")
        assert extract_archive(archive, out) == out
        for name, data in members.items():
            assert (out / name).read_bytes() == data
    single = tmp_path / "c.bin.gz"
    single.write_bytes(gzip.compress(PAYLOAD))
    extract_archive(single, remove_finished=True)
    assert (tmp_path / "c.bin").read_bytes() == PAYLOAD
    assert not single.exists()
    with pytest.raises(RuntimeError, match="Unknown compression or archive type"):
        extract_archive(tmp_path / "c.bin")


def test_extract_archive_refuses_members_outside_the_target(tmp_path):
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(tarfile.OutsideDestinationError):
        extract_archive(evil, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_file_digest_matches_hashlib(tmp_path):
    path = tmp_path / "p.bin"
    path.write_bytes(PAYLOAD)
    for algorithm in ("md5", "sha256"):
        expected = hashlib.new(algorithm, PAYLOAD).hexdigest()
        assert file_digest(path, algorithm, chunk_size=100) == expected

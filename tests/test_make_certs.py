"""scripts/make_certs.py run again after the advised "keep ca.key offline" (docs/operations/engine-security.md):
it renews the certificates under the same CA with `--ca-key PATH`, and refuses, rather than making a
new CA that every program would reject, when `ca.pem` is there without its key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from scripts.make_certs import main, make_certs


def _verifies(folder: Path, leaf: str) -> None:
    """`leaf`.pem is signed by the folder's ca.pem (raises otherwise)."""
    ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    x509.load_pem_x509_certificate((folder / f"{leaf}.pem").read_bytes()).verify_directly_issued_by(ca)


def test_ca_pem_without_its_key_is_refused_not_replaced(tmp_path: Path) -> None:
    certs, offline = tmp_path / "certs", tmp_path / "offline"
    make_certs(certs)
    offline.mkdir()
    shutil.move(certs / "ca.key", offline / "ca.key")
    ca_before, worker_before = (certs / "ca.pem").read_bytes(), (certs / "worker.pem").read_bytes()
    with pytest.raises(SystemExit, match=r"ca\.key does not: .*--ca-key PATH.*--new-ca"):
        main([str(certs)])
    assert (certs / "ca.pem").read_bytes() == ca_before and not (certs / "ca.key").exists()
    assert (certs / "worker.pem").read_bytes() == worker_before  # nothing renewed under a stray CA


def test_the_offline_key_renews_the_certificates_under_the_same_ca(tmp_path: Path) -> None:
    certs, offline = tmp_path / "certs", tmp_path / "offline"
    make_certs(certs)
    offline.mkdir()
    shutil.move(certs / "ca.key", offline / "ca.key")
    ca_before, worker_before = (certs / "ca.pem").read_bytes(), (certs / "worker.pem").read_bytes()
    main([str(certs), "--ca-key", str(offline / "ca.key")])
    assert (certs / "ca.pem").read_bytes() == ca_before
    assert not (certs / "ca.key").exists()  # the key stays where it is kept
    assert (certs / "worker.pem").read_bytes() != worker_before
    for leaf in ("server", "worker", "api", "ui", "admin"):
        _verifies(certs, leaf)


def test_a_wrong_key_or_a_key_without_a_ca_or_both_flags_are_refused(tmp_path: Path) -> None:
    certs, other = tmp_path / "certs", tmp_path / "other"
    make_certs(certs)
    make_certs(other)
    with pytest.raises(SystemExit, match="is not the key of"):
        main([str(certs), "--ca-key", str(other / "ca.key")])
    with pytest.raises(SystemExit, match="does not exist"):
        main([str(tmp_path / "empty"), "--ca-key", str(other / "ca.key")])
    with pytest.raises(SystemExit, match="--new-ca makes a new CA key"):
        main([str(certs), "--new-ca", "--ca-key", str(certs / "ca.key")])


def test_new_ca_replaces_it_and_a_fresh_folder_gets_one(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    main([str(certs)])
    assert isinstance(make_certs(certs).key, ec.EllipticCurvePrivateKey)  # kept: ca.key beside ca.pem
    before = (certs / "ca.pem").read_bytes()
    (certs / "ca.key").unlink()
    main([str(certs), "--new-ca"])
    assert (certs / "ca.pem").read_bytes() != before and (certs / "ca.key").exists()
    _verifies(certs, "worker")

"""The certificates of mutual TLS to Temporal (issue 24 §2): `python -m scripts.make_certs <folder>`.

Makes, in `folder`:
- `ca.pem` / `ca.key`: the install's own certificate authority (10 years). Temporal trusts client
  certificates it signed and the clients trust the server certificate it signed. Kept when it
  exists, so running the script again renews the other certificates under the same CA (rotation,
  docs/operations/engine-security.md); `--new-ca` replaces it. With `ca.key` kept offline as
  advised, `--ca-key PATH` signs with it; `ca.pem` without its key and without `--ca-key` is
  refused (it used to make a new CA silently, shutting every program out).
- `server.pem` / `server.key`: Temporal's frontend, for the names `temporal` (the compose
  service), `localhost` and `127.0.0.1` (and any `--san`).
- `worker.pem` / `api.pem` / `ui.pem` / `admin.pem` (with their `.key`): client certificates, one
  per program (admin: the `temporal` CLI inside the server's container), so one can be replaced
  without the others.

Keys are ECDSA P-256 (fast handshakes, accepted by Temporal's Go TLS stack), written 0600.
Leaf certificates last `--days` (825 by default, the longest browsers accept for a server).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAMES = ("temporal", "localhost", "127.0.0.1")
CLIENTS = ("worker", "api", "ui", "admin")  # admin: the server's own CLI (auto-setup, health, attributes)
CA_DAYS = 3650
LEAF_DAYS = 825


@dataclass(frozen=True)
class Issued:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Customer approvals"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # a little clock skew between hosts
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def make_ca(common_name: str = "Customer approvals Temporal CA", days: int = CA_DAYS) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(_name(common_name), _name(common_name), key.public_key(), days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert)


def _alt_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def issue(ca: Issued, common_name: str, *, server_names: tuple[str, ...] = (), days: int = LEAF_DAYS) -> Issued:
    """A leaf signed by `ca`: a server certificate for `server_names`, else a client certificate.
    The server's is a client certificate too: Temporal's services call each other with it (internode)."""
    key = ec.generate_private_key(ec.SECP256R1())
    client = ExtendedKeyUsageOID.CLIENT_AUTH
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, client] if server_names else [client]
    builder = (
        _builder(_name(common_name), ca.cert.subject, key.public_key(), days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if server_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_alt_name(n) for n in server_names]), critical=False
        )
    return Issued(key, builder.sign(ca.key, hashes.SHA256()))


def _write(folder: Path, stem: str, issued: Issued) -> None:
    (folder / f"{stem}.pem").write_bytes(issued.cert.public_bytes(serialization.Encoding.PEM))
    key_file = folder / f"{stem}.key"
    key_file.touch(mode=0o600)
    os.chmod(key_file, 0o600)
    key_file.write_bytes(
        issued.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def _existing_ca(folder: Path, ca_key: Path | None = None) -> Issued | None:
    """The folder's CA, its key from `ca_key` (kept offline) or else `ca.key` beside it; None when
    the folder has no CA yet. A CA certificate without its key is refused, never replaced."""
    cert_file, key_file = folder / "ca.pem", ca_key or folder / "ca.key"
    if not cert_file.exists():
        if ca_key is not None:
            raise SystemExit(f"--ca-key given but {cert_file} does not exist: put the CA's certificate there")
        return None
    if not key_file.exists():
        raise SystemExit(
            f"{cert_file} exists but its key {key_file} does not: give the CA's key kept offline with "
            "--ca-key PATH, or replace the CA with --new-ca (every program then needs the new ca.pem)"
        )
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SystemExit(f"{key_file} is not an EC key made by this script")
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if cert.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        raise SystemExit(f"{key_file} is not the key of {cert_file}")
    return Issued(key, cert)


def make_certs(
    folder: Path,
    *,
    server_names: tuple[str, ...] = SERVER_NAMES,
    clients: tuple[str, ...] = CLIENTS,
    days: int = LEAF_DAYS,
    new_ca: bool = False,
    ca_key: Path | None = None,
) -> Issued:
    """Write the CA (kept if present, unless `new_ca`), the server's and the clients' certificates;
    `ca_key`: the kept CA's key, wherever it is kept (not copied into `folder`)."""
    if new_ca and ca_key is not None:
        raise SystemExit("--new-ca makes a new CA key: --ca-key is for keeping the CA")
    folder.mkdir(parents=True, exist_ok=True)
    ca = None if new_ca else _existing_ca(folder, ca_key)
    if ca is None:
        ca = make_ca()
        _write(folder, "ca", ca)
    _write(folder, "server", issue(ca, server_names[0], server_names=server_names, days=days))
    for client in clients:
        _write(folder, client, issue(ca, client, days=days))
    return ca


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="where the certificates go (e.g. deploy/certs)")
    parser.add_argument("--san", action="append", default=[], help="another name of the Temporal server")
    parser.add_argument("--days", type=int, default=LEAF_DAYS, help="how long the server and client certificates last")
    parser.add_argument("--new-ca", action="store_true", help="replace the CA (every program needs the new ca.pem)")
    parser.add_argument("--ca-key", type=Path, help="the CA's key where it is kept offline (ca.pem stays in folder)")
    args = parser.parse_args(argv)
    make_certs(
        args.folder,
        server_names=(*SERVER_NAMES, *args.san),
        days=args.days,
        new_ca=args.new_ca,
        ca_key=args.ca_key,
    )
    print(f"certificates written to {args.folder} (keep ca.key offline; it signs the next ones: --ca-key PATH)")


if __name__ == "__main__":
    main()

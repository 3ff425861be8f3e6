"""`vigil certs --out DIR`: a local development CA, a server certificate and a client certificate (for mutual
TLS), made with the `cryptography` library. For development and a home network only: use your own CA (or a
public one) in production.

Files: ca.pem (give to clients: VIGIL_TLS_CA / --tls-ca / grpcurl -cacert), ca-key.pem (keep it), server.pem
and server-key.pem (VIGIL_TLS_CERT / VIGIL_TLS_KEY), client.pem and client-key.pem (VIGIL_TLS_CLIENT_CERT /
VIGIL_TLS_CLIENT_KEY, when the server sets VIGIL_TLS_CLIENT_CA=ca.pem). Private keys are written 0600.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clients.cli import exit_codes
from clients.cli.context import Context

DAYS = 825  # the longest validity clients accept for a leaf certificate


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    certs = commands.add_parser("certs", help="make a development CA, server and client certificates (TLS)")
    certs.add_argument("--out", default="certs", help="directory to write to (default: ./certs)")
    certs.add_argument(
        "--host", action="append", default=[], help="an extra DNS name or IP address of the server (repeatable)"
    )
    certs.add_argument("--force", action="store_true", help="overwrite existing files")
    certs.set_defaults(run=_certs)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vigil development"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _alt_names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def make_certificates(out: Path, extra_hosts: list[str] | None = None, *, force: bool = False) -> list[Path]:
    """Write the CA, server and client certificates and keys into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        n: out / n for n in ("ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem")
    }
    existing = [p for p in files.values() if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{existing[0]} exists (use --force to replace)")
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=DAYS)

    ca_key = _key()
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Vigil development CA"))
        .issuer_name(_name("Vigil development CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(
        common_name: str, usage: x509.ObjectIdentifier, hosts: list[str]
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = _key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        if hosts:
            builder = builder.add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), critical=False)
        return builder.sign(ca_key, hashes.SHA256()), key

    server_hosts = ["localhost", "127.0.0.1", "::1", socket.gethostname(), *(extra_hosts or [])]
    server, server_key = leaf("vigil-server", ExtendedKeyUsageOID.SERVER_AUTH, server_hosts)
    client, client_key = leaf("vigil-client", ExtendedKeyUsageOID.CLIENT_AUTH, [])

    def write_cert(path: Path, cert: x509.Certificate) -> None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
        data = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o600)

    write_cert(files["ca.pem"], ca)
    write_key(files["ca-key.pem"], ca_key)
    write_cert(files["server.pem"], server)
    write_key(files["server-key.pem"], server_key)
    write_cert(files["client.pem"], client)
    write_key(files["client-key.pem"], client_key)
    return list(files.values())


def _certs(ctx: Context) -> int:
    out = Path(ctx.args.out)
    try:
        make_certificates(out, ctx.args.host, force=ctx.args.force)
    except FileExistsError as exc:
        print(f"vigil: {exc}", file=ctx.err)
        return exit_codes.USAGE
    ctx.print(f"wrote {out}/ca.pem, server.pem, server-key.pem, client.pem, client-key.pem (and ca-key.pem)")
    ctx.print(f"server:  VIGIL_TLS_CERT={out}/server.pem VIGIL_TLS_KEY={out}/server-key.pem")
    ctx.print(f"         (mutual TLS: VIGIL_TLS_CLIENT_CA={out}/ca.pem)")
    ctx.print(f"clients: VIGIL_TLS_CA={out}/ca.pem  (mutual TLS: VIGIL_TLS_CLIENT_CERT={out}/client.pem "
              f"VIGIL_TLS_CLIENT_KEY={out}/client-key.pem)")  # fmt: skip
    return exit_codes.OK

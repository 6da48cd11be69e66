#!/usr/bin/python3
"""Python's view of a minica certificate, for tests/cmd/verifiers.sh.

usage: verify_cryptography.py CA-PEM LEAF-PEM HOST

Debian 12's python3-cryptography (38) parses X.509 with its own Rust DER
parser but has no path validation API (cryptography.x509.verification came in
42), so this does what a relying party does for a one-level chain, with that
library's parser and signature primitives: the CA is a self-signed CA
certificate; the leaf's issuer is the CA's subject, its authority key
identifier is the CA's subject key identifier, and its signature verifies
with the CA's public key; both are within their validity; the leaf is an
end entity for TLS servers (keyUsage digitalSignature, EKU serverAuth); HOST
(DNS name or IP address) is one of its subjectAltNames; and when the CA has
name constraints, every DNS name of the leaf is inside a permitted subtree.
Prints "ok" or "fail: REASON" (exit 1).
"""
import datetime
import ipaddress
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class Reject(Exception):
    pass


def load(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def ext(cert, kind):
    try:
        return cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def check_signature(issuer, cert):
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes,
                       padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
        else:
            raise Reject("unsupported issuer key %s" % type(key).__name__)
    except InvalidSignature:
        raise Reject("signature of %s does not verify with the key of %s"
                     % (cert.subject.rfc4514_string(), issuer.subject.rfc4514_string()))


def in_subtree(name, base):
    name, base = name.lower().rstrip("."), base.lower().lstrip(".")
    return name == base or name.endswith("." + base)


def check(ca, leaf, host, now):
    # The CA: self-signed, a CA, allowed to sign certificates.
    if ca.subject != ca.issuer:
        raise Reject("the CA is not self-issued")
    check_signature(ca, ca)
    bc = ext(ca, x509.BasicConstraints)
    if bc is None or not bc.critical or not bc.value.ca:
        raise Reject("the CA has no critical basicConstraints CA:TRUE")
    ku = ext(ca, x509.KeyUsage)
    if ku is None or not ku.value.key_cert_sign:
        raise Reject("the CA's keyUsage lacks keyCertSign")

    # The leaf: issued and signed by that CA.
    if leaf.issuer != ca.subject:
        raise Reject("issuer %s is not the CA %s" % (leaf.issuer.rfc4514_string(), ca.subject.rfc4514_string()))
    aki = ext(leaf, x509.AuthorityKeyIdentifier)
    ski = ext(ca, x509.SubjectKeyIdentifier)
    if aki is None or ski is None or aki.value.key_identifier != ski.value.digest:
        raise Reject("the leaf's authority key identifier is not the CA's subject key identifier")
    check_signature(ca, leaf)

    for cert, what in ((ca, "CA"), (leaf, "leaf")):
        if not cert.not_valid_before <= now <= cert.not_valid_after:
            raise Reject("the %s is not valid now (%s .. %s)" % (what, cert.not_valid_before, cert.not_valid_after))
    if leaf.not_valid_after > ca.not_valid_after:
        raise Reject("the leaf outlives the CA")

    # A TLS server certificate.
    bc = ext(leaf, x509.BasicConstraints)
    if bc is not None and bc.value.ca:
        raise Reject("the leaf is a CA")
    ku = ext(leaf, x509.KeyUsage)
    if ku is not None and not ku.value.digital_signature:
        raise Reject("the leaf's keyUsage lacks digitalSignature")
    eku = ext(leaf, x509.ExtendedKeyUsage)
    if eku is not None and ExtendedKeyUsageOID.SERVER_AUTH not in eku.value:
        raise Reject("the leaf's extendedKeyUsage lacks serverAuth")

    # The host name or address.
    san = ext(leaf, x509.SubjectAlternativeName)
    if san is None:
        raise Reject("the leaf has no subjectAltName")
    dns = [n.lower() for n in san.value.get_values_for_type(x509.DNSName)]
    ips = san.value.get_values_for_type(x509.IPAddress)
    try:
        if ipaddress.ip_address(host) not in ips:
            raise Reject("IP address %s is not in the subjectAltName %s" % (host, ips))
    except ValueError:
        if host.lower() not in dns:
            raise Reject("host %s is not in the subjectAltName %s" % (host, dns))

    # Name constraints (RFC 5280 4.2.1.10): DNS names in the SAN, and a CN that
    # looks like a host name, as browsers and OpenSSL check it.
    nc = ext(ca, x509.NameConstraints)
    if nc is not None:
        if not nc.critical:
            raise Reject("the CA's nameConstraints is not critical")
        permitted = [s.value for s in (nc.value.permitted_subtrees or []) if isinstance(s, x509.DNSName)]
        excluded = [s.value for s in (nc.value.excluded_subtrees or []) if isinstance(s, x509.DNSName)]
        names = list(dns)
        names += [a.value for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME) if "." in a.value]
        for name in names:
            if permitted and not any(in_subtree(name, b) for b in permitted):
                raise Reject("%s is outside the permitted subtrees %s" % (name, permitted))
            if any(in_subtree(name, b) for b in excluded):
                raise Reject("%s is inside an excluded subtree" % name)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ca, leaf = load(sys.argv[1]), load(sys.argv[2])
    try:
        check(ca, leaf, sys.argv[3], datetime.datetime.utcnow())
    except Reject as e:
        print("fail: %s" % e)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""An RFC 5280 profile lint of certificates, for tests/cmd/verifiers.sh.

usage: lint5280.py ISSUER-PEM CERT-PEM [CERT-PEM...]

Debian 12 packages no X.509 linter (x509lint, zlint, pkilint, certlint are
not in bookworm), so this one checks what such linters check for a private CA,
with Debian's python3-pyasn1-modules (the RFC 5280 ASN.1 module) as the
parser, independent of OpenSSL:

- the certificate and every extension value decode with the RFC 5280 ASN.1
  definitions and re-encode to the same bytes (DER: minimal lengths, no
  explicit DEFAULT values such as critical FALSE, sorted named bits);
- the rules of RFC 5280 section 4 that a CA MUST follow (RFC 5480 / RFC 4055 /
  RFC 5758 for algorithm parameters), each reported with its section.

Each finding is one line: "CERT: ERROR|WARN rule: text". Exit 1 when there
is an ERROR. WARN is for SHOULDs and for choices that are fine for a private
CA but that public CAs may not make.
"""
import hashlib
import re
import sys
from datetime import datetime, timezone

from pyasn1.codec.der import decoder, encoder
from pyasn1.type import univ
from pyasn1_modules import pem, rfc3279, rfc5280

RSA = univ.ObjectIdentifier("1.2.840.113549.1.1.1")
EC = univ.ObjectIdentifier("1.2.840.10045.2.1")
CURVES = {"1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384", "1.3.132.0.35": "P-521"}
RSA_SIGS = {"1.2.840.113549.1.1.11": "sha256", "1.2.840.113549.1.1.12": "sha384",
            "1.2.840.113549.1.1.13": "sha512", "1.2.840.113549.1.1.5": "sha1"}
EC_SIGS = {"1.2.840.10045.4.3.2": "sha256", "1.2.840.10045.4.3.3": "sha384",
           "1.2.840.10045.4.3.4": "sha512", "1.2.840.10045.4.1": "sha1"}
KU_BITS = ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
           "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"]
LDH_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.I)
PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?]*$")
NULL_DER = b"\x05\x00"


class Lint:
    def __init__(self, name):
        self.name = name
        self.errors = 0
        self.findings = []

    def error(self, rule, text):
        self.errors += 1
        self.findings.append("%s: ERROR %s: %s" % (self.name, rule, text))

    def warn(self, rule, text):
        self.findings.append("%s: WARN %s: %s" % (self.name, rule, text))


def read_pem(path):
    with open(path) as f:
        der = pem.readPemFromFile(f, "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----")
    if not der:
        sys.exit("%s: no PEM certificate" % path)
    return der


def decode_der(lint, der, spec, what):
    """Decode with the ASN.1 definition; the DER encoding must round-trip."""
    try:
        value, rest = decoder.decode(der, asn1Spec=spec)
    except Exception as e:  # pyasn1 raises several error types
        lint.error("asn1_decode", "%s does not decode as RFC 5280 ASN.1: %s" % (what, e))
        return None
    if rest:
        lint.error("asn1_trailing", "%s has %d bytes after its end" % (what, len(rest)))
    if encoder.encode(value) != der:
        lint.error("der_canonical", "%s is not DER (re-encoding gives other bytes)" % what)
    return value


def time_value(lint, t, what):
    kind = t.getName()
    s = str(t.getComponent())
    if kind == "utcTime":
        if not re.fullmatch(r"\d{12}Z", s):
            lint.error("4.1.2.5.1_utctime", "%s %s: UTCTime must be YYMMDDHHMMSSZ" % (what, s))
            return None
        when = datetime.strptime(s, "%y%m%d%H%M%SZ").replace(tzinfo=timezone.utc)
        if when.year >= 2050:
            lint.error("4.1.2.5.1_utctime", "%s %s: UTCTime for a year after 2049" % (what, s))
    else:
        if not re.fullmatch(r"\d{14}Z", s):
            lint.error("4.1.2.5.2_generalizedtime", "%s %s: GeneralizedTime must be YYYYMMDDHHMMSSZ" % (what, s))
            return None
        when = datetime.strptime(s, "%Y%m%d%H%M%SZ").replace(tzinfo=timezone.utc)
        if when.year < 2050:
            lint.error("4.1.2.5_time_choice", "%s %s: dates before 2050 must be UTCTime" % (what, s))
    return when


def check_name(lint, name, what):
    """RFC 5280 4.1.2.4/4.1.2.6: DirectoryString as PrintableString or UTF8String."""
    rdns = name["rdnSequence"]
    for rdn in rdns:
        for atv in rdn:
            raw = bytes(atv["value"])
            tag = raw[0]
            oid = str(atv["type"])
            if tag == 0x13:
                text = decoder.decode(raw)[0]
                if not PRINTABLE.match(str(text)):
                    lint.error("4.1.2.6_printable", "%s %s: PrintableString with characters outside its set" % (what, oid))
            elif tag == 0x0C:
                try:
                    text = bytes(decoder.decode(raw)[0]).decode("utf-8")
                except UnicodeDecodeError:
                    lint.error("4.1.2.6_utf8", "%s %s: invalid UTF-8" % (what, oid))
                    continue
            elif tag == 0x16 and oid in ("1.2.840.113549.1.9.1", "0.9.2342.19200300.100.1.25"):
                continue  # emailAddress and domainComponent are IA5String
            else:
                lint.error("4.1.2.6_string_type", "%s %s: string tag 0x%02x is neither PrintableString nor UTF8String" % (what, oid, tag))
                continue
            if oid == "2.5.4.3" and not 1 <= len(str(text)) <= 64:
                lint.error("a.1_ub_common_name", "%s CN has %d characters (1..64)" % (what, len(str(text))))
    return len(rdns)


def check_dns_name(lint, dns, where):
    if dns in ("", " "):
        lint.error("4.2.1.6_dns_empty", "%s: empty dNSName" % where)
        return
    if dns.endswith(".") or len(dns) > 253:
        lint.error("4.2.1.6_dns_syntax", "%s: %r is not a preferred name syntax host name" % (where, dns))
        return
    labels = dns.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    for label in labels:
        if not LDH_LABEL.match(label):
            lint.error("4.2.1.6_dns_syntax", "%s: %r has an invalid label %r" % (where, dns, label))
            return


def lint_cert(path, issuer_der):
    der = read_pem(path)
    lint = Lint(path)
    cert = decode_der(lint, der, rfc5280.Certificate(), "the certificate")
    if cert is None:
        return lint
    tbs = cert["tbsCertificate"]
    self_issued = der == issuer_der
    issuer_cert = decoder.decode(issuer_der, asn1Spec=rfc5280.Certificate())[0]
    issuer_tbs = issuer_cert["tbsCertificate"]

    # 4.1.2.1: extensions need v3.
    if int(tbs["version"]) != 2:
        lint.error("4.1.2.1_version", "version is v%d, extensions need v3" % (int(tbs["version"]) + 1))

    # 4.1.2.2: serial positive, at most 20 octets.
    serial = int(tbs["serialNumber"])
    if serial <= 0:
        lint.error("4.1.2.2_serial_positive", "serial number %d is not positive" % serial)
    if len(encoder.encode(tbs["serialNumber"])) - 2 > 20:
        lint.error("4.1.2.2_serial_length", "serial number longer than 20 octets")

    # 4.1.1.2 / 4.1.2.3: the same algorithm inside and outside; parameters per RFC 4055 / RFC 5758.
    if encoder.encode(tbs["signature"]) != encoder.encode(cert["signatureAlgorithm"]):
        lint.error("4.1.1.2_sig_alg_match", "signatureAlgorithm differs from tbsCertificate.signature")
    sig_oid = str(cert["signatureAlgorithm"]["algorithm"])
    params = cert["signatureAlgorithm"]["parameters"]
    has_params = params.isValue
    if sig_oid in RSA_SIGS:
        if not has_params or bytes(params) != NULL_DER:
            lint.error("rfc4055_rsa_sig_params", "RSA signature algorithm parameters must be NULL")
        digest = RSA_SIGS[sig_oid]
    elif sig_oid in EC_SIGS:
        if has_params:
            lint.error("rfc5758_ecdsa_sig_params", "ECDSA signature algorithm parameters must be absent")
        digest = EC_SIGS[sig_oid]
    else:
        lint.error("sig_alg_known", "unexpected signature algorithm %s" % sig_oid)
        digest = None
    if digest == "sha1":
        lint.warn("sig_sha1", "SHA-1 signature (only for Windows Server 2003 without KB938397)")

    # 4.1.2.4 / 4.1.2.6: names.
    if check_name(lint, tbs["issuer"], "issuer") == 0:
        lint.error("4.1.2.4_issuer_empty", "issuer is an empty name")
    subject_rdns = check_name(lint, tbs["subject"], "subject")
    if encoder.encode(tbs["issuer"]) != encoder.encode(issuer_tbs["subject"]):
        lint.error("4.1.2.4_issuer_match", "issuer is not the issuer certificate's subject")

    # 4.1.2.5: validity.
    nb = time_value(lint, tbs["validity"]["notBefore"], "notBefore")
    na = time_value(lint, tbs["validity"]["notAfter"], "notAfter")
    if nb and na and nb >= na:
        lint.error("4.1.2.5_validity_order", "notBefore is not before notAfter")
    if not self_issued:
        ina = time_value(Lint("issuer"), issuer_tbs["validity"]["notAfter"], "issuer notAfter")
        if na and ina and na > ina:
            lint.warn("validity_within_ca", "notAfter is after the CA's notAfter")

    # 4.1.2.7: the public key (RFC 3279 / RFC 5480).
    spki = tbs["subjectPublicKeyInfo"]
    key_oid = spki["algorithm"]["algorithm"]
    kparams = spki["algorithm"]["parameters"]
    key_bits = spki["subjectPublicKey"].asOctets()
    key_type = None
    if key_oid == RSA:
        key_type = "rsa"
        if not kparams.isValue or bytes(kparams) != NULL_DER:
            lint.error("rfc3279_rsa_key_params", "rsaEncryption parameters must be NULL")
        rsa_key = decode_der(lint, key_bits, rfc3279.RSAPublicKey(), "the RSA public key")
        if rsa_key is not None:
            n, e = int(rsa_key["modulus"]), int(rsa_key["publicExponent"])
            if n.bit_length() < 2048:
                lint.error("rsa_key_size", "RSA key of %d bits (at least 2048)" % n.bit_length())
            if e < 3 or e % 2 == 0:
                lint.error("rsa_exponent", "RSA public exponent %d" % e)
    elif key_oid == EC:
        key_type = "ec"
        try:
            curve = str(decoder.decode(bytes(kparams), asn1Spec=univ.ObjectIdentifier())[0])
        except Exception:
            curve = None
        if curve not in CURVES:
            lint.error("rfc5480_named_curve", "EC key without a named NIST curve (P-256, P-384, P-521)")
        if key_bits[:1] != b"\x04":
            lint.error("rfc5480_uncompressed", "EC point is not in uncompressed form")
    else:
        lint.error("key_alg_known", "unexpected key algorithm %s" % key_oid)

    # 4.1.2.8: no unique identifiers.
    if tbs["issuerUniqueID"].isValue or tbs["subjectUniqueID"].isValue:
        lint.error("4.1.2.8_unique_ids", "conforming CAs must not generate unique identifiers")

    # 4.2: extensions.
    exts = {}
    for e in tbs["extensions"] if tbs["extensions"].isValue else []:
        oid = e["extnID"]
        if oid in exts:
            lint.error("4.2_duplicate_extension", "extension %s appears twice" % oid)
        spec = rfc5280.certificateExtensionsMap.get(oid)
        crit = bool(e["critical"])
        if spec is None:
            if crit:
                lint.error("4.2_unknown_critical", "unknown critical extension %s" % oid)
            else:
                lint.warn("4.2_unknown", "extension %s not linted" % oid)
            continue
        value = decode_der(lint, e["extnValue"].asOctets(), spec, "extension %s" % oid)
        exts[oid] = (crit, value)

    bc_crit, bc = exts.get(rfc5280.id_ce_basicConstraints, (None, None))
    is_ca = bc is not None and bool(bc["cA"])
    ku_crit, ku = exts.get(rfc5280.id_ce_keyUsage, (None, None))
    ku_set = {KU_BITS[i] for i, bit in enumerate(ku) if bit} if ku is not None else set()

    # 4.2.1.1 authority key identifier.
    aki_crit, aki = exts.get(rfc5280.id_ce_authorityKeyIdentifier, (None, None))
    if aki is None:
        if not self_issued:
            lint.error("4.2.1.1_aki_missing", "no authorityKeyIdentifier (MUST unless self-signed)")
        else:
            lint.warn("4.2.1.1_aki_missing", "self-signed CA without authorityKeyIdentifier")
    else:
        if aki_crit:
            lint.error("4.2.1.1_aki_critical", "authorityKeyIdentifier must be non-critical")
        if not aki["keyIdentifier"].isValue:
            lint.error("4.2.1.1_aki_keyid", "authorityKeyIdentifier without keyIdentifier")
        issuer_ski = None
        for e in issuer_tbs["extensions"]:
            if e["extnID"] == rfc5280.id_ce_subjectKeyIdentifier:
                issuer_ski = bytes(decoder.decode(e["extnValue"].asOctets(), asn1Spec=rfc5280.SubjectKeyIdentifier())[0])
        if aki["keyIdentifier"].isValue and bytes(aki["keyIdentifier"]) != issuer_ski:
            lint.error("4.2.1.1_aki_matches_ski", "authorityKeyIdentifier is not the issuer's subjectKeyIdentifier")
        if aki["authorityCertIssuer"].isValue or aki["authorityCertSerialNumber"].isValue:
            lint.warn("4.2.1.1_aki_issuer_serial", "authorityKeyIdentifier names issuer and serial: a re-signed CA would break the chain")

    # 4.2.1.2 subject key identifier.
    ski_crit, ski = exts.get(rfc5280.id_ce_subjectKeyIdentifier, (None, None))
    if ski is None:
        (lint.error if is_ca else lint.warn)("4.2.1.2_ski_missing", "no subjectKeyIdentifier")
    else:
        if ski_crit:
            lint.error("4.2.1.2_ski_critical", "subjectKeyIdentifier must be non-critical")
        if len(bytes(ski)) == 0:
            lint.error("4.2.1.2_ski_empty", "empty subjectKeyIdentifier")
        elif bytes(ski) != hashlib.sha1(key_bits).digest():
            lint.warn("4.2.1.2_ski_method", "subjectKeyIdentifier is not the SHA-1 of the public key (method 1)")

    # 4.2.1.3 key usage.
    if ku is None:
        (lint.error if is_ca else lint.warn)("4.2.1.3_ku_missing", "no keyUsage")
    else:
        if not ku_set:
            lint.error("4.2.1.3_ku_empty", "keyUsage with no bit set")
        if not ku_crit:
            lint.warn("4.2.1.3_ku_critical", "keyUsage SHOULD be critical")
        if "keyCertSign" in ku_set and not is_ca:
            lint.error("4.2.1.3_keycertsign_ca", "keyCertSign without basicConstraints cA TRUE")
        if is_ca and "keyCertSign" not in ku_set:
            lint.error("4.2.1.3_ca_keycertsign", "CA without keyCertSign")
        if key_type == "ec" and ku_set & {"keyEncipherment", "dataEncipherment"}:
            lint.error("rfc5480_ec_ku", "EC key with keyEncipherment or dataEncipherment (RFC 5480 section 3)")
        if key_type == "rsa" and "keyAgreement" in ku_set:
            lint.error("rfc3279_rsa_ku", "RSA key with keyAgreement")

    # 4.2.1.6 subject alternative name.
    san_crit, san = exts.get(rfc5280.id_ce_subjectAltName, (None, None))
    if subject_rdns == 0 and (san is None or not san_crit):
        lint.error("4.2.1.6_san_critical", "empty subject without a critical subjectAltName")
    if san is not None:
        if len(san) == 0:
            lint.error("4.2.1.6_san_empty", "subjectAltName with no name")
        if san_crit and subject_rdns:
            lint.warn("4.2.1.6_san_critical", "subjectAltName is critical although the subject is not empty")
        for gn in san:
            kind = gn.getName()
            if kind == "dNSName":
                dns = str(gn.getComponent())
                check_dns_name(lint, dns, "subjectAltName")
                if "." not in dns:
                    lint.warn("internal_name", "unqualified host name %r: fine for a private CA (Exchange lists short names), refused by public CAs" % dns)
            elif kind == "iPAddress":
                if len(bytes(gn.getComponent())) not in (4, 16):
                    lint.error("4.2.1.6_ip_length", "iPAddress of %d octets" % len(bytes(gn.getComponent())))
            elif kind not in ("rfc822Name", "uniformResourceIdentifier", "directoryName"):
                lint.warn("4.2.1.6_name_type", "subjectAltName of type %s" % kind)
    elif not is_ca:
        lint.error("san_missing", "end-entity certificate without subjectAltName (TLS clients match only the SAN)")

    # 4.2.1.9 basic constraints.
    if is_ca:
        if not bc_crit:
            lint.error("4.2.1.9_bc_critical", "CA certificate with non-critical basicConstraints")
    elif bc is not None and bc["pathLenConstraint"].isValue:
        lint.error("4.2.1.9_pathlen", "pathLenConstraint without cA TRUE")
    if not is_ca and self_issued:
        lint.warn("self_signed_leaf", "self-signed end-entity certificate")

    # 4.2.1.10 name constraints.
    nc_crit, nc = exts.get(rfc5280.id_ce_nameConstraints, (None, None))
    if nc is not None:
        if not is_ca:
            lint.error("4.2.1.10_nc_ca_only", "nameConstraints in a certificate that is not a CA")
        if not nc_crit:
            lint.error("4.2.1.10_nc_critical", "nameConstraints must be critical")
        if not nc["permittedSubtrees"].isValue and not nc["excludedSubtrees"].isValue:
            lint.error("4.2.1.10_nc_empty", "nameConstraints with neither permitted nor excluded subtrees")
        for which in ("permittedSubtrees", "excludedSubtrees"):
            if not nc[which].isValue:
                continue
            for sub in nc[which]:
                if int(sub["minimum"]) != 0 or sub["maximum"].isValue:
                    lint.error("4.2.1.10_min_max", "GeneralSubtree minimum must be 0 and maximum absent")
                base = sub["base"]
                if base.getName() == "dNSName":
                    check_dns_name(lint, str(base.getComponent()).lstrip("."), "nameConstraints")
                elif base.getName() == "iPAddress" and len(bytes(base.getComponent())) not in (8, 32):
                    lint.error("4.2.1.10_ip_length", "iPAddress constraint of %d octets" % len(bytes(base.getComponent())))

    # 4.2.1.12 extended key usage.
    eku_crit, eku = exts.get(rfc5280.id_ce_extKeyUsage, (None, None))
    if eku is not None:
        if len(eku) == 0:
            lint.error("4.2.1.12_eku_empty", "extendedKeyUsage with no purpose")
        if eku_crit:
            lint.warn("4.2.1.12_eku_critical", "critical extendedKeyUsage")
    elif not is_ca:
        lint.warn("4.2.1.12_eku_missing", "end-entity certificate without extendedKeyUsage")
    return lint


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    issuer_der = read_pem(sys.argv[1])
    errors = 0
    for path in sys.argv[2:]:
        lint = lint_cert(path, issuer_der)
        for line in lint.findings:
            print(line)
        errors += lint.errors
        print("%s: %s" % (path, "%d errors" % lint.errors if lint.errors else "clean"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

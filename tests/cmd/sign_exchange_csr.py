#!/usr/bin/python3
"""Write a certificate request shaped like the ones Exchange makes.

openssl req can only add attributes as plain strings, so this builds the
PKCS#10 structure itself (standard library only) with the attributes that
New-ExchangeCertificate -GenerateRequest puts in a request: OS version
(1.3.6.1.4.1.311.13.2.3), client info (1.3.6.1.4.1.311.21.20), enrollment
CSP (1.3.6.1.4.1.311.13.2.2) and an extension request with SAN, keyUsage,
extendedKeyUsage and a certificate template name (1.3.6.1.4.1.311.20.2).
The CN is a BMPString, as older Windows enrollment code writes it. The
signature is made by 'openssl dgst' with the given RSA key.

usage: sign_exchange_csr.py KEY.pem OUT.der CN [DNS...] [--sha1] [--ms-extreq]
"""
import subprocess
import sys


def der(tag, body):
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def seq(*parts):
    return der(0x30, b"".join(parts))


def set_of(*parts):
    return der(0x31, b"".join(sorted(parts)))


def oid(dotted):
    nums = [int(x) for x in dotted.split(".")]
    body = bytes([40 * nums[0] + nums[1]])
    for n in nums[2:]:
        chunk = [n & 0x7F]
        n >>= 7
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        body += bytes(reversed(chunk))
    return der(0x06, body)


def integer(n):
    return der(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big"))


def utf8(s):
    return der(0x0C, s.encode())


def ia5(s):
    return der(0x16, s.encode("ascii"))


def bmp(s):
    return der(0x1E, s.encode("utf-16-be"))


def bits(b, unused=0):
    return der(0x03, bytes([unused]) + b)


def ext(dotted, value, critical=False):
    parts = [oid(dotted)]
    if critical:
        parts.append(der(0x01, b"\xff"))
    parts.append(der(0x04, value))
    return seq(*parts)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sha1 = "--sha1" in sys.argv
    ms_extreq = "--ms-extreq" in sys.argv
    key, out, cn, dns = args[0], args[1], args[2], args[3:]
    spki = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                          check=True, capture_output=True).stdout
    subject = seq(set_of(seq(oid("2.5.4.3"), bmp(cn))))
    san = seq(*[der(0x82, d.encode()) for d in dns])
    extensions = seq(
        ext("2.5.29.17", san),
        ext("2.5.29.15", bits(b"\xa0", 5), critical=True),
        ext("2.5.29.37", seq(oid("1.3.6.1.5.5.7.3.1"))),
        ext("1.3.6.1.4.1.311.20.2", bmp("WebServer")),
    )
    attributes = [
        seq(oid("1.3.6.1.4.1.311.13.2.3"), set_of(ia5("6.0.6002.2"))),
        seq(oid("1.3.6.1.4.1.311.21.20"), set_of(seq(
            integer(5), utf8("HUB1.corp.example"), utf8("CORP\\Administrator"),
            utf8("powershell.exe")))),
        seq(oid("1.3.6.1.4.1.311.13.2.2"), set_of(seq(
            integer(1), bmp("Microsoft RSA SChannel Cryptographic Provider"), bits(b"")))),
        seq(oid("1.3.6.1.4.1.311.2.1.14" if ms_extreq else "1.2.840.113549.1.9.14"),
            set_of(extensions)),
    ]
    info = seq(integer(0), subject, spki, der(0xA0, b"".join(sorted(attributes))))
    digest = "-sha1" if sha1 else "-sha256"
    signature = subprocess.run(["openssl", "dgst", digest, "-sign", key], input=info,
                               check=True, capture_output=True).stdout
    alg = seq(oid("1.2.840.113549.1.1.5" if sha1 else "1.2.840.113549.1.1.11"), der(0x05, b""))
    with open(out, "wb") as f:
        f.write(seq(info, alg, bits(signature)))


if __name__ == "__main__":
    main()

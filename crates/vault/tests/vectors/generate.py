#!/usr/bin/env python3
"""Regenerate the vault test vectors independently of the Rust code.

aad.json, seal.json: the associated-data encoding and fixed-nonce seals.
shares.json: recovery share lines (GF(256), polynomial 0x11d, as blahaj) of a
fixed key. identity.json: an identity line and its fingerprint.

The AAD encoding is rebuilt here from its description (every part a u32
big-endian length plus bytes); XChaCha20-Poly1305 is HChaCha20 (written out
below, draft-irtf-cfrg-xchacha §2.2) followed by the IETF ChaCha20-Poly1305
of the `cryptography` package. Run: python3 generate.py (writes *.json here).
"""
import base64
import hashlib
import hmac
import json
import struct
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


def part(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b


def aad(purpose, table, field, customer, record, version, domain, key_version):
    label = {"field": b"vantay-aad-v1/field", "blob": b"vantay-aad-v1/blob"}[purpose]
    return b"".join([
        part(label), part(table.encode()), part(field.encode()),
        part(uuid.UUID(customer).bytes), part(uuid.UUID(record).bytes),
        part(struct.pack(">I", version)), part(domain.encode()),
        part(struct.pack(">I", key_version)),
    ])


def rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    s = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13)
        quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12)
        quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha_seal(key, nonce24, ad, plaintext):
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).encrypt(b"\0" * 4 + nonce24[16:], plaintext, ad)


PLACES = [
    dict(purpose="field", table="customers", field="full_name",
         customer="0190f3a2-7c4e-7d10-8000-000000000001",
         record="0190f3a2-7c4e-7d10-8000-0000000000aa",
         version=1, domain="customer-data", key_version=1),
    dict(purpose="blob", table="images", field="print:R1",
         customer="0190f3a2-7c4e-7d10-8000-000000000002",
         record="0190f3a2-7c4e-7d10-8000-0000000000bb",
         version=3, domain="customer-data", key_version=2),
    dict(purpose="field", table="", field="",
         customer="00000000-0000-0000-0000-000000000000",
         record="00000000-0000-0000-0000-000000000000",
         version=0, domain="images", key_version=4294967295),
]


# --- GF(256) with the 0x11d polynomial (the field blahaj uses) -------------

def gf_mul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11D
        b >>= 1
    return r


def share_lines(master: bytes, k: int, n: int):
    """Shamir shares of `master` with fixed (not random) coefficients: a
    vector pins the format and the field, not the randomness."""
    kcv = hmac.new(master, b"vantay master key check value v1", hashlib.sha256).digest()[:8]
    coeffs = [[(7 * i + 13 * j + 1) % 256 for j in range(1, k)] for i in range(len(master))]
    lines = []
    for x in range(1, n + 1):
        ys = []
        for secret_byte, cs in zip(master, coeffs):
            acc, power = secret_byte, 1
            for c in cs:
                power = gf_mul(power, x)
                acc ^= gf_mul(c, power)
            ys.append(acc)
        body = f"vantay-share-{x}-of-{n}-k{k}:{kcv.hex()}:{x:02x}{bytes(ys).hex()}"
        lines.append(body + ":" + hashlib.sha256(body.encode()).digest()[:4].hex())
    return lines


def fingerprint(line: str) -> str:
    tag, _name, recipient, ed = line.split()
    vk = base64.b64decode(ed.removeprefix("ed25519:"))
    digest = hashlib.sha256(part(tag.encode()) + part(recipient.encode()) + part(vk)).digest()
    h = digest[:10].hex().upper()
    return "-".join(h[i:i + 4] for i in range(0, 20, 4))


# A line made once by `CentreKeys::generate("centre-hanoi")`; the fingerprint
# is computed here from its text.
IDENTITY_LINE = ("vantay-id1 centre-hanoi age15jkdfkweexr2sjfcdxr8d253f2jm9p4y7ymcqn4l0trr6kwk9dls3jtaed "
                 "ed25519:7ZG5DtEBEYhGkK0HT273vBnymXGlMjrYnBlTMenOOS0=")


def write_keys(here: Path):
    master = bytes(range(0x40, 0x60))
    (here / "shares.json").write_text(json.dumps(dict(
        master_key=master.hex(), k=3, n=5, lines=share_lines(master, 3, 5)), indent=2) + "\n")
    (here / "identity.json").write_text(json.dumps(dict(
        line=IDENTITY_LINE, fingerprint=fingerprint(IDENTITY_LINE)), indent=2) + "\n")


def main():
    here = Path(__file__).parent
    aad_vectors = [dict(p, aad=aad(**p).hex()) for p in PLACES]
    (here / "aad.json").write_text(json.dumps(aad_vectors, indent=2, ensure_ascii=False) + "\n")

    key = bytes(range(0x80, 0xA0))
    seals = []
    for place, nonce_byte, plaintext in [
        (PLACES[0], 0x11, "Nguyễn Thị Hồng Nhung".encode()),
        (PLACES[1], 0x22, bytes(range(256)) * 4),
        (PLACES[2], 0x33, b""),
    ]:
        nonce = bytes([nonce_byte]) * 24
        sealed = b"\x01" + nonce + xchacha_seal(key, nonce, aad(**place), plaintext)
        seals.append(dict(place, key=key.hex(), nonce=nonce.hex(),
                          plaintext=plaintext.hex(), sealed=sealed.hex()))
    (here / "seal.json").write_text(json.dumps(seals, indent=2) + "\n")
    write_keys(here)


if __name__ == "__main__":
    main()

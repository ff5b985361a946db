#!/usr/bin/env python3
# Regenerate the 3DES vectors of tests/triple_des.rs with pysnmp's
# independent implementation of draft-reeder-snmpv3-usm-3desede-00 (the
# net-snmp 5.9.3 packaged here has no 3DES):
#
#   python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pysnmp==7.1.30 cryptography
#   /tmp/venv/bin/python usm/tests/pysnmp-3des-vectors.py
import pysnmp.proto.secmod.rfc3414  # noqa: F401 (breaks an import cycle)
from pyasn1.type import univ
from pysnmp.proto.secmod.eso.priv.des3 import Des3
from pysnmp.proto.secmod.rfc3414.auth import hmacmd5, hmacsha
from pysnmp.proto.secmod.rfc7860.auth import hmacsha2

engine_id = univ.OctetString(hexValue="000000000000000000000002")
password = "maplesyrup"
protos = [
    ("Md5", hmacmd5.HmacMd5.SERVICE_ID),
    ("Sha1", hmacsha.HmacSha.SERVICE_ID),
    ("Sha224", hmacsha2.HmacSha2.SHA224_SERVICE_ID),
    ("Sha256", hmacsha2.HmacSha2.SHA256_SERVICE_ID),
]
des3 = Des3()
keys = {}
for name, oid in protos:
    keys[name] = des3.localize_key(oid, des3.hash_passphrase(oid, password), engine_id)
    print(f"{name} localized 3DES key {bytes(keys[name]).hex()}")

# ScopedPDU: contextEngineID, contextName, GetRequest(request-id 0x57d3c5ab,
# sysDescr.0 = NULL). 48 bytes with an empty contextName (a multiple of 8),
# 51 with contextName "ctx".
for context in [b"", b"ctx"]:
    pdu = bytes.fromhex("a01c020457d3c5ab020100020100300e300c06082b060102010101000500")
    body = bytes.fromhex("040c000000000000000000000002") + bytes([4, len(context)]) + context + pdu
    plaintext = bytes([0x30, len(body)]) + body
    Des3.local_int = 0x0A0B0C0D
    ct, params = des3.encrypt_data(univ.OctetString(keys["Sha1"]), (7, 0, None), plaintext)
    print(f"plaintext {plaintext.hex()}")
    print(f"  SHA-1 key, boots 7, msgPrivacyParameters {bytes(params).hex()}")
    print(f"  ciphertext {bytes(ct).hex()}")
    back = des3.decrypt_data(univ.OctetString(keys["Sha1"]), (7, 0, params), ct)
    assert bytes(back).startswith(plaintext)

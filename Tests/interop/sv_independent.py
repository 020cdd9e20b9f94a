#!/usr/bin/env python3
"""Independent reader for SarahVault vaults, written from docs/FORMAT.md alone.

Nothing here was derived from the Swift sources; every rule cites the section of
FORMAT.md it implements. Requires PyNaCl (libsodium) and the standard library.

    sv_independent.py decrypt VAULT IDENTITY PASSPHRASE_FILE OUTDIR
    sv_independent.py verify  VAULT [--size N]
    sv_independent.py pubkey  IDENTITY
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import sqlite3
import struct
import sys
import urllib.parse

from nacl import bindings as nb
from nacl import pwhash
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey


class FormatError(Exception):
    pass


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def b2b256(b: bytes, key: bytes = b"") -> bytes:
    # §2: crypto_generichash, 32-byte output, optionally keyed.
    return hashlib.blake2b(b, digest_size=32, key=key).digest()


def short(s) -> bytes:
    # §1: u8 length || UTF-8 bytes
    if isinstance(s, str):
        s = s.encode("utf-8")
    if len(s) > 255:
        raise FormatError("short string longer than 255 bytes")
    return bytes([len(s)]) + s


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def u64(n: int) -> bytes:
    return struct.pack(">Q", n)


B32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def b32enc(b: bytes) -> str:
    # §1: RFC 4648 base32, lowercase alphabet, no padding.
    return base64.b32encode(b).decode("ascii").lower().rstrip("=")


def b32dec(s: str) -> bytes:
    if any(c not in B32_ALPHABET for c in s):
        raise FormatError("character outside the base32 alphabet")
    bits = 0
    nbits = 0
    out = bytearray()
    for c in s:
        bits = (bits << 5) | B32_ALPHABET.index(c)
        nbits += 5
        if nbits >= 8:
            nbits -= 8
            out.append((bits >> nbits) & 0xFF)
    if bits & ((1 << nbits) - 1):
        raise FormatError("non-zero trailing bits")
    return bytes(out)


# ---------------------------------------------------------------- §4 keys

def key_id(x: bytes, e: bytes) -> str:
    return sha256(b"sarahvault/v1/key-id" + x + e)[:8].hex()


def pubkey_token(x: bytes, e: bytes) -> str:
    checksum = sha256(b"svpk1" + x + e)[:4]
    return "svpk1" + b32enc(x + e + checksum)


def parse_token(tok: str):
    if not tok.startswith("svpk1"):
        raise FormatError("token prefix")
    body = tok[5:]
    if len(body) != 109:
        raise FormatError("token length")
    raw = b32dec(body)
    if len(raw) != 68:
        raise FormatError("token payload length")
    x, e, ck = raw[:32], raw[32:64], raw[64:]
    if sha256(b"svpk1" + x + e)[:4] != ck:
        raise FormatError("token checksum")
    return x, e


# ---------------------------------------------------------------- §3 identity

ID_HEADER = 126
MAX_OPSLIMIT = 32
MAX_MEMLIMIT = 4 * 1024 ** 3


class Identity:
    pass


def read_identity_header(path):
    with open(path, "rb") as f:
        data = f.read(4097)
    if len(data) > 4096:
        raise FormatError("identity file larger than 4096 bytes")
    # header + sealed(32 X25519 secret + 32 seed + name + 16 tag)
    if len(data) < ID_HEADER + 64 + 16:
        raise FormatError("identity file too short")
    if data[0:4] != b"SVID":
        raise FormatError("identity magic")
    if data[4] != 1:
        raise FormatError("identity format version %d" % data[4])
    if data[5] != 2:
        raise FormatError("identity KDF algorithm %d" % data[5])
    ops, mem = struct.unpack(">QQ", data[6:22])
    ident = Identity()
    ident.raw = data
    ident.opslimit, ident.memlimit = ops, mem
    ident.salt = data[22:38]
    ident.nonce = data[38:62]
    ident.box_pk = data[62:94]
    ident.sign_pk = data[94:126]
    ident.sealed = data[126:]
    return ident


def read_passphrase(path) -> bytes:
    with open(path, "rb") as f:
        pw = f.read()
    # §3: "without a trailing \n / \r\n" -- one line ending is removed.
    if pw.endswith(b"\r\n"):
        pw = pw[:-2]
    elif pw.endswith(b"\n"):
        pw = pw[:-1]
    return pw


def open_identity(path, passphrase: bytes) -> Identity:
    ident = read_identity_header(path)
    if ident.opslimit > MAX_OPSLIMIT or ident.memlimit > MAX_MEMLIMIT:
        raise FormatError("identity KDF limits too large (hostile file?)")
    key = pwhash.argon2id.kdf(32, passphrase, ident.salt,
                              opslimit=ident.opslimit, memlimit=ident.memlimit)
    try:
        pt = nb.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ident.sealed, ident.raw[:ID_HEADER], ident.nonce, key)
    except CryptoError:
        raise FormatError("wrong passphrase or damaged identity file")
    if len(pt) < 64:
        raise FormatError("identity plaintext too short")
    ident.box_sk = pt[:32]
    ident.seed = pt[32:64]
    ident.name = pt[64:].decode("utf-8")
    if nb.crypto_scalarmult_base(ident.box_sk) != ident.box_pk:
        raise FormatError("X25519 public key does not match secret")
    epk, _esk = nb.crypto_sign_seed_keypair(ident.seed)
    if epk != ident.sign_pk:
        raise FormatError("Ed25519 public key does not match seed")
    return ident


# ---------------------------------------------------------------- §8 audit entries

ROLE_CODES = {"registrar": 1, "investigator": 2, "unit-manager": 3,
              "officer": 4, "auditor": 5, "board": 6}


class Entry:
    pass


class Reader:
    def __init__(self, b: bytes):
        self.b = b
        self.p = 0

    def take(self, n):
        if self.p + n > len(self.b):
            raise FormatError("truncated entry")
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def short(self):
        return self.take(self.u8()).decode("utf-8")

    def long(self):
        return self.take(self.u16()).decode("utf-8")


def parse_entry(b: bytes) -> Entry:
    r = Reader(b)
    e = Entry()
    e.raw = b
    if r.take(4) != b"SVAE":
        raise FormatError("entry magic")
    if r.u8() != 1:
        raise FormatError("entry version")
    e.vault_id = r.take(16)
    e.seq = r.u64()
    e.time_ms = r.i64()
    e.key_id = r.take(8).hex()
    e.sign_pk = r.take(32)
    e.role = r.u8()
    if e.role > 6:
        raise FormatError("unknown role code %d" % e.role)
    e.result = r.u8()
    if e.result not in (0, 1):
        raise FormatError("result %d" % e.result)
    e.action = r.short()
    e.case_id = r.short() or None
    e.flags = r.u8()
    if e.flags & ~7:
        raise FormatError("flags above bit 2 set")
    e.doc = e.version = None
    if e.flags & 1:
        e.doc = r.u32()
        e.version = r.u32()
    e.data_hash = r.take(32) if e.flags & 2 else None
    e.key_hash = r.take(32) if e.flags & 4 else None
    e.detail = r.long()
    e.prev = r.take(32)
    e.signed = b[:r.p]
    e.signature = r.take(64)
    if r.p != len(b):
        raise FormatError("trailing bytes after signature")
    e.leaf = sha256(b"\x00" + b)
    return e


def verify_sig(e: Entry) -> bool:
    # §8: Ed25519 (crypto_sign_verify_detached) over every byte before the signature.
    # (PyNaCl has no nacl.bindings.crypto_sign_verify_detached; VerifyKey is the same check.)
    try:
        VerifyKey(e.sign_pk).verify(e.signed, e.signature)
        return True
    except BadSignatureError:
        return False


# ---------------------------------------------------------------- §10 Merkle tree

def merkle_root(leaves):
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


# ---------------------------------------------------------------- §7 chunk stream

CHUNK = 65536
TAG = 16


def ciphertext_hash(sealed_chunks, fmt) -> bytes:
    # §7: H(H(sealed_0) || ... || H(sealed_n-1)); H = SHA-256 in format 2, BLAKE2b-256 in format 1.
    H = sha256 if fmt == 2 else b2b256
    return H(b"".join(H(c) for c in sealed_chunks))


def detail_value(detail: str, name: str):
    # §8: space-separated name=value pairs.
    for pair in detail.split(" "):
        k, sep, v = pair.partition("=")
        if sep and k == name:
            return v
    return None


def open_stream(K: bytes, binding: bytes, sealed_chunks) -> bytes:
    n = len(sealed_chunks)
    if n == 0:
        raise FormatError("stream has no chunks")
    out = []
    for i, c in enumerate(sealed_chunks):
        final = i == n - 1
        if not final and len(c) != CHUNK + TAG:
            raise FormatError("non-final chunk %d is %d bytes" % (i, len(c)))
        if final and not (TAG <= len(c) <= CHUNK + TAG):
            raise FormatError("final chunk %d is %d bytes" % (i, len(c)))
        nonce = bytes(15) + u64(i) + (b"\x01" if final else b"\x00")
        try:
            out.append(nb.crypto_aead_xchacha20poly1305_ietf_decrypt(c, binding, nonce, K))
        except CryptoError:
            raise FormatError("chunk %d fails to open" % i)
    if n > 1 and len(out[-1]) == 0:
        raise FormatError("empty final chunk in a multi-chunk stream")
    return b"".join(out)


# ---------------------------------------------------------------- vault access

def connect(path):
    if not os.path.exists(path):
        raise FormatError("no such vault: %s" % path)
    db = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(path)), uri=True)
    db.text_factory = lambda b: b.decode("utf-8")
    return db


def as_bytes(v):
    if v is None:
        return None
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, int):
        return bytes([v])
    if isinstance(v, str):
        return v.encode("utf-8")
    raise FormatError("unexpected column value %r" % (v,))


def vault_id_of(db):
    row = db.execute("SELECT value FROM meta WHERE name = 'vault_id'").fetchone()
    if row is None:
        raise FormatError("meta.vault_id missing")
    vid = as_bytes(row[0])
    if len(vid) != 16:
        raise FormatError("meta.vault_id is %d bytes" % len(vid))
    return vid


def format_of(db):
    # §5: meta.format is one byte, 0x02 (or 0x01 for a format-1 vault); refuse anything else.
    fmt = db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
    value = as_bytes(fmt[0]) if fmt is not None else None
    if value not in (b"\x01", b"\x02"):
        raise FormatError("meta.format is neither 0x01 nor 0x02: %r" % (fmt,))
    return value[0]


def load_entries(db, vault_id, upto=None):
    """§9 step 1. Returns (entries, None) or (entries_so_far, (seq, reason))."""
    entries = []
    prev = bytes(32)
    members = {r[0]: r for r in db.execute(
        "SELECT key_id, role, sign_pk, entry_seq FROM members")}
    for expected, (seq, blob) in enumerate(db.execute(
            "SELECT seq, entry FROM audit ORDER BY seq")):
        if upto is not None and expected >= upto:
            break
        if seq != expected:
            return entries, (expected, "audit row seq %s, expected %d" % (seq, expected))
        try:
            e = parse_entry(as_bytes(blob))
        except (FormatError, UnicodeDecodeError) as ex:
            return entries, (seq, "unparseable entry: %s" % ex)
        if e.seq != seq:
            return entries, (seq, "entry says seq %d" % e.seq)
        if e.vault_id != vault_id:
            return entries, (seq, "entry belongs to another vault")
        if e.prev != prev:
            return entries, (seq, "previous leaf hash does not chain")
        if not verify_sig(e):
            return entries, (seq, "signature does not verify")
        if e.role != 0:
            m = members.get(e.key_id)
            if m is None:
                return entries, (seq, "actor %s is not a member" % e.key_id)
            _, role, sign_pk, entry_seq = m
            if as_bytes(sign_pk) != e.sign_pk:
                return entries, (seq, "actor's Ed25519 key differs from members row")
            if ROLE_CODES.get(role) != e.role:
                return entries, (seq, "actor's role differs from members row")
            if entry_seq is None or not (entry_seq < seq or (entry_seq == 0 and seq == 0)):
                return entries, (seq, "actor not enrolled by an earlier entry")
        # Extra (not in §9): the embedded key id must be the key id of the embedded
        # Ed25519 key's owner. We cannot check that without the X25519 half, so only
        # member actors are covered (members row key id vs its keys, step 2).
        entries.append(e)
        prev = e.leaf
    return entries, None


def member_record_hash(key_id_hex, role, box_pk, sign_pk, profile):
    return sha256(b"sarahvault/v1/member" + key_id_hex.encode("ascii") +
                  bytes([ROLE_CODES[role]]) + box_pk + sign_pk + profile)


def registry_hash(case_id, received):
    return sha256(b"sarahvault/v1/case" + short(case_id) + short(received))


def stored_chunks(db, vid):
    rows = db.execute("SELECT idx, data FROM chunks WHERE vid = ? ORDER BY idx", (vid,)).fetchall()
    for i, (idx, _) in enumerate(rows):
        if idx != i:
            raise FormatError("chunk indexes are not 0..n-1 (found %s at position %d)" % (idx, i))
    return [as_bytes(d) for _, d in rows]


def verify_vault(path, upto=None):
    """Returns (ok, message, root_hex, size)."""
    db = connect(path)
    vault_id = vault_id_of(db)
    fmt = format_of(db)
    entries, bad = load_entries(db, vault_id, upto)
    if bad:
        return False, "seq %d: %s" % bad, None, len(entries)
    n = len(entries)
    if n == 0:
        return False, "empty audit log", None, 0

    def entry(seq):
        return entries[seq] if seq is not None and 0 <= seq < n else None

    # Step 2: members.
    for kid, role, box_pk, sign_pk, profile, entry_seq in db.execute(
            "SELECT key_id, role, box_pk, sign_pk, profile, entry_seq FROM members ORDER BY entry_seq"):
        what = "member %s" % kid
        box_pk, sign_pk, profile = as_bytes(box_pk), as_bytes(sign_pk), as_bytes(profile)
        if role not in ROLE_CODES:
            return False, "%s: unknown role %r" % (what, role), None, n
        if key_id(box_pk, sign_pk) != kid:  # extra: §4 defines key id from the keys
            return False, "%s: key id does not match its keys" % what, None, n
        e = entry(entry_seq)
        if e is None:
            return False, "%s: no enrolling entry at seq %s" % (what, entry_seq), None, n
        if e.action == "vault.init":
            if entry_seq != 0:
                return False, "%s: vault.init not at seq 0" % what, None, n
            if role != "officer" or e.key_id != kid:
                return False, "%s: vault.init does not enrol its own actor as officer" % what, None, n
        elif e.action == "member.add":
            if e.role != ROLE_CODES["officer"]:
                return False, "%s: enrolled by a non-officer (seq %d)" % (what, entry_seq), None, n
        else:
            return False, "%s: entry %d is %s" % (what, entry_seq, e.action), None, n
        if e.result != 1:
            return False, "%s: enrolling entry %d was refused" % (what, entry_seq), None, n
        if e.data_hash is None or not hmac.compare_digest(
                e.data_hash, member_record_hash(kid, role, box_pk, sign_pk, profile)):
            return False, "%s: member record hash mismatch (seq %d)" % (what, entry_seq), None, n

    # Step 3: cases.
    for case_id, received, public_key, key_seq, created_seq in db.execute(
            "SELECT case_id, received, public_key, key_seq, created_seq FROM cases ORDER BY case_id"):
        what = "case %r" % case_id
        public_key = as_bytes(public_key)
        e = entry(key_seq)
        if e is None or e.case_id != case_id or e.result != 1:
            return False, "%s: key entry %s does not name the case" % (what, key_seq), None, n
        if e.key_hash is None or not hmac.compare_digest(e.key_hash, sha256(public_key)):
            return False, "%s: case public key does not match entry %d" % (what, key_seq), None, n
        e = entry(created_seq)
        if e is None or e.action != "case.archive" or e.case_id != case_id or e.result != 1:
            return False, "%s: created_seq %s is not its case.archive" % (what, created_seq), None, n
        if e.data_hash is None or not hmac.compare_digest(e.data_hash, registry_hash(case_id, received)):
            return False, "%s: registry hash mismatch (seq %d)" % (what, created_seq), None, n

    # Step 4: versions.
    for vid, case_id, doc, version, nchunks, ch, kc, entry_seq in db.execute(
            "SELECT vid, case_id, doc, version, chunks, ciphertext_hash, key_commit, entry_seq "
            "FROM versions ORDER BY vid"):
        what = "case %r document %s version %s" % (case_id, doc, version)
        e = entry(entry_seq)
        if (e is None or e.action != "document.add" or e.result != 1 or e.case_id != case_id
                or e.doc != doc or e.version != version):
            return False, "%s: entry %s is not its document.add" % (what, entry_seq), None, n
        if e.key_hash is None or not hmac.compare_digest(e.key_hash, as_bytes(kc)):
            return False, "%s: key commitment differs from entry %d" % (what, entry_seq), None, n
        try:
            chunks = stored_chunks(db, vid)
        except FormatError as ex:
            return False, "%s: %s" % (what, ex), None, n
        if len(chunks) != nchunks:
            return False, "%s: %d chunks stored, row says %s" % (what, len(chunks), nchunks), None, n
        # §9 step 4: the entry names the format's hash (hash=sha256 in format 2, none in 1).
        if detail_value(e.detail, "hash") != ("sha256" if fmt == 2 else None):
            return False, "%s: entry %d names hash %r in a format-%d vault" % (
                what, entry_seq, detail_value(e.detail, "hash"), fmt), None, n
        h = ciphertext_hash(chunks, fmt)
        if e.data_hash is None or not hmac.compare_digest(e.data_hash, h):
            return False, "%s: ciphertext hash mismatch (seq %d)" % (what, entry_seq), None, n
        # versions.ciphertext_hash is a convenience copy; §9 does not mention it.
        if as_bytes(ch) != h:
            return False, "%s: versions.ciphertext_hash differs from stored chunks" % what, None, n

    # Extra: chunks belonging to no version.
    orphan = db.execute("SELECT COUNT(*) FROM chunks WHERE vid NOT IN (SELECT vid FROM versions)").fetchone()[0]
    if orphan:
        return False, "%d chunk rows belong to no version" % orphan, None, n

    root = merkle_root([e.leaf for e in entries])
    return True, "ok", root.hex(), n


# ---------------------------------------------------------------- decrypt

def sanitize(s: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]", "_", s)
    s = s.lstrip(".")
    return s or "_"


def decrypt_vault(path, ident, outdir):
    db = connect(path)
    vault_id = vault_id_of(db)
    entries, bad = load_entries(db, vault_id)
    if bad:
        raise FormatError("audit log broken at seq %d: %s" % bad)
    my_kid = key_id(ident.box_pk, ident.sign_pk)
    summary = {"key_id": my_kid, "name": ident.name, "cases": []}
    used_dirs = set()
    rows = db.execute(
        "SELECT c.case_id, c.public_key, k.sealed FROM case_keys k JOIN cases c "
        "ON c.case_id = k.case_id WHERE k.key_id = ? ORDER BY c.case_id", (my_kid,)).fetchall()
    for case_id, public_key, sealed in rows:
        public_key = as_bytes(public_key)
        try:
            case_sk = nb.crypto_box_seal_open(as_bytes(sealed), ident.box_pk, ident.box_sk)
        except CryptoError:
            raise FormatError("case %r: case key does not open" % case_id)
        if len(case_sk) != 32 or nb.crypto_scalarmult_base(case_sk) != public_key:
            raise FormatError("case %r: case secret does not match cases.public_key" % case_id)
        dirname = sanitize(case_id)
        if dirname in used_dirs:  # two case ids that sanitize alike
            dirname += "-" + sha256(case_id.encode("utf-8")).hex()[:8]
        used_dirs.add(dirname)
        case_dir = os.path.join(outdir, dirname)
        os.makedirs(case_dir, exist_ok=True)
        out_case = {"case_id": case_id, "dir": case_dir, "record": None, "versions": []}
        for vid, doc, version, size, nchunks, kc, sealed_key, entry_seq in db.execute(
                "SELECT vid, doc, version, size, chunks, key_commit, sealed_key, entry_seq "
                "FROM versions WHERE case_id = ? ORDER BY doc, version", (case_id,)):
            what = "case %r document %d version %d" % (case_id, doc, version)
            try:
                kn = nb.crypto_box_seal_open(as_bytes(sealed_key), public_key, case_sk)
            except CryptoError:
                raise FormatError("%s: version key does not open" % what)
            if len(kn) < 32:
                raise FormatError("%s: sealed key too short" % what)
            K, name = kn[:32], kn[32:].decode("utf-8")
            commit = b2b256(b"sarahvault/v1/key-commitment", key=K)
            if not hmac.compare_digest(commit, as_bytes(kc)):
                raise FormatError("%s: key commitment mismatch (versions row)" % what)
            # §11 step 3, "full assurance": the signed document.add entry.
            e = entries[entry_seq] if 0 <= entry_seq < len(entries) else None
            if (e is None or e.action != "document.add" or e.result != 1 or e.case_id != case_id
                    or e.doc != doc or e.version != version or e.key_hash is None
                    or not hmac.compare_digest(commit, e.key_hash)):
                raise FormatError("%s: key commitment not backed by a signed entry" % what)
            chunks = stored_chunks(db, vid)
            if len(chunks) != nchunks:
                raise FormatError("%s: %d chunks stored, row says %d" % (what, len(chunks), nchunks))
            binding = (b"sarahvault/v1/chunk" + vault_id + short(case_id) + u32(doc) + u32(version))
            pt = open_stream(K, binding, chunks)
            if len(pt) != size:
                raise FormatError("%s: plaintext is %d bytes, row says %d" % (what, len(pt), size))
            fname = "%d-v%d-%s" % (doc, version, sanitize(name) if name else "record.json")
            dest = os.path.join(case_dir, fname)
            with open(dest, "wb") as f:
                f.write(pt)
            item = {"doc": doc, "version": version, "name": name, "size": size,
                    "chunks": nchunks, "path": dest, "sha256": sha256(pt).hex()}
            if doc == 0:
                rec = json.loads(pt.decode("utf-8"))
                if not isinstance(rec, dict):
                    raise FormatError("%s: case record is not a JSON object" % what)
                out_case["record"] = rec  # latest version wins (ordered by version)
            out_case["versions"].append(item)
        summary["cases"].append(out_case)
    return summary


# ---------------------------------------------------------------- CLI

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("decrypt")
    d.add_argument("vault")
    d.add_argument("identity")
    d.add_argument("passphrase_file")
    d.add_argument("outdir")
    v = sub.add_parser("verify")
    v.add_argument("vault")
    v.add_argument("--size", type=int, default=None,
                   help="verify and root only the first N entries (the log keeps growing)")
    p = sub.add_parser("pubkey")
    p.add_argument("identity")
    p.add_argument("--check", metavar="TOKEN", help="decode TOKEN and compare with the file")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "pubkey":
            ident = read_identity_header(a.identity)
            tok = pubkey_token(ident.box_pk, ident.sign_pk)
            if a.check:
                x, e = parse_token(a.check.strip())
                if (x, e) != (ident.box_pk, ident.sign_pk):
                    print("token does not match identity file", file=sys.stderr)
                    return 1
                print("token matches identity file")
                return 0
            print(tok)
            print(key_id(ident.box_pk, ident.sign_pk))
            return 0
        if a.cmd == "decrypt":
            ident = open_identity(a.identity, read_passphrase(a.passphrase_file))
            summary = decrypt_vault(a.vault, ident, a.outdir)
            print(json.dumps(summary, indent=2, ensure_ascii=False))
            return 0
        if a.cmd == "verify":
            ok, msg, root, n = verify_vault(a.vault, a.size)
            if not ok:
                print("FAIL %s" % msg)
                return 1
            print("tree size: %d" % n)
            print("tree root: %s" % root)
            return 0
    except (FormatError, sqlite3.Error, UnicodeDecodeError, ValueError) as ex:
        print("error: %s" % ex, file=sys.stderr)
        return 2 if a.cmd != "verify" else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())

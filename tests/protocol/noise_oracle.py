#!/usr/bin/python3
"""An independent Noise_XX_25519_ChaChaPoly_BLAKE2b for tests/protocol/noise_tests.cpp.

It drives dissononce (Debian's python3-dissononce, a Noise implementation
that shares no code with ours: X25519, ChaCha20-Poly1305 and BLAKE2b come
from python3-cryptography, i.e. OpenSSL). Debian installs it for Debian's own
python, so run this script with /usr/bin/python3, not with whatever python3
comes first on the PATH. All bytes go in and out as lower-case hex.

Modes:

  vectors --prologue HEX
          --initiator-static HEX --initiator-ephemeral HEX
          --responder-static HEX --responder-ephemeral HEX
          --payload HEX --payload HEX --payload HEX
          [--transport i:HEX | --transport r:HEX] ...
      Runs a whole handshake between two dissononce instances with these
      X25519 private keys, the three handshake payloads, then the transport
      plaintexts in order (i: sent by the initiator, r: by the responder).
      Prints one "NAME HEX" line per value: message1-3 and the payload each
      reader got (payload1-3), handshake_hash as both sides see it
      (initiator_hash, responder_hash), the static key each side learned
      (initiator_remote_static, responder_remote_static), then per transport
      message transportN and its decryption plainN.

  peer --role initiator|responder --prologue HEX --static HEX [--ephemeral HEX]
      One side of a handshake (a fresh ephemeral key unless given), driven
      one line at a time over stdin/stdout; every answer is "ok [HEX]" or
      "error REASON", and the peer keeps running after an error:
        write [HEX]  the next message carrying this payload: a handshake
                     message, or after the handshake a transport message
        read HEX     the payload of the peer's next message
        hash         the handshake hash (once the handshake is over)
        remote       the static key the peer proved
      It ends at end of input.

  convert --ed25519-seed HEX
      Ed25519 to X25519 by the textbook formulas, as a check of libsodium's
      conversion: x25519_private (SHA-512 of the seed, first half, clamped),
      x25519_public (X25519 of that private key) and
      x25519_public_from_ed25519 (the Ed25519 public key's Montgomery u
      coordinate, u = (1 + y) / (1 - y) mod 2^255 - 19).
"""

import argparse
import hashlib
import sys

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from dissononce.cipher.chachapoly import ChaChaPolyCipher
    from dissononce.dh.x25519.private import PrivateKey
    from dissononce.dh.x25519.x25519 import X25519DH
    from dissononce.extras.dh.dangerous.dh_nogen import NoGenDH
    from dissononce.hash.blake2b import Blake2bHash
    from dissononce.processing.handshakepatterns.interactive.XX import \
        XXHandshakePattern
    from dissononce.processing.impl.cipherstate import CipherState
    from dissononce.processing.impl.handshakestate import HandshakeState
    from dissononce.processing.impl.symmetricstate import SymmetricState
except ImportError as e:
    sys.exit("noise_oracle.py: %s (%s): run scripts/setup, and this script "
             "with /usr/bin/python3" % (e, sys.executable))

PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_BLAKE2b"


class Peer:
    """One side of a Noise XX handshake, then of the transport."""

    def __init__(self, initiator, prologue, static, ephemeral=None):
        dh = X25519DH()
        if ephemeral is not None:
            # dissononce's own way to fix GENERATE_KEYPAIR() for test vectors.
            dh = NoGenDH(dh, PrivateKey(ephemeral))
        self.initiator = initiator
        self.handshake = HandshakeState(
            SymmetricState(CipherState(ChaChaPolyCipher()), Blake2bHash()), dh)
        self.handshake.initialize(
            XXHandshakePattern(), initiator, prologue,
            s=X25519DH().generate_keypair(PrivateKey(static)))
        assert self.handshake.protocol_name == PROTOCOL_NAME
        self.send = None
        self.recv = None
        self.hash = None

    def _split(self, ciphers):
        if ciphers is not None:
            # Split() returns (c1, c2): c1 encrypts what the initiator sends.
            c1, c2 = ciphers
            self.send, self.recv = (c1, c2) if self.initiator else (c2, c1)
            self.hash = self.handshake.symmetricstate.get_handshake_hash()

    def write(self, payload):
        if self.send is not None:
            return self.send.encrypt_with_ad(b"", payload)
        message = bytearray()
        self._split(self.handshake.write_message(payload, message))
        return bytes(message)

    def read(self, message):
        if self.recv is not None:
            return self.recv.decrypt_with_ad(b"", message)
        payload = bytearray()
        self._split(self.handshake.read_message(message, payload))
        return bytes(payload)

    def remote_static(self):
        return self.handshake.rs.data if self.handshake.rs else None


def vectors(args):
    initiator = Peer(True, args.prologue, args.initiator_static,
                     args.initiator_ephemeral)
    responder = Peer(False, args.prologue, args.responder_static,
                     args.responder_ephemeral)
    if len(args.payload) != 3:
        sys.exit("vectors needs three --payload values")
    out = []
    sides = [(initiator, responder), (responder, initiator)]
    for i, payload in enumerate(args.payload):
        writer, reader = sides[i % 2]
        message = writer.write(payload)
        out.append(("message%d" % (i + 1), message))
        out.append(("payload%d" % (i + 1), reader.read(message)))
    out.append(("initiator_hash", initiator.hash))
    out.append(("responder_hash", responder.hash))
    out.append(("initiator_remote_static", initiator.remote_static()))
    out.append(("responder_remote_static", responder.remote_static()))
    for i, (sender, plaintext) in enumerate(args.transport):
        writer, reader = sides[0 if sender == "i" else 1]
        message = writer.write(plaintext)
        out.append(("transport%d" % i, message))
        out.append(("plain%d" % i, reader.read(message)))
    for name, value in out:
        print(name, value.hex())


def peer(args):
    side = Peer(args.role == "initiator", args.prologue, args.static,
                args.ephemeral)
    for line in iter(sys.stdin.readline, ""):
        command, _, argument = line.strip().partition(" ")
        try:
            if command == "write":
                result = side.write(bytes.fromhex(argument))
            elif command == "read":
                result = side.read(bytes.fromhex(argument))
            elif command == "hash":
                result = side.hash
            elif command == "remote":
                result = side.remote_static()
            else:
                raise ValueError("unknown command %r" % command)
            if result is None:
                raise ValueError("%s: the handshake is not over" % command)
            print("ok", result.hex(), flush=True)
        except Exception as e:  # any failure is an answer, not a crash
            print("error", type(e).__name__, str(e).replace("\n", " "),
                  flush=True)


def convert(args):
    seed = args.ed25519_seed
    digest = bytearray(hashlib.sha512(seed).digest()[:32])
    digest[0] &= 248
    digest[31] &= 127
    digest[31] |= 64
    x_private = bytes(digest)
    x_public = X25519DH().generate_keypair(PrivateKey(x_private)).public.data
    ed_public = ed25519.Ed25519PrivateKey.from_private_bytes(
        seed).public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    p = 2**255 - 19
    y = int.from_bytes(ed_public, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow(1 - y, p - 2, p) % p
    print("x25519_private", x_private.hex())
    print("x25519_public", x_public.hex())
    print("x25519_public_from_ed25519", u.to_bytes(32, "little").hex())


def main():
    hex_bytes = bytes.fromhex

    def transport(text):
        sender, _, data = text.partition(":")
        if sender not in ("i", "r"):
            raise argparse.ArgumentTypeError("expected i:HEX or r:HEX")
        return sender, bytes.fromhex(data)

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    v = modes.add_parser("vectors")
    v.add_argument("--prologue", type=hex_bytes, required=True)
    for name in ("initiator", "responder"):
        v.add_argument("--%s-static" % name, type=hex_bytes, required=True)
        v.add_argument("--%s-ephemeral" % name, type=hex_bytes, required=True)
    v.add_argument("--payload", type=hex_bytes, action="append", default=[])
    v.add_argument("--transport", type=transport, action="append", default=[])
    p = modes.add_parser("peer")
    p.add_argument("--role", choices=("initiator", "responder"), required=True)
    p.add_argument("--prologue", type=hex_bytes, required=True)
    p.add_argument("--static", type=hex_bytes, required=True)
    p.add_argument("--ephemeral", type=hex_bytes)
    c = modes.add_parser("convert")
    c.add_argument("--ed25519-seed", type=hex_bytes, required=True)
    args = parser.parse_args()
    {"vectors": vectors, "peer": peer, "convert": convert}[args.mode](args)


if __name__ == "__main__":
    main()

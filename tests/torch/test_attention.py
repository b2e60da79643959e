"""Attention (lstmlib.torch.attention) and the attention encoder-decoder: shapes, masks over padding,
weights summing to 1, gradients (float64 gradcheck), torch.nn references, many queries == one at a time,
and errors that name what was expected."""

import pytest
import torch
import torch.nn.functional as F

from lstmlib.torch.attention import (
    AdditiveAttention,
    DotProductAttention,
    GeneralAttention,
    masked_softmax,
)
from lstmlib.torch.attention_decoder import AttentionEncoderDecoder
from lstmlib.torch.decoding import greedy_decode

S, B, H = 5, 3, 4


def make(kind, dtype=torch.float64, H_dec=H, H_enc=H):
    torch.manual_seed(0)
    if kind == "additive":
        return AdditiveAttention(H_dec, H_enc, 6, dtype=dtype)
    if kind == "general":
        return GeneralAttention(H_dec, H_enc, dtype=dtype)
    return DotProductAttention(H_enc)


def inputs(dtype=torch.float64, H_dec=H, H_enc=H, N=None):
    g = torch.Generator().manual_seed(1)
    shape = (B, H_dec) if N is None else (N, B, H_dec)
    query = torch.randn(*shape, generator=g, dtype=dtype)
    keys = torch.randn(S, B, H_enc, generator=g, dtype=dtype)
    mask = torch.arange(S)[:, None] < torch.tensor([5, 3, 1])[None]  # (S, B): lengths 5, 3, 1
    return query, keys, mask


KINDS = ["additive", "dot", "general"]


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_weights_sum_to_one(kind):
    att = make(kind, H_enc=H)
    query, keys, mask = inputs()
    context, weights = att(query, keys, mask)
    assert context.shape == (B, H) and weights.shape == (S, B)
    torch.testing.assert_close(weights.sum(0), torch.ones(B, dtype=torch.float64))
    assert bool((weights >= 0).all())
    values = torch.randn(S, B, 7, dtype=torch.float64)
    context, _ = att(query, keys, mask, values)
    assert context.shape == (B, 7)


@pytest.mark.parametrize("kind", KINDS)
def test_padding_gets_exactly_zero_weight_and_changes_nothing(kind):
    att = make(kind)
    query, keys, mask = inputs()
    context, weights = att(query, keys, mask)
    assert bool((weights[~mask] == 0).all())
    torch.testing.assert_close(weights[0, 2], torch.tensor(1.0, dtype=torch.float64))  # one real position
    changed = keys.clone()
    changed[~mask] = 1e3 * torch.randn(int((~mask).sum()), H, dtype=torch.float64)
    context2, weights2 = att(query, changed, mask)
    assert torch.equal(weights, weights2) and torch.equal(context, context2)


@pytest.mark.parametrize("kind", KINDS)
def test_padded_batch_equals_each_sequence_alone(kind):
    att = make(kind)
    query, keys, mask = inputs()
    context, weights = att(query, keys, mask)
    for b, length in enumerate([5, 3, 1]):
        c_b, w_b = att(query[b : b + 1], keys[:length, b : b + 1])
        torch.testing.assert_close(c_b[0], context[b])
        torch.testing.assert_close(w_b[:, 0], weights[:length, b])


@pytest.mark.parametrize("kind", KINDS)
def test_many_queries_equal_one_at_a_time(kind):
    att = make(kind)
    query, keys, mask = inputs(N=4)
    context, weights = att(query, keys, mask)
    assert context.shape == (4, B, H) and weights.shape == (4, S, B)
    for n in range(4):
        c_n, w_n = att(query[n], keys, mask)
        torch.testing.assert_close(c_n, context[n])
        torch.testing.assert_close(w_n, weights[n])


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck(kind):
    att = make(kind)
    query, keys, mask = inputs()
    query.requires_grad_(True)
    keys.requires_grad_(True)
    values = torch.randn(S, B, 3, dtype=torch.float64, requires_grad=True)
    params = list(att.parameters())

    # the module's parameters: gradcheck through a functional call on fresh leaves
    leaves = [p.detach().clone().requires_grad_(True) for p in params]

    def f(q, k, v, *ps):
        return torch.func.functional_call(att, dict(zip([n for n, _ in att.named_parameters()], ps)), (q, k, mask, v))

    assert torch.autograd.gradcheck(f, (query, keys, values, *leaves))


def test_dot_product_equals_torch_scaled_dot_product_attention_with_scale_one():
    att = make("dot")
    query, keys, mask = inputs()
    context, weights = att(query, keys, mask)
    q = query[:, None, None, :]  # (B, heads 1, L 1, H)
    k = keys.permute(1, 0, 2)[:, None]  # (B, 1, S, H)
    reference = F.scaled_dot_product_attention(q, k, k, attn_mask=mask.T[:, None, None, :], scale=1.0)
    torch.testing.assert_close(context, reference[:, 0, 0])


def test_additive_and_general_equal_explicit_loops():
    query, keys, mask = inputs()
    for kind in ("additive", "general"):
        att = make(kind)
        _, weights = att(query, keys, mask)
        for b in range(B):
            scores = []
            for s in range(S):
                if kind == "additive":  # (A1) e_s = w_a^T tanh(W_q q + W_k k_s)
                    e = att.weight_score @ torch.tanh(att.weight_query @ query[b] + att.weight_key @ keys[s, b])
                else:  # (A3) e_s = q^T W_a k_s
                    e = query[b] @ att.weight @ keys[s, b]
                scores.append(e)
            n = int(mask[:, b].sum())
            torch.testing.assert_close(weights[:n, b], torch.softmax(torch.stack(scores[:n]), 0))


def test_general_with_identity_is_dot():
    att, dot = make("general"), make("dot")
    with torch.no_grad():
        att.weight.copy_(torch.eye(H, dtype=torch.float64))
    query, keys, mask = inputs()
    for a, b in zip(att(query, keys, mask), dot(query, keys, mask)):
        torch.testing.assert_close(a, b)


def test_masked_softmax_matches_softmax_over_real_positions():
    scores = torch.randn(2, S, B, dtype=torch.float64)
    _, _, mask = inputs()
    w = masked_softmax(scores, mask)
    for b, n in enumerate([5, 3, 1]):
        torch.testing.assert_close(w[:, :n, b], torch.softmax(scores[:, :n, b], dim=1))


@pytest.mark.parametrize("kind", KINDS)
def test_errors_name_what_came(kind):
    att = make(kind)
    query, keys, mask = inputs()
    with pytest.raises(TypeError, match="query must be a torch.Tensor"):
        att(query.tolist(), keys, mask)
    with pytest.raises(TypeError, match="floating-point"):
        att(query, keys.long(), mask)
    with pytest.raises(ValueError, match=r"keys must have shape \(S, B, 4\); got \(5, 3, 5\)"):
        att(query, torch.randn(S, B, H + 1, dtype=torch.float64), mask)
    with pytest.raises(ValueError, match=r"query must have shape .* got \(2, 4\)"):
        att(query[:2], keys, mask)
    with pytest.raises(ValueError, match="empty"):
        att(query, keys[:0], mask[:0])
    with pytest.raises(ValueError, match="dtype torch.bool"):
        att(query, keys, mask.long())
    with pytest.raises(ValueError, match=r"mask must have shape \(S, B\) = \(5, 3\)"):
        att(query, keys, mask[:4])
    with pytest.raises(ValueError, match="sequence 1 has none"):
        att(query, keys, mask & torch.tensor([True, False, True]))
    with pytest.raises(ValueError, match="dtype"):
        att(query.float(), keys, mask)
    with pytest.raises(ValueError, match=r"values must have shape \(5, 3, H_v\)"):
        att(query, keys, mask, keys[:4])
    if kind != "dot":
        with pytest.raises(ValueError, match="device meta"):
            att(query.to("meta"), keys, mask)


def test_constructor_errors():
    with pytest.raises(ValueError, match="attention_size must be a positive int"):
        AdditiveAttention(4, 4, 0)
    with pytest.raises(ValueError, match="query_size must be a positive int"):
        GeneralAttention(0, 4)
    with pytest.raises(ValueError, match="score must be one of"):
        AttentionEncoderDecoder(5, 6, 4, score="cosine")


# ---------------------------------------------------------------- the attention encoder-decoder


def small_model(score):
    torch.manual_seed(0)
    return AttentionEncoderDecoder(7, 9, 8, embedding_dim=5, score=score).double()


def batch():
    g = torch.Generator().manual_seed(2)
    src = torch.randint(3, 7, (4, 3), generator=g)
    lengths = torch.tensor([4, 2, 1])
    src[2:, 1] = 0
    src[1:, 2] = 0
    tgt_in = torch.randint(1, 9, (5, 3), generator=g)
    return src, lengths, tgt_in


@pytest.mark.parametrize("score", KINDS)
def test_model_shapes_and_padding(score):
    model = small_model(score)
    src, lengths, tgt_in = batch()
    logits = model(src, lengths, tgt_in)
    assert logits.shape == (5, 3, 9)
    weights = model.attention_weights(src, lengths, tgt_in)
    assert weights.shape == (5, 4, 3)
    assert bool((weights[:, 2:, 1] == 0).all()) and bool((weights[:, 1:, 2] == 0).all())
    # each sequence alone, unpadded, gives the same logits
    for b, n in enumerate([4, 2, 1]):
        alone = model(src[:n, b : b + 1], None, tgt_in[:, b : b + 1])
        torch.testing.assert_close(alone[:, 0], logits[:, b])


@pytest.mark.parametrize("score", KINDS)
def test_model_gradcheck(score):
    """Gradients through the whole model (tiny sizes) for the attention's and W_c's parameters."""
    torch.manual_seed(0)
    model = AttentionEncoderDecoder(7, 5, 3, embedding_dim=2, score=score, attention_size=2).double()
    src, lengths, tgt_in = batch()
    src, tgt_in = src[:3].clamp(max=6), tgt_in[:3].clamp(max=4)
    lengths = lengths.clamp(max=3)
    names = [n for n, _ in model.named_parameters()]
    leaves = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
    picked = [i for i, n in enumerate(names) if n.startswith("attention")] or [names.index("combine.weight")]

    def f(*ps):
        params = dict(zip(names, leaves))
        params.update({names[i]: p for i, p in zip(picked, ps)})
        return torch.func.functional_call(model, params, (src, lengths, tgt_in))

    assert torch.autograd.gradcheck(f, tuple(leaves[i] for i in picked))


def test_greedy_decode_matches_teacher_forcing_on_its_own_output():
    model = small_model("additive")
    src, lengths, _ = batch()
    ids, weights = model.greedy_decode(src, lengths, max_len=6, return_weights=True)
    assert ids.shape[1] == 3 and weights.shape == (ids.shape[0], 4, 3)
    tgt_in = torch.cat([torch.ones(1, 3, dtype=torch.long), ids[:-1]])
    logits = model(src, lengths, tgt_in)
    running = torch.ones(3, dtype=torch.bool)
    for t in range(ids.shape[0]):  # until each sequence's <eos>, the decoded token is the argmax
        assert torch.equal(logits[t].argmax(-1)[running], ids[t][running])
        running &= ids[t] != 2
    torch.testing.assert_close(weights, model.attention_weights(src, lengths, tgt_in))
    assert torch.equal(model.greedy_decode(src, lengths, max_len=6), ids)


def test_beam_of_one_is_greedy():
    model = small_model("general")
    src, lengths, _ = batch()
    greedy = model.greedy_decode(src, lengths, max_len=6)
    beam = model.beam_search(src, lengths, beam_size=1, max_len=6)
    for b in range(3):
        g, k = greedy[:, b], beam[:, b]
        assert torch.equal(g[g != 0], k[k != 0])
    assert model.beam_search(src, lengths, beam_size=3, max_len=6).shape[1] == 3


def test_model_errors():
    model = small_model("dot")
    src, lengths, tgt_in = batch()
    with pytest.raises(ValueError, match=r"tgt_in must have shape \(T, 3\)"):
        model(src, lengths, tgt_in[:, :2])
    with pytest.raises(ValueError, match="lengths must be in"):
        model(src, torch.tensor([5, 2, 1]), tgt_in)
    with pytest.raises(TypeError, match="integer token ids"):
        model(src.double(), lengths, tgt_in)
    with pytest.raises(ValueError, match="token ids in tgt_in must be in"):
        model(src, lengths, tgt_in + 20)


def test_decoding_step_contract():
    """The model's step works with lstmlib.torch.decoding's generic greedy decoder."""
    model = small_model("additive")
    src, lengths, _ = batch()
    keys, mask, state = model.encode(src, lengths)
    ids = greedy_decode(model._step(keys, mask), state, 3, 6)
    assert torch.equal(ids, model.greedy_decode(src, lengths, max_len=6))

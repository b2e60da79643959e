"""Bad input: a clear ValueError/TypeError naming what was expected and what came; nothing broadcasts."""

import pytest
import torch

from lstmlib.torch import GRU, LSTM, RNN

CLASSES = [RNN, LSTM, GRU]
IDS = ["RNN", "LSTM", "GRU"]


def _state(cls, shape, **kw):
    if cls is LSTM:
        return (torch.zeros(shape, **kw), torch.zeros(shape, **kw))
    return torch.zeros(shape, **kw)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
@pytest.mark.parametrize("fused", [False, True])
class TestBadInput:
    @pytest.mark.parametrize("shape", [(8,), (5, 3, 8, 1)])
    def test_wrong_rank(self, cls, fused, shape):
        # 2-D input is valid (one unbatched sequence, as in torch.nn); 1-D and 4-D are not
        expected = rf"x must have 3 dimensions \(T, B, D\) \(or 2, \(T, D\), unbatched\); got {len(shape)} with shape"
        with pytest.raises(ValueError, match=expected):
            cls(8, 4, fused=fused)(torch.zeros(shape))

    def test_wrong_feature_size_unbatched(self, cls, fused):
        with pytest.raises(ValueError, match=r"x must have shape \(T, 8\); got \(5, 7\)"):
            cls(8, 4, fused=fused)(torch.zeros(5, 7))

    def test_wrong_feature_size(self, cls, fused):
        with pytest.raises(ValueError, match=r"x must have shape \(T, B, 8\); got \(5, 3, 7\)"):
            cls(8, 4, fused=fused)(torch.zeros(5, 3, 7))

    def test_wrong_feature_size_batch_first(self, cls, fused):
        with pytest.raises(ValueError, match=r"x must have shape \(B, T, 8\); got \(5, 3, 7\)"):
            cls(8, 4, batch_first=True, fused=fused)(torch.zeros(5, 3, 7))

    @pytest.mark.parametrize("shape", [(0, 3, 8), (5, 0, 8)])
    def test_empty_sequence_or_batch(self, cls, fused, shape):
        with pytest.raises(
            ValueError,
            match=r"x is empty: T and B must be at least 1; got shape "
            + str(shape).replace("(", r"\(").replace(")", r"\)"),
        ):
            cls(8, 4, fused=fused)(torch.zeros(shape))

    def test_integer_dtype(self, cls, fused):
        with pytest.raises(TypeError, match=r"x must be a floating-point tensor \(torch.float32\); got torch.int64"):
            cls(8, 4, fused=fused)(torch.zeros(5, 3, 8, dtype=torch.long))

    def test_dtype_mismatch(self, cls, fused):
        # a ValueError, as torch.nn raises (PyTorch's own module error inputs expect it)
        with pytest.raises(ValueError, match=r"x must have the module's dtype torch.float32; got torch.float64"):
            cls(8, 4, fused=fused)(torch.zeros(5, 3, 8, dtype=torch.float64))

    def test_not_a_tensor(self, cls, fused):
        with pytest.raises(
            TypeError, match=r"x must be a torch.Tensor of shape \(T, B, D\) or \(T, D\), or a PackedSequence; got list"
        ):
            cls(8, 4, fused=fused)([[[0.0] * 8]])

    def test_device_mismatch_names_both_devices(self, cls, fused):
        model = cls(8, 4, fused=fused).to("meta")  # a second device that every machine has
        with pytest.raises(ValueError, match=r"x is on device cpu but the module's parameters are on meta"):
            model(torch.zeros(5, 3, 8))

    def test_unbatched_state_must_be_2d(self, cls, fused):
        with pytest.raises(
            ValueError, match=r"must have shape \(1, 4\) \(num_layers \* num_directions, H\) for unbatched"
        ):
            cls(8, 4, fused=fused)(torch.zeros(5, 8), _state(cls, (1, 1, 4)))

    @pytest.mark.parametrize("bad", [(1, 2, 4), (2, 3, 4), (1, 3, 5), (3, 4)])
    def test_wrong_state_shape(self, cls, fused, bad):
        expected = r"must have shape \(1, 3, 4\) \(num_layers \* num_directions, B, H\); got " + str(bad).replace(
            "(", r"\("
        ).replace(")", r"\)")
        with pytest.raises(ValueError, match=expected):
            cls(8, 4, fused=fused)(torch.zeros(5, 3, 8), _state(cls, bad))

    def test_state_device_mismatch(self, cls, fused):
        with pytest.raises(ValueError, match=r"h_0 is on device meta but x is on cpu"):
            cls(8, 4, fused=fused)(torch.zeros(5, 3, 8), _state(cls, (1, 3, 4), device="meta"))

    def test_state_dtype_mismatch(self, cls, fused):
        with pytest.raises(TypeError, match=r"h_0 must have dtype torch.float32 \(that of x\); got torch.float64"):
            cls(8, 4, fused=fused)(torch.zeros(5, 3, 8), _state(cls, (1, 3, 4), dtype=torch.float64))


def test_lstm_state_must_be_a_pair():
    with pytest.raises(TypeError, match=r"state must be a tuple \(h_0, c_0\); got Tensor"):
        LSTM(8, 4)(torch.zeros(5, 3, 8), torch.zeros(1, 3, 4))
    with pytest.raises(TypeError, match=r"state must be a tuple \(h_0, c_0\); got tuple of length 3"):
        LSTM(8, 4)(torch.zeros(5, 3, 8), (torch.zeros(1, 3, 4),) * 3)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_bad_constructor_arguments(cls):
    with pytest.raises(ValueError, match=r"hidden_size must be a positive int; got 0"):
        cls(8, 0)
    with pytest.raises(ValueError, match=r"num_layers must be a positive int; got 0"):
        cls(8, 4, num_layers=0)
    # a wrong type is a TypeError, as in torch.nn
    with pytest.raises(TypeError, match=r"input_size must be an int; got float 2.5"):
        cls(2.5, 4)
    with pytest.raises(TypeError, match=r"hidden_size must be an int; got str '4'"):
        cls(8, "4")
    with pytest.raises(TypeError, match=r"bias must be a bool \(True or False\); got int 1"):
        cls(8, 4, bias=1)
    with pytest.raises(TypeError, match=r"batch_first must be a bool \(True or False\); got str 'False'"):
        cls(8, 4, batch_first="False")
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\]; got 1.5"):
        cls(8, 4, dropout=1.5)


@pytest.mark.parametrize("bad", ["sig", "sigmoid", "Tanh", None])
def test_rnn_bad_nonlinearity(bad):
    with pytest.raises(ValueError, match=rf"nonlinearity must be 'tanh' or 'relu'; got {bad!r}"):
        RNN(8, 4, nonlinearity=bad)


@pytest.mark.parametrize(
    "proj_size, error, message",
    [
        (-1, ValueError, r"proj_size must be >= 0 \(0: no projection\); got -1"),
        (4, ValueError, r"proj_size must be smaller than hidden_size \(4\); got 4"),
        (7, ValueError, r"proj_size must be smaller than hidden_size \(4\); got 7"),
        (1.0, TypeError, r"proj_size must be an int; got float 1.0"),
    ],
)
def test_lstm_bad_proj_size(proj_size, error, message):
    with pytest.raises(error, match=message):
        LSTM(8, 4, proj_size=proj_size)
    with pytest.raises(error):  # torch.nn refuses it too
        torch.nn.LSTM(8, 4, proj_size=proj_size)


def test_lstm_proj_state_shapes_are_named():
    model = LSTM(8, 4, proj_size=2)
    x = torch.zeros(5, 3, 8)
    with pytest.raises(ValueError, match=r"h_0 must have shape \(1, 3, 2\) .*; got \(1, 3, 4\)"):
        model(x, (torch.zeros(1, 3, 4), torch.zeros(1, 3, 4)))
    with pytest.raises(ValueError, match=r"c_0 must have shape \(1, 3, 4\) .*; got \(1, 3, 2\)"):
        model(x, (torch.zeros(1, 3, 2), torch.zeros(1, 3, 2)))


def test_load_state_dict_from_another_architecture_fails():
    with pytest.raises(RuntimeError, match=r"size mismatch for weight_ih_l0"):
        LSTM(8, 4).load_state_dict(GRU(8, 4).state_dict())


@pytest.mark.parametrize("fused", [False, True])
def test_packed_sequence_of_the_wrong_width(fused):
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(5, 3, 7), [5, 3, 2])
    with pytest.raises(
        ValueError, match=r"a PackedSequence's data must have shape \(sum of lengths, 8\); got \(10, 7\)"
    ):
        LSTM(8, 4, fused=fused)(packed)
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(5, 3, 8), [5, 3, 2])
    with pytest.raises(ValueError, match=r"h_0 must have shape \(1, 3, 4\) \(num_layers \* num_directions, B, H\)"):
        GRU(8, 4, fused=fused)(packed, torch.zeros(1, 4))

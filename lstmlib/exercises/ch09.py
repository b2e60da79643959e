"""Exercises of chapter 9, "Summary: the cheat sheet"."""

from ._core import Exercise, register


def _lstm_param_count(input_size, hidden_size, num_layers):
    """Parameters of torch.nn.LSTM(input_size, hidden_size, num_layers): 4H(D_l + H + 2) per layer."""
    D, H = input_size, hidden_size
    return 4 * H * (D + H + 2) + (num_layers - 1) * 4 * H * (2 * H + 2)


def _cases():
    return [
        (f"D={d}, H={h}, layers={n}", (d, h, n))
        for d, h, n in [(1, 1, 1), (3, 4, 1), (3, 4, 2), (10, 6, 3), (128, 256, 2)]
    ]


register(
    Exercise(
        name="lstm-param-count",
        reference=_lstm_param_count,
        cases=_cases,
        wrong_answers=(
            lambda d, h, n: 4 * h * (d + h + 1) + (n - 1) * 4 * h * (2 * h + 1),  # one bias, not two
            lambda d, h, n: n * 4 * h * (d + h + 2),  # every layer reads D inputs
            lambda d, h, n: 3 * h * (d + h + 2) + (n - 1) * 3 * h * (2 * h + 2),  # three gates: a GRU
        ),
        hint="per layer 4 gates x (H x D_l + H x H + 2H), where D_0 = D and D_l = H for later layers",
    )
)

"""lstmlib.diagrams: each architecture draws the boxes its shape needs, and bad arguments are refused."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lstmlib.diagrams import KINDS, draw_architecture  # noqa: E402


def _labels(ax):
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("steps", [2, 4, 6])
def test_boxes_match_each_architecture(steps):
    counts = {}
    for kind in KINDS:
        fig, ax = plt.subplots()
        draw_architecture(kind, ax, steps=steps)
        counts[kind] = _labels(ax)
        plt.close(fig)
    # sequence -> vector: T inputs, one output
    assert sum(lab.startswith("$x_") for lab in counts["seq2vec"]) == steps
    assert counts["seq2vec"].count("$y$") == 1
    # equal length: one output per input
    assert sum(lab.startswith("$x_") for lab in counts["seq2seq"]) == steps
    assert sum(lab.startswith("$y_") for lab in counts["seq2seq"]) == steps
    # vector -> sequence: one vector, no x, outputs at every step
    assert counts["vec2seq"].count("$v$") == 1
    assert not any(lab.startswith("$x_") for lab in counts["vec2seq"])
    # encoder-decoder: a context vector between encoder and decoder, a target of another length
    assert counts["encdec"].count("$c$") == 1
    assert counts["encdec"].count("enc") == steps and counts["encdec"].count("dec") == steps + 1
    assert "<eos>" in counts["encdec"]


def test_new_figure_when_no_axes():
    ax = draw_architecture("seq2vec")
    assert ax.get_title().startswith("sequence")
    plt.close(ax.figure)


@pytest.mark.parametrize(
    "kind, steps, error",
    [
        ("seq2tree", 4, ValueError),
        ("seq2seq", 1, ValueError),
        ("seq2seq", 9, ValueError),
        ("seq2seq", 3.0, ValueError),
        ("seq2seq", True, ValueError),
    ],
)
def test_bad_arguments(kind, steps, error):
    with pytest.raises(error, match="kind|steps"):
        draw_architecture(kind, steps=steps)

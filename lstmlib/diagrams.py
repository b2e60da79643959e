"""Diagrams of the four recurrent architectures, unrolled in time, drawn with matplotlib.

``draw_architecture(kind, ax)`` draws one of ``"vec2seq"``, ``"seq2vec"``, ``"seq2seq"`` and
``"encdec"`` as boxes and arrows: inputs enter at the bottom, the recurrent cell is repeated along
time in the middle (one box per step, the same weights in each), outputs leave at the top. Only
drawing lives here; the chapters on the architectures use it so that the four pictures share one
visual language.

It ships in the installed package (unlike the book build's Sphinx extension, in ``book/sphinx_ext``) because
a chapter imports it when it runs: chapter 4 draws the four pictures with ``draw_architecture``, and on
Colab the chapters run on ``pip install lstmlib[course]`` alone, without this repository's files.
"""

from __future__ import annotations

__all__ = ["KINDS", "draw_architecture"]

KINDS = ("vec2seq", "seq2vec", "seq2seq", "encdec")

_TITLES = {
    "vec2seq": "vector → sequence (captioning)",
    "seq2vec": "sequence → vector (sentiment)",
    "seq2seq": "sequence → sequence, equal length",
    "encdec": "encoder–decoder (translation)",
}
_COLORS = {"in": "#cfe2f3", "cell": "#fce5cd", "dec": "#d9ead3", "out": "#ead1dc", "vec": "#fff2cc"}
_W, _H = 0.8, 0.6  # box width and height
_Y_IN, _Y_CELL, _Y_OUT = 0.0, 1.5, 3.0


def _box(ax, x, y, text, color, fontsize=9):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - _W / 2, y - _H / 2), _W, _H, boxstyle="round,pad=0.02", facecolor=color, edgecolor="black", linewidth=1
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, style="-|>", dashed=False, color="black"):
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=10,
            color=color,
            linewidth=1,
            linestyle="--" if dashed else "-",
            connectionstyle="arc3,rad=0" if not dashed else "arc3,rad=-0.3",
        )
    )


def _up(ax, x, y0, y1):
    _arrow(ax, (x, y0 + _H / 2), (x, y1 - _H / 2))


def _right(ax, x0, x1, y):
    _arrow(ax, (x0 + _W / 2, y), (x1 - _W / 2, y))


def draw_architecture(kind: str, ax=None, steps: int = 4):
    """Draw architecture ``kind`` unrolled over ``steps`` time steps on ``ax`` (a new figure if None).

    Args:
        kind: one of ``KINDS``: ``"vec2seq"``, ``"seq2vec"``, ``"seq2seq"``, ``"encdec"``.
        ax: a matplotlib Axes; if None a figure is created.
        steps: time steps to draw, 2 to 8 (for ``"encdec"``: steps of the encoder and of the decoder).

    Returns:
        the Axes.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= 8:
        raise ValueError(f"steps must be an int in [2, 8]; got {steps!r}")
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * steps + 1.5, 3.2))
    T = steps
    xs = [1.2 * t for t in range(T)]
    if kind == "encdec":
        enc_x = xs
        dec_x = [xs[-1] + 1.2 * (t + 2) for t in range(T + 1)]  # a target of another length
        for t, x in enumerate(enc_x):
            _box(ax, x, _Y_IN, f"$x_{t + 1}$", _COLORS["in"])
            _box(ax, x, _Y_CELL, "enc", _COLORS["cell"])
            _up(ax, x, _Y_IN, _Y_CELL)
            if t:
                _right(ax, enc_x[t - 1], x, _Y_CELL)
        c_x = enc_x[-1] + 1.2
        _box(ax, c_x, _Y_CELL, "$c$", _COLORS["vec"])
        _right(ax, enc_x[-1], c_x, _Y_CELL)
        _right(ax, c_x, dec_x[0], _Y_CELL)
        for t, x in enumerate(dec_x):
            _box(ax, x, _Y_IN, "<bos>" if t == 0 else f"$y_{t}$", _COLORS["out"] if t else _COLORS["in"], 8)
            _box(ax, x, _Y_CELL, "dec", _COLORS["dec"])
            _box(ax, x, _Y_OUT, f"$y_{t + 1}$" if t < T else "<eos>", _COLORS["out"], 8)
            _up(ax, x, _Y_IN, _Y_CELL)
            _up(ax, x, _Y_CELL, _Y_OUT)
            if t:
                _right(ax, dec_x[t - 1], x, _Y_CELL)
                _arrow(
                    ax,
                    (dec_x[t - 1] + _W / 2, _Y_OUT - _H / 2),
                    (x - _W / 2, _Y_IN + _H / 2),
                    dashed=True,
                    color="gray",
                )
        ax.text((enc_x[0] + enc_x[-1]) / 2, -0.85, f"source: {T} steps", ha="center", fontsize=9)
        ax.text((dec_x[0] + dec_x[-1]) / 2, -0.85, "target: any length, ends at <eos>", ha="center", fontsize=9)
        left, right = enc_x[0], dec_x[-1]
    else:
        for t, x in enumerate(xs):
            _box(ax, x, _Y_CELL, "RNN", _COLORS["cell"])
            if t:
                _right(ax, xs[t - 1], x, _Y_CELL)
            has_input = True
            has_output = kind in ("vec2seq", "seq2seq") or t == T - 1
            if has_input:
                if kind != "vec2seq":
                    _box(ax, x, _Y_IN, f"$x_{t + 1}$", _COLORS["in"])
                else:
                    _box(ax, x, _Y_IN, "<bos>" if t == 0 else f"$y_{t}$", _COLORS["out"] if t else _COLORS["in"], 8)
                _up(ax, x, _Y_IN, _Y_CELL)
            if has_output:
                _box(ax, x, _Y_OUT, f"$y_{t + 1}$" if kind != "seq2vec" else "$y$", _COLORS["out"])
                _up(ax, x, _Y_CELL, _Y_OUT)
            if kind == "vec2seq" and t > 0:
                _arrow(
                    ax, (xs[t - 1] + _W / 2, _Y_OUT - _H / 2), (x - _W / 2, _Y_IN + _H / 2), dashed=True, color="gray"
                )
        left = xs[0]
        if kind == "vec2seq":  # the vector sets the initial state
            left = xs[0] - 1.2
            _box(ax, left, _Y_CELL, "$v$", _COLORS["vec"])
            _right(ax, left, xs[0], _Y_CELL)
        right = xs[-1]
    ax.set_xlim(left - 0.8, right + 0.8)
    ax.set_ylim(-1.1, _Y_OUT + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(_TITLES[kind], fontsize=10)
    return ax

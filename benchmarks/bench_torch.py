"""Speed of lstmlib.torch.LSTM and RNN against torch.nn.LSTM and RNN, as ratios measured in one run.

Runs every contender in turn, round after round (so that a busy machine slows them alike), and reports
medians and the ratio to torch.nn's. Contenders: torch.nn's module; lstmlib's default path (``fast=True``:
the course's equations with a hand-written backward, ``lstmlib.torch._fast``); the readable loop
(``fast=False``: autograd through ``lstm_step`` at every step, what the book prints); the fused path
(``fused=True``: torch's kernel on lstmlib's parameters).
Targets (issues 4 and 13): the default path within 1.5x of torch.nn.LSTM forward+backward on the CPU at
T=100, B=32, D=64, H=128; the fused path within 1.1x there and within 2x of cuDNN at T=100, B=256,
D=H=512. The LSTM is also timed at small shapes (T=50, B=1, D=8, H=32 and T=100, B=64, D=1, H=32), where
per-step overhead dominates. The RNN's default path (equation (R1), a hand-written backward) is timed at
T=100, B=32, D=64, H=128 and at chapter 7's (T=100, B=64, D=2, H=32), where it must not be slower than
torch.nn.RNN. The readable loop has no target: it is there to show what the fast path buys.

Usage: python benchmarks/bench_torch.py [--rounds 30] [--threads N]
"""

import argparse
import statistics
import time

import torch

from lstmlib.torch import LSTM, RNN


def _models(D, H, device, cell="LSTM"):
    """{name: model}, the reference (torch.nn's) first, all on the reference's weights."""
    torch.manual_seed(0)
    ours_cls = {"LSTM": LSTM, "RNN": RNN}[cell]
    ref = getattr(torch.nn, cell)(D, H).to(device)
    default = ours_cls(D, H).to(device)
    loop = ours_cls(D, H, fast=False).to(device)
    fused = ours_cls(D, H, fused=True).to(device)
    for model in (default, loop, fused):
        model.load_state_dict(ref.state_dict())
    return {
        f"torch.nn.{cell}": ref,
        "lstmlib default": default,
        "lstmlib fast=False": loop,
        "lstmlib fused=True": fused,
    }


def _measure(models, x, backward, rounds, sync):
    def run(model):
        if backward:
            output, state = model(x)
            final = state if isinstance(state, tuple) else (state,)  # (h_n, c_n) or h_n
            (output.sum() + final[-1].sum()).backward()
        else:
            with torch.no_grad():
                model(x)
        sync()

    for model in models.values():  # warm-up
        run(model)
        run(model)
    times = {name: [] for name in models}
    names = list(models)
    for round_ in range(rounds):
        shift = round_ % len(names)  # rotate the order: no contender always runs after the same one
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            run(models[name])
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _table(title, medians, targets):
    ref = next(iter(medians.values()))  # torch.nn's, measured first
    print(f"\n{title}")
    print(f"  {'model':<20} {'median ms':>10} {'ratio':>7}  {'target':>7}  ok")
    for name, value in medians.items():
        ratio = value / ref
        target = targets.get(name)
        verdict = "" if target is None else ("yes" if ratio <= target else "NO")
        target_text = "" if target is None else f"<={target:g}x"
        print(f"  {name:<20} {value * 1e3:>10.2f} {ratio:>6.2f}x  {target_text:>7}  {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds per contender (median taken)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}; CPU threads: {torch.get_num_threads()}; rounds: {args.rounds}")

    T, B, D, H = 100, 32, 64, 128
    cpu = torch.device("cpu")
    models = _models(D, H, cpu)
    x = torch.randn(T, B, D, requires_grad=True)
    print(f"CPU: T={T}, B={B}, D={D}, H={H}, float32")
    _table(
        "CPU forward + backward",
        _measure(models, x, True, args.rounds, lambda: None),
        {"lstmlib default": 1.5, "lstmlib fused=True": 1.1},
    )
    _table("CPU forward only (no_grad)", _measure(models, x, False, args.rounds, lambda: None), {})
    for T, B, D, H in ((50, 1, 8, 32), (100, 64, 1, 32)):
        x = torch.randn(T, B, D, requires_grad=True)
        _table(
            f"CPU LSTM forward + backward, T={T}, B={B}, D={D}, H={H}",
            _measure(_models(D, H, cpu), x, True, args.rounds, lambda: None),
            {},
        )
    for T, B, D, H in ((100, 32, 64, 128), (100, 64, 2, 32)):
        x = torch.randn(T, B, D, requires_grad=True)
        _table(
            f"CPU RNN forward + backward, T={T}, B={B}, D={D}, H={H}",
            _measure(_models(D, H, cpu, "RNN"), x, True, args.rounds, lambda: None),
            {"lstmlib default": 1.0} if H == 32 else {},
        )

    if not torch.cuda.is_available():
        print("\nGPU: not measured (no CUDA device)")
        return
    T, B, D, H = 100, 256, 512, 512
    gpu = torch.device("cuda")
    models = _models(D, H, gpu)
    x = torch.randn(T, B, D, device=gpu, requires_grad=True)
    print(f"\nGPU: {torch.cuda.get_device_name(gpu)}; T={T}, B={B}, D={D}, H={H}, float32; torch.nn.LSTM runs cuDNN")
    _table(
        "GPU forward + backward",
        _measure(models, x, True, args.rounds, torch.cuda.synchronize),
        {"lstmlib fused=True": 2.0},
    )
    _table("GPU forward only (no_grad)", _measure(models, x, False, args.rounds, torch.cuda.synchronize), {})


if __name__ == "__main__":
    main()

"""Speed of lstmlib.numpy.LSTM against torch.nn.LSTM on the CPU, as ratios of medians in one run.

    python benchmarks/bench_numpy.py [--threads N] [--repeats R]

float32, the same weights, the same thread count for NumPy's BLAS and for torch. "forward" times
NumPy's forward (which keeps the cache for backward) against torch's forward with autograd
recording; "fwd+bwd" times forward plus backward (gradients for x and every parameter) in both.
The class's default is the fast path (``lstmlib.numpy._fast``); "loops f+b" times the readable
loops over the step functions (``LSTM(..., fast=False)``) for comparison.
Targets for T=100, B=32, D=64, H=128, fast path: fwd+bwd within 1.3x at one thread (within 1.0x at
two: ``--threads 2``), forward within 2x. On a shared machine the numbers are noisy: the '(cpu)'
rows (this thread's CPU time) are less disturbed by load than wall-clock time.
"""

import argparse
import os
import time

import numpy as np
import torch

from lstmlib.numpy import LSTM

SHAPES = [  # (label, T, B, D, H)
    ("tiny", 50, 1, 8, 32),
    ("narrow", 100, 64, 1, 32),
    ("small", 50, 8, 16, 32),
    ("target", 100, 32, 64, 128),
    ("large", 200, 64, 128, 256),
]


def bench(T, B, D, H, repeats):
    rng = np.random.default_rng(0)
    model = LSTM(D, H, seed=0, dtype=np.float32)
    loops = LSTM(D, H, seed=0, dtype=np.float32, fast=False)
    ref = torch.nn.LSTM(D, H)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    x = rng.standard_normal((T, B, D)).astype(np.float32)
    d_out = rng.standard_normal((T, B, H)).astype(np.float32)
    xt, d_out_t = torch.from_numpy(x).requires_grad_(), torch.from_numpy(d_out)

    def np_fwd():
        model.forward(x)

    def np_fwd_bwd():
        model.forward(x)
        model.backward(d_out)

    def loops_fwd_bwd():
        loops.forward(x)
        loops.backward(d_out)

    def torch_fwd():
        ref(xt)

    def torch_fwd_bwd():
        xt.grad = None
        ref.zero_grad(set_to_none=True)
        out, _ = ref(xt)
        out.backward(d_out_t)

    fns = dict(
        np_fwd=np_fwd,
        np_fwd_bwd=np_fwd_bwd,
        torch_fwd=torch_fwd,
        torch_fwd_bwd=torch_fwd_bwd,
        loops_fwd_bwd=loops_fwd_bwd,
    )
    for fn in fns.values():  # warm up
        fn()
        fn()
    times = {name: [] for name in fns}
    cpu = {name: [] for name in fns}
    for _ in range(repeats):  # interleaved call by call, so that load on the machine hits all alike
        for name, fn in fns.items():
            start, start_cpu = time.perf_counter(), time.thread_time()
            fn()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.thread_time() - start_cpu)
    # wall-clock medians, and (key + "_cpu") this thread's CPU time, which a loaded machine disturbs
    # less (with one thread, both libraries compute in the calling thread)
    result = {name: float(np.median(t)) for name, t in times.items()}
    result.update({name + "_cpu": float(np.median(t)) for name, t in cpu.items()})
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 1)))
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--shapes", nargs="*", default=[label for label, *_ in SHAPES], help="labels to run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        blas = "set with threadpoolctl"
    except ImportError:  # NumPy's BLAS then uses what OMP_NUM_THREADS / OPENBLAS_NUM_THREADS say
        blas = f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}"
    print(
        f"lstmlib.numpy.LSTM vs torch.nn.LSTM {torch.__version__}, float32, CPU, "
        f"threads: torch {torch.get_num_threads()}, NumPy BLAS {args.threads} ({blas}); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    header = (
        f"{'shape':<8} {'T':>4} {'B':>3} {'D':>4} {'H':>4} | {'numpy fwd':>10} {'torch fwd':>10} {'ratio':>6} | "
        f"{'numpy f+b':>10} {'torch f+b':>10} {'ratio':>6} | {'loops f+b':>10} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    results = {}
    for label, T, B, D, H in [shape for shape in SHAPES if shape[0] in args.shapes]:
        t = bench(T, B, D, H, args.repeats)
        fwd, both = t["np_fwd"] / t["torch_fwd"], t["np_fwd_bwd"] / t["torch_fwd_bwd"]
        results[label] = (fwd, both)
        print(
            f"{label:<8} {T:>4} {B:>3} {D:>4} {H:>4} | {1e3 * t['np_fwd']:>8.2f}ms {1e3 * t['torch_fwd']:>8.2f}ms "
            f"{fwd:>5.2f}x | {1e3 * t['np_fwd_bwd']:>8.2f}ms {1e3 * t['torch_fwd_bwd']:>8.2f}ms {both:>5.2f}x | "
            f"{1e3 * t['loops_fwd_bwd']:>8.2f}ms {t['loops_fwd_bwd'] / t['torch_fwd_bwd']:>5.2f}x"
        )
        print(
            f"{'  (cpu)':<26} | {1e3 * t['np_fwd_cpu']:>8.2f}ms {1e3 * t['torch_fwd_cpu']:>8.2f}ms "
            f"{t['np_fwd_cpu'] / t['torch_fwd_cpu']:>5.2f}x | {1e3 * t['np_fwd_bwd_cpu']:>8.2f}ms "
            f"{1e3 * t['torch_fwd_bwd_cpu']:>8.2f}ms {t['np_fwd_bwd_cpu'] / t['torch_fwd_bwd_cpu']:>5.2f}x | "
            f"{1e3 * t['loops_fwd_bwd_cpu']:>8.2f}ms {t['loops_fwd_bwd_cpu'] / t['torch_fwd_bwd_cpu']:>5.2f}x"
        )
    if "target" not in results:
        return
    fwd, both = results["target"]
    goal = 1.3 if args.threads == 1 else 1.0
    print(
        f"\ntarget shape: forward {fwd:.2f}x (goal <= 2.0x: {'met' if fwd <= 2.0 else 'MISSED'}), "
        f"forward+backward {both:.2f}x (goal at {args.threads} thread(s) <= {goal}x: "
        f"{'met' if both <= goal else 'MISSED'}); "
        "ratio = NumPy time / torch time (wall clock; '(cpu)' rows: thread CPU time), "
        f"below 1 means NumPy is faster; load average now {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

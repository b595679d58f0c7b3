#!/usr/bin/env python3
"""PyTorch scaled_dot_product_attention decode baseline (fp16), per backend, on the GPU machine.

Times one query token per sequence attending over a KV cache of `context` tokens, the shapes of
bench_attention (32 heads of 128 by default), for each SDPA backend that accepts the shape:
cuDNN, flash, efficient (memory-efficient) and math. Cold cache: the KV inputs are rotated over
enough copies to exceed 2x the L2 cache between timed calls; each call is timed with CUDA events;
the median, min and max over `--reps` calls are reported, with the KV bytes read per microsecond.

Usage: python3 bench/scripts/sdpa_baseline.py [--batch 1 8] [--context 4096 32768] [--csv out.csv]
Prints a markdown table; --csv also writes rows (backend,batch,heads,head_dim,context,median_ms,...).
"""
import argparse
import statistics
import sys

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
import torch.nn.functional as F

BACKENDS = [
    ("cudnn", SDPBackend.CUDNN_ATTENTION),
    ("flash", SDPBackend.FLASH_ATTENTION),
    ("efficient", SDPBackend.EFFICIENT_ATTENTION),
    ("math", SDPBackend.MATH),
]


def time_backend(backend, q, kvs, reps):
    times = []
    with sdpa_kernel([backend]):
        for i in range(3):  # warm-up (also proves the backend accepts the shape)
            k, v = kvs[i % len(kvs)]
            F.scaled_dot_product_attention(q, k, v)
        torch.cuda.synchronize()
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        for i in range(reps):
            k, v = kvs[i % len(kvs)]
            start.record()
            F.scaled_dot_product_attention(q, k, v)
            stop.record()
            stop.synchronize()
            times.append(start.elapsed_time(stop))
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--context", type=int, nargs="+", default=[4096, 32768])
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--head-dim", type=int, default=128)
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--skip-math", action="store_true")
    ap.add_argument("--csv", default="")
    args = ap.parse_args()

    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    l2_bytes = getattr(props, "L2_cache_size", 50 * 2**20)
    print(f"# device: {props.name}, torch {torch.__version__}, cuda {torch.version.cuda}, "
          f"cudnn {torch.backends.cudnn.version()}")
    rows = []
    for b in args.batch:
        for t in args.context:
            h, d = args.heads, args.head_dim
            kv_bytes = 2 * b * h * t * d * 2
            copies = max(1, -(-2 * l2_bytes // kv_bytes))
            gen = torch.Generator(device=dev).manual_seed(b * 100003 + t)
            q = torch.randn(b, h, 1, d, device=dev, dtype=torch.float16, generator=gen)
            kvs = [(torch.randn(b, h, t, d, device=dev, dtype=torch.float16, generator=gen),
                    torch.randn(b, h, t, d, device=dev, dtype=torch.float16, generator=gen))
                   for _ in range(copies)]
            for name, backend in BACKENDS:
                if name == "math" and (args.skip_math or kv_bytes > 2**31):
                    continue
                try:
                    ts = time_backend(backend, q, kvs, args.reps)
                except RuntimeError as e:  # backend refuses this shape
                    print(f"# {name} b{b} ctx{t}: not available ({str(e).splitlines()[0][:100]})",
                          file=sys.stderr)
                    continue
                med = statistics.median(ts)
                rows.append((name, b, h, d, t, med, min(ts), max(ts), kv_bytes / (med * 1e-3) / 1e9))
            del kvs
            torch.cuda.empty_cache()

    print("| backend | batch | heads x dim | context | median ms | min ms | max ms | KV GB/s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| sdpa-{r[0]} | {r[1]} | {r[2]}x{r[3]} | {r[4]} | {r[5]:.4f} | {r[6]:.4f} | "
              f"{r[7]:.4f} | {r[8]:.0f} |")
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("backend,batch,heads,head_dim,context,median_ms,min_ms,max_ms,kv_gb_per_s\n")
            for r in rows:
                f.write(",".join(str(x) for x in r) + "\n")


if __name__ == "__main__":
    main()

"""Whisper encoder time at each clip's own length versus padded to 30 s.

Seconds of one `whisper_encoder` forward pass (log-mel + encoder, batch of one clip,
median of --repeats runs after a warm-up) for 1 s, 5 s and 20 s clips, at the clip's
own length (the default) and with pad_to_30s=true (Whisper's original behaviour), and
their ratios. Uses --ckpt FILE, else the official --size checkpoint if it is already in
whisper's cache, else random weights at that size's dimensions (time does not depend
on the weight values; the output says which).

One intra-op thread by default (--threads): on a busy machine, thread synchronisation
makes small matrix products erratic and would blur exactly the short-clip numbers.

    python benchmarks/whisper_length.py [--size base] [--ckpt FILE] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ENCODER_DIMS = {  # n_audio_state, n_audio_head, n_audio_layer of the official sizes
    "tiny": (384, 6, 4), "base": (512, 8, 6), "small": (768, 12, 12), "medium": (1024, 16, 24),
    "large": (1280, 20, 32),
}
CLIP_SECONDS = (1, 5, 20)


def random_checkpoint(size: str, folder: Path) -> Path:
    """An openai-whisper checkpoint file holding a random encoder with the dimensions of ``size``."""
    import torch
    from whisper.model import AudioEncoder

    state, heads, layers = ENCODER_DIMS[size.removesuffix(".en").split("-")[0]]
    n_mels = 128 if size in ("large-v3", "large", "turbo", "large-v3-turbo") else 80
    encoder = AudioEncoder(n_mels, 1500, state, heads, layers)
    dims = dict(n_mels=n_mels, n_audio_ctx=1500, n_audio_state=state, n_audio_head=heads, n_audio_layer=layers,
                n_vocab=51865, n_text_ctx=448, n_text_state=state, n_text_head=heads, n_text_layer=layers)
    path = folder / f"random-{size}.pt"
    torch.save({"dims": dims, "model_state_dict": {f"encoder.{k}": v for k, v in encoder.state_dict().items()}},
               path)
    return path


def weights(args, folder: Path) -> tuple[dict, str]:
    """Upstream options and a description of the weights used."""
    import os

    import whisper

    from upstreams.whisper_encoder import default_download_root

    if args.ckpt:
        return {"ckpt": str(args.ckpt)}, f"checkpoint {args.ckpt}"
    cached = Path(default_download_root()) / os.path.basename(whisper._MODELS[args.size])
    if cached.is_file():
        return {"size": args.size}, f"official {args.size} weights"
    return {"ckpt": str(random_checkpoint(args.size, folder))}, f"random weights at the {args.size} dimensions"


def seconds_per_forward(upstream, samples: int, repeats: int) -> float:
    import torch

    clip = 0.1 * torch.randn(1, samples, generator=torch.Generator().manual_seed(samples))
    lengths = torch.tensor([samples])
    times = []
    with torch.inference_mode():
        upstream(clip, lengths)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            upstream(clip, lengths)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="base", help="whisper size (default base)")
    parser.add_argument("--ckpt", type=Path, help="an openai-whisper checkpoint file instead")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)

    from upstreams import build_upstream

    with tempfile.TemporaryDirectory() as folder:
        options, described = weights(args, Path(folder))
        own = build_upstream("whisper_encoder", **options)
        padded = build_upstream("whisper_encoder", **options, pad_to_30s=True)
    print(f"whisper_encoder {args.size}: {described}; {own.num_layers} layers x {own.hidden_size}; "
          f"threads={torch.get_num_threads()}; median of {args.repeats} after a warm-up")
    print(f"{'clip':>6} {'own length':>12} {'padded to 30 s':>16} {'padded / own':>13} {'own s per audio s':>18}")
    for seconds in CLIP_SECONDS:
        samples = seconds * 16_000
        t_own = seconds_per_forward(own, samples, args.repeats)
        t_pad = seconds_per_forward(padded, samples, args.repeats)
        print(f"{seconds:>4} s {t_own:>10.3f} s {t_pad:>14.3f} s {t_pad / t_own:>12.1f}x {t_own / seconds:>18.4f}")


if __name__ == "__main__":
    main()

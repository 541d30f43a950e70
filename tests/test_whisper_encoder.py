"""The Whisper encoder upstream on a tiny random openai-whisper checkpoint, loaded as real weights are."""

import hashlib
import json
from pathlib import Path

import pytest
import torch

from benchmark.check import check_upstream, failed_checks, format_report
from benchmark.errors import UserError
from conftest import superb
from tiny_upstreams import WHISPER_DIMS, encode, save_tiny_whisper, single_thread  # noqa: F401 (autouse)
from upstreams import build_upstream


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return save_tiny_whisper(tmp_path_factory.mktemp("whisper") / "tiny_random.pt")


def test_layers_shapes_and_exact_frame_counts(ckpt):
    upstream = build_upstream("whisper_encoder", ckpt=str(ckpt))
    assert upstream.num_layers == WHISPER_DIMS["n_audio_layer"] + 1 and upstream.hidden_size == 32
    assert upstream.downsample_rate == 320
    samples = [1, 159, 160, 161, 319, 320, 321, 16_000, 480_000, 480_001, 16_000 * 65]
    generator = torch.Generator().manual_seed(0)
    out = encode(upstream, [0.1 * torch.randn(n, generator=generator) for n in samples])
    assert len(out.layers) == 3 and {tuple(layer.shape) for layer in out.layers} == {(len(samples), 3250, 32)}
    assert out.lengths.tolist() == [(n - 1) // 320 + 1 for n in samples]  # the contract, exactly


def test_own_length_is_independent_of_batch_mates(ckpt):
    upstream = build_upstream("whisper_encoder", ckpt=str(ckpt))
    generator = torch.Generator().manual_seed(1)
    short, long = 0.1 * torch.randn(11_111, generator=generator), 0.1 * torch.randn(70_000, generator=generator)
    alone = encode(upstream, [short])
    batched = encode(upstream, [long, short])
    n = int(alone.lengths[0])
    assert int(batched.lengths[1]) == n == 35
    for a, b in zip(alone.layers, batched.layers):
        torch.testing.assert_close(b[1, :n], a[0, :n], rtol=1e-4, atol=1e-5)


def test_pad_to_30s_is_whisper_own_encoder(ckpt):
    import whisper

    padded = build_upstream("whisper_encoder", ckpt=str(ckpt), pad_to_30s=True)
    clip = 0.1 * torch.randn(24_000, generator=torch.Generator().manual_seed(2))
    reference = whisper.load_model(str(ckpt), device="cpu").encoder
    with torch.inference_mode():
        expected = reference(whisper.log_mel_spectrogram(whisper.pad_or_trim(clip))[None])
    out = encode(padded, [clip])
    assert out.lengths.tolist() == [75]
    torch.testing.assert_close(out.layers[-1][0], expected[0, :75])
    own = encode(build_upstream("whisper_encoder", ckpt=str(ckpt)), [clip])
    assert own.layers[-1].shape == (1, 75, 32) and not torch.equal(own.layers[-1][0], expected[0, :75])


@pytest.mark.parametrize("pad_to_30s", [False, True])
def test_contract_checks_pass(ckpt, pad_to_30s):
    upstream = build_upstream("whisper_encoder", ckpt=str(ckpt), pad_to_30s=pad_to_30s)
    results = check_upstream(upstream, quick=pad_to_30s)
    assert not failed_checks(results), format_report(upstream.display_name(), results)


def test_cli_options_reach_the_constructor(tmp_path):
    from benchmark.cli import build_parser, upstream_options

    args = build_parser().parse_args(["check-upstream", "whisper_encoder", "--upstream-size", "tiny",
                                      "--upstream-option", "pad_to_30s=true", "--upstream-option",
                                      f"download_root={tmp_path}", "--upstream-ckpt", "model.pt"])
    assert upstream_options(args) == {"size": "tiny", "pad_to_30s": True, "download_root": str(tmp_path),
                                      "ckpt": str(Path.cwd() / "model.pt")}
    bad = build_parser().parse_args(["check-upstream", "x", "--upstream-option", "pad_to_30s"])
    with pytest.raises(UserError, match="KEY=VALUE"):
        upstream_options(bad)


def test_names_and_identity_tell_variants_apart(ckpt):
    own = build_upstream("whisper_encoder", ckpt=str(ckpt))
    padded = build_upstream("whisper_encoder", ckpt=str(ckpt), pad_to_30s=True)
    assert own.display_name() == "whisper_encoder-tiny_random"
    assert padded.display_name() == "whisper_encoder-tiny_random-pad30s"
    assert own.identity() != padded.identity() and padded.config()["pad_to_30s"] is True
    assert own.departures and not padded.departures


def test_named_size_loads_through_whispers_downloader(ckpt, tmp_path, monkeypatch):
    import whisper

    digest = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    url = f"https://openaipublic.azureedge.net/main/whisper/models/{digest}/tiny.pt"
    monkeypatch.setitem(whisper._MODELS, "tiny", url)
    (tmp_path / "tiny.pt").write_bytes(ckpt.read_bytes())  # where whisper.load_model caches it
    upstream = build_upstream("whisper_encoder", size="tiny", download_root=str(tmp_path))
    assert upstream.display_name() == "whisper_encoder-tiny" and upstream.origin["size"] == "tiny"
    same_weights = build_upstream("whisper_encoder", ckpt=str(ckpt))
    assert upstream.identity() == same_weights.identity()  # the identity is the encoder's weights, not its name


def test_offline_error_says_what_to_download_and_where(tmp_path):
    import whisper

    with pytest.raises(UserError) as err:
        build_upstream("whisper_encoder", size="base.en", download_root=str(tmp_path))
    message = str(err.value)
    assert "\n" not in message and whisper._MODELS["base.en"] in message and str(tmp_path / "base.en.pt") in message
    assert "--upstream-ckpt" in message
    with pytest.raises(UserError, match="Did you mean: tiny"):
        build_upstream("whisper_encoder", size="tinyy")


class Payload:
    """Unpickling this would write a marker file: a weights_only load must never do it."""

    marker = None

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickle_checkpoint_is_refused_without_running_it(tmp_path):
    Payload.marker = tmp_path / "code-ran"
    bad = tmp_path / "pickled.pt"
    torch.save({"dims": WHISPER_DIMS, "model_state_dict": {}, "extra": Payload()}, bad)
    with pytest.raises(UserError) as err:
        build_upstream("whisper_encoder", ckpt=str(bad))
    assert "weights_only" in str(err.value) and "re-save" in str(err.value) and "\n" not in str(err.value)
    assert not Payload.marker.exists()
    not_whisper = tmp_path / "state_dict.pt"
    torch.save({"weight": torch.zeros(2)}, not_whisper)
    with pytest.raises(UserError, match="not an openai-whisper checkpoint"):
        build_upstream("whisper_encoder", ckpt=str(not_whisper))


def test_run_on_keyword_spotting_with_a_checkpoint_file(ckpt, tiny_sc, tmp_path):
    proc = superb("run", "--upstream", "whisper_encoder", "--upstream-ckpt", str(ckpt), "--task", "ks",
                  "--data", str(tiny_sc), "--steps", "5", "--out", str(tmp_path), "--quiet")
    result = json.loads(open(proc.stdout.strip().splitlines()[-1].removeprefix("result: ")).read())
    assert result["task"] == "ks" and 0 <= result["metrics"]["test"]["accuracy"] <= 1
    assert result["upstream_info"]["num_layers"] == 3 and result["upstream_info"]["downsample_rate"] == 320
    assert result["config"]["upstream_options"] == {"ckpt": str(ckpt.resolve())}
    assert len(result["layer_weights"]) == 3

"""``hf:`` upstreams: tiny random transformers models saved with ``save_pretrained``, loaded from their folders."""

import json

import pytest
import torch

from benchmark.check import check_upstream, failed_checks, format_report
from benchmark.errors import UserError
from conftest import superb
from tiny_upstreams import encode, openai_to_hf_whisper, save_tiny_hf, save_tiny_whisper, single_thread  # noqa: F401
from upstreams import build_upstream, check_request

LARGE_STYLE = dict(feat_extract_norm="layer", do_stable_layer_norm=True)
"""Layer norm in the front end and pre-norm blocks, as in the Large models (padded batches with a mask)."""

ARCHITECTURES = [("wav2vec2", {}), ("wav2vec2", LARGE_STYLE), ("hubert", {}), ("hubert", LARGE_STYLE),
                 ("wavlm", {}), ("wavlm", LARGE_STYLE), ("data2vec-audio", {}), ("wav2vec2-bert", {})]


@pytest.fixture(scope="module")
def whisper(tmp_path_factory):
    """A tiny openai-whisper file, its transformers copy, and a "distilled" copy whose decoder differs."""
    root = tmp_path_factory.mktemp("hf_whisper")
    ckpt = save_tiny_whisper(root / "teacher.pt")
    checkpoint = torch.load(ckpt, weights_only=True)
    openai_to_hf_whisper(checkpoint).save_pretrained(root / "teacher")
    openai_to_hf_whisper(checkpoint, decoder_layers=2).save_pretrained(root / "distilled")
    return ckpt, root / "teacher", root / "distilled"


@pytest.mark.parametrize("model_type,overrides", ARCHITECTURES)
def test_each_architecture_passes_the_contract_checks(model_type, overrides, tmp_path):
    folder = save_tiny_hf(model_type, tmp_path / model_type, **overrides)
    upstream = build_upstream(f"hf:{folder}")
    assert (upstream.num_layers, upstream.hidden_size, upstream.downsample_rate) == (3, 32, 320)
    results = check_upstream(upstream, quick=True)
    assert not failed_checks(results), format_report(upstream.display_name(), results)


@pytest.mark.parametrize("model_type,overrides,samples,frames", [("wav2vec2", {}, 400 + 320 * 20, 21),
                                                                  ("wav2vec2", LARGE_STYLE, 400 + 320 * 20, 21),
                                                                  ("wav2vec2-bert", {}, 560 + 320 * 19, 20)])
def test_layers_are_the_models_own_hidden_states(model_type, overrides, samples, frames, tmp_path):
    """On a clip whose length the contract's padding leaves as it is."""
    from transformers import AutoFeatureExtractor, AutoModel

    folder = save_tiny_hf(model_type, tmp_path / model_type, **overrides)
    clip = torch.randn(samples)
    out = encode(build_upstream(f"hf:{folder}"), [clip])
    inputs = AutoFeatureExtractor.from_pretrained(folder)(clip.numpy(), sampling_rate=16_000, return_tensors="pt")
    with torch.inference_mode():
        own = AutoModel.from_pretrained(folder).eval()(**inputs, output_hidden_states=True)
    assert len(out.layers) == len(own.hidden_states) == 3 and out.lengths.tolist() == [frames]
    for ours, theirs in zip(out.layers, own.hidden_states):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-5)


def test_whisper_in_transformers_format_is_the_openai_encoder(whisper):
    ckpt, teacher, distilled = whisper
    openai = build_upstream("whisper_encoder", ckpt=str(ckpt))
    hf = build_upstream(f"hf:{teacher}")
    clips = [torch.randn(8_000), torch.randn(12_345)]
    for ours, theirs in zip(encode(hf, clips).layers, encode(openai, clips).layers):
        assert torch.equal(ours, theirs)
    assert hf.identity() == openai.identity() == build_upstream(f"hf:{distilled}").identity()
    assert hf.display_name() == "hf:teacher" and openai.display_name() == "whisper_encoder-teacher"
    assert not failed_checks(check_upstream(hf, quick=True))


def test_whisper_pad_to_30s_equals_transformers_own_encoder(whisper):
    """The renamed weights run as transformers' ``WhisperEncoder`` runs them (same log-mel input)."""
    import whisper as openai_whisper
    from transformers import WhisperModel

    _, teacher, _ = whisper
    clip = torch.randn(16_000)
    out = encode(build_upstream(f"hf:{teacher}", pad_to_30s=True), [clip])
    mel = openai_whisper.log_mel_spectrogram(openai_whisper.pad_or_trim(clip))[None]
    with torch.inference_mode():
        own = WhisperModel.from_pretrained(teacher).encoder.eval()(mel, output_hidden_states=True).hidden_states
    assert len(own) == len(out.layers) == 3
    for ours, theirs in zip(out.layers, own):
        torch.testing.assert_close(ours[0], theirs[0, :50], rtol=0, atol=1e-4)


def test_options_are_checked_before_loading_and_recorded(whisper, tmp_path):
    _, teacher, _ = whisper
    with pytest.raises(UserError, match="does not take option bogus.*revision, pad_to_30s, random_init"):
        check_request(f"hf:{teacher}", {"bogus": 1})
    with pytest.raises(UserError, match="applies to hub ids"):
        build_upstream(f"hf:{teacher}", revision="v1")
    with pytest.raises(UserError, match="does not exist"):
        build_upstream(f"hf:{tmp_path / 'nowhere'}")
    from benchmark.cli import build_parser, upstream_options

    args = build_parser().parse_args(["run", "--upstream", "hf:org/model", "--task", "ks",
                                      "--upstream-revision", "abc123"])
    assert upstream_options(args) == {"revision": "abc123"}


def test_offline_hub_id_fails_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    proc = superb("check-upstream", "hf:facebook/wav2vec2-base", "--upstream-revision", "main", check=False)
    message = proc.stderr.strip()
    assert proc.returncode == 2 and "\n" not in message and "Traceback" not in message
    assert "hf download facebook/wav2vec2-base --revision main" in message and str(tmp_path / "hf") in message


def test_random_init_needs_only_the_config(whisper, tmp_path):
    folder = save_tiny_hf("wavlm", tmp_path / "wavlm")
    pretrained = build_upstream(f"hf:{folder}")
    random = build_upstream(f"hf:{folder}", random_init=True)
    again = build_upstream(f"hf:{folder}", random_init=True)
    other_seed = build_upstream(f"hf:{folder}", random_init=3)
    assert random.display_name() == "hf:wavlm (random init)" and other_seed.display_name().endswith("seed 3)")
    assert random.identity() == again.identity() != pretrained.identity() != other_seed.identity()
    assert random.config()["random_init_seed"] == 0 and random.origin["random_init_seed"] == 0
    _, teacher, _ = whisper
    whisper_random = build_upstream(f"hf:{teacher}", random_init=True)
    assert whisper_random.display_name() == "hf:teacher (random init)"
    assert whisper_random.identity() != build_upstream(f"hf:{teacher}").identity()


def test_ks_run_shares_the_cache_with_the_openai_file(whisper, tiny_sc, tmp_path):
    """The openai file extracts; the distilled transformers copy (same encoder, other decoder) hits its cache;
    a random-init copy of the architecture runs as its own row."""
    ckpt, teacher, distilled = whisper
    common = ["--task", "ks", "--data", str(tiny_sc), "--steps", "3", "--out", str(tmp_path / "results"),
              "--cache-dir", str(tmp_path / "cache"), "--quiet"]
    results = []
    for upstream in (["whisper_encoder", "--upstream-ckpt", str(ckpt)], [f"hf:{distilled}"],
                     [f"hf:{distilled}", "--upstream-option", "random_init=true"]):
        proc = superb("run", "--upstream", *upstream, *common)
        results.append(json.loads(open(proc.stdout.strip().splitlines()[-1].removeprefix("result: ")).read()))
    openai, distil, random = results
    assert openai["cache"]["extracted_utterances"] > 0 and distil["cache"]["extracted_utterances"] == 0
    assert openai["upstream_id"] == distil["upstream_id"] and distil["metrics"] == openai["metrics"]
    assert (openai["upstream"], distil["upstream"]) == ("whisper_encoder-teacher", "hf:distilled")
    assert distil["upstream_info"]["origin"]["source"] == str(distilled)
    assert random["upstream"] == "hf:distilled (random init)" and random["upstream_id"] != openai["upstream_id"]
    assert random["cache"]["extracted_utterances"] > 0 and random["upstream_info"]["config"]["random_init_seed"] == 0

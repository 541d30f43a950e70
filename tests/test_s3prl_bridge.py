"""The s3prl bridge: the torchaudio 2.9 shim, name resolution, offline errors, a tiny local s3prl expert."""


import pytest
import torch

pytest.importorskip("s3prl")
pytestmark = pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning")  # s3prl's

from benchmark.check import check_upstream, failed_checks, format_report  # noqa: E402
from benchmark.errors import UserError  # noqa: E402
from tiny_upstreams import single_thread  # noqa: E402, F401 (autouse)
from upstreams import build_upstream  # noqa: E402


@pytest.fixture(scope="module")
def s3prl_downloads(tmp_path_factory):
    """s3prl's download cache in a temporary folder (restored afterwards)."""
    from upstreams.s3prl_compat import import_hub

    import_hub()
    from s3prl.util import download

    previous = download._download_dir  # get_dir() would create it
    download.set_dir(tmp_path_factory.mktemp("s3prl-downloads"))
    yield download.get_dir()
    download.set_dir(previous)


def test_shim_adds_only_what_torchaudio_removed():
    import torchaudio

    from upstreams.s3prl_compat import import_hub, install

    install()
    install()  # idempotent
    assert torchaudio.set_audio_backend("sox_io") is None
    from torchaudio.sox_effects import apply_effects_tensor

    with pytest.raises(RuntimeError, match="removed in torchaudio 2.9"):
        apply_effects_tensor(torch.zeros(1, 10), 16000, [])
    hub = import_hub()
    assert {"hubert", "wavlm_base_plus", "fbank", "hubert_local"} <= set(hub.options())


def test_names_resolve_and_typos_get_suggestions(s3prl_downloads):
    upstream = build_upstream("s3prl:fbank")
    assert upstream.display_name() == "s3prl:fbank" and upstream.downsample_rate == 160
    assert upstream.num_layers == 1 and upstream.hidden_size == 240
    results = check_upstream(upstream, quick=True)
    assert not failed_checks(results), format_report("s3prl:fbank", results)
    with pytest.raises(UserError, match="Did you mean: hubert"):
        build_upstream("s3prl:hubbert")


def test_offline_error_names_the_url_and_the_file(s3prl_downloads):
    with pytest.raises(UserError) as err:
        build_upstream("s3prl:hubert")
    message = str(err.value)
    assert "\n" not in message and "https://huggingface.co/s3prl/converted_ckpts/resolve/main/hubert_base_ls960.pt" in message
    assert str(s3prl_downloads) in message and "--upstream-ckpt" in message


def test_a_tiny_local_s3prl_expert(tmp_path, s3prl_downloads):
    from s3prl.upstream.hubert.hubert_model import HubertConfig, HubertModel, HubertPretrainingConfig

    model_cfg = {"label_rate": 50.0, "encoder_layers": 2, "encoder_embed_dim": 32, "encoder_ffn_embed_dim": 64,
                 "encoder_attention_heads": 2, "final_dim": 16, "conv_pos": 16, "conv_pos_groups": 4,
                 "conv_feature_layers": "[(32,10,5)] + [(32,3,2)] * 4 + [(32,2,2)] * 2"}
    task_cfg = {"label_rate": 50.0, "sample_rate": 16000, "normalize": False}
    symbols = [["a", "b"]]
    torch.manual_seed(0)
    model = HubertModel(HubertConfig(**model_cfg), HubertPretrainingConfig(**task_cfg), symbols)
    ckpt = tmp_path / "tiny_hubert.pt"
    torch.save({"task_cfg": task_cfg, "model_cfg": model_cfg, "model_weight": model.state_dict(),
                "dictionaries_symbols": symbols}, ckpt)
    upstream = build_upstream("s3prl:hubert_local", ckpt=str(ckpt))
    assert upstream.display_name() == "s3prl:hubert_local-tiny_hubert"
    assert upstream.num_layers == 3 and upstream.hidden_size == 32 and upstream.downsample_rate == 320
    results = check_upstream(upstream, quick=True)
    assert not failed_checks(results), format_report("s3prl:hubert_local", results)

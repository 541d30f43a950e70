"""Corpus formats: a loader for the real on-disk layout and a synthetic generator writing it.

Importing this package imports neither torch nor the loaders.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.registry import import_target


@dataclass(frozen=True)
class CorpusFormat:
    """A corpus layout.

    Attributes:
        loader: ``"module:function"``; ``function(root: Path, *, seed: int) -> Splits``.
        synthetic: ``"module:function"``; ``function(progress: bool) -> Path`` generates
            (once) the synthetic corpus in this layout and returns its root.
        expected: one line describing the layout, for error messages.
    """

    loader: str
    synthetic: str
    expected: str

    def load(self, root, *, seed: int = 0):
        return import_target(self.loader)(root, seed=seed)

    def generate(self, progress: bool = True, workers: int | None = None):
        """Generate the default synthetic corpus (unless complete) with ``workers`` processes; its root."""
        return import_target(self.synthetic)(progress=progress, workers=workers)

    def synthetic_root(self):
        """Where :meth:`generate` puts the default synthetic corpus, generating nothing.

        The generator's ``default_root`` called with the generator's own defaults.
        """
        import inspect
        import sys

        ensure = import_target(self.synthetic)
        default_root = sys.modules[ensure.__module__].default_root
        defaults = inspect.signature(ensure).parameters
        return default_root(*(defaults[name].default for name in inspect.signature(default_root).parameters))


CORPUS_FORMATS: dict[str, CorpusFormat] = {
    "speech_commands_v0.01": CorpusFormat(
        loader="benchmark.corpora.loaders.speech_commands:load_speech_commands",
        synthetic="benchmark.corpora.synthetic.speech_commands:ensure_synthetic_speech_commands",
        expected="Speech Commands v0.01: one folder per word, _background_noise_/, "
                 "validation_list.txt, testing_list.txt"),
    "librispeech": CorpusFormat(
        loader="benchmark.corpora.loaders.librispeech:load_librispeech",
        synthetic="benchmark.corpora.synthetic.librispeech:ensure_synthetic_librispeech",
        expected="LibriSpeech: train-clean-100/, dev-clean/, test-clean/ with <speaker>/<chapter>/*.flac and "
                 "<speaker>-<chapter>.trans.txt"),
    "quesst14": CorpusFormat(
        loader="benchmark.corpora.loaders.quesst14:load_quesst14",
        synthetic="benchmark.corpora.synthetic.quesst14:ensure_synthetic_quesst14",
        expected="QUESST 2014: Audio/, dev_queries/, eval_queries/, scoring/language_key_*.lst and "
                 "scoring/groundtruth_quesst14_{dev,eval}/*.rttm"),
    "audio_snips": CorpusFormat(
        loader="benchmark.corpora.loaders.snips:load_snips",
        synthetic="benchmark.corpora.synthetic.snips:ensure_synthetic_snips",
        expected="Audio SNIPS (s3prl's snips_prepare_data.sh): all.iob.snips.txt, slots.txt and "
                 "train/, valid/, test/ with <Voice>-snips-<split>-<n>.wav"),
    "libri2mix_diarization": CorpusFormat(
        loader="benchmark.corpora.loaders.libri2mix:load_libri2mix",
        synthetic="benchmark.corpora.synthetic.libri2mix:ensure_synthetic_libri2mix",
        expected="Libri2Mix diarization (s3prl): train/, dev/, test/ Kaldi data dirs with wav.scp, segments, "
                 "utt2spk, reco2dur, rttm (LibriMix's scripts/prepare_diarization.py)"),
    "voxceleb1_iden": CorpusFormat(
        loader="benchmark.corpora.loaders.voxceleb1:load_voxceleb1_iden",
        synthetic="benchmark.corpora.synthetic.voxceleb1:ensure_synthetic_voxceleb1",
        expected="VoxCeleb1: vox1_dev_wav/wav/ and vox1_test_wav/wav/ (or wav/) with <id>/<video>/<nnnnn>.wav, "
                 "iden_split.txt"),
    "voxceleb1_veri": CorpusFormat(
        loader="benchmark.corpora.loaders.voxceleb1:load_voxceleb1_veri",
        synthetic="benchmark.corpora.synthetic.voxceleb1:ensure_synthetic_voxceleb1",
        expected="VoxCeleb1: vox1_dev_wav/wav/ and vox1_test_wav/wav/ (or wav/) with <id>/<video>/<nnnnn>.wav, "
                 "veri_test2.txt"),
    "fluent_speech_commands": CorpusFormat(
        loader="benchmark.corpora.loaders.fluent_commands:load_fluent_commands",
        synthetic="benchmark.corpora.synthetic.fluent_commands:ensure_synthetic_fluent_commands",
        expected="Fluent Speech Commands: data/{train,valid,test}_data.csv and wavs/speakers/<id>/*.wav"),
    "iemocap": CorpusFormat(
        loader="benchmark.corpora.loaders.iemocap:load_iemocap",
        synthetic="benchmark.corpora.synthetic.iemocap:ensure_synthetic_iemocap",
        expected="IEMOCAP: Session1..5/sentences/wav/<dialog>/<utterance>.wav and "
                 "Session1..5/dialog/EmoEvaluation/<dialog>.txt"),
}

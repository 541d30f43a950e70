"""Generate a synthetic corpus in the real QUESST 2014 layout.

Queries are single words or adjective + noun phrases from :mod:`.sentences`, each
spoken alone by a query voice; the search collection holds sentences spoken by
other voices, and each query is planted in one to three of them. The ground truth
is then read off the transcripts: a document contains a query when the query's
words appear in it in a row (planted or by chance).

As in the real archive, the query sets and the collection are multilingual: besides
the English (``nnenglish``) part, half as many queries again and a third as many
documents again are in Albanian, Basque, Czech, Romanian and Slovak (eSpeak NG's
voices for those languages reading strings of common words of the language, from
:data:`OTHER_LANGUAGES`). SUPERB searches only the English part; the scoring counts
every trial (:func:`benchmark.metrics.mtwv_all_trials`). The tree::

    <root>/Audio/quesst14_<nnnnn>.wav                 documents
    <root>/dev_queries/quesst14_dev_<nnnn>.wav       dev queries
    <root>/eval_queries/quesst14_eval_<nnnn>.wav     eval queries
    <root>/scoring/language_key_{utterances,dev,eval}.lst   "<path> <language>" lines
    <root>/scoring/groundtruth_quesst14_{dev,eval}/quesst14_{dev,eval}.rttm, .tlist.xml,
                  quesst14.ecf.xml
    <root>/README.synthetic.txt                      how it was made, queries, speakers

Voices are speaker-disjoint: 1/6 speak the dev queries, 1/6 the eval queries, the
rest the documents. Audio is 16 kHz mono 16-bit WAV with quiet noise (25..45 dB SNR).
The RTTM lines carry no times (``<NA>``): only which document holds which query is
known. Output is byte-identical for the same sizes and ``seed``.

Run ``python -m benchmark.corpora.synthetic.quesst14 --out DIR`` or call
:func:`ensure_synthetic_quesst14`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmark.corpora.synthetic import sentences
from benchmark.corpora.synthetic.command import generator_main
from benchmark.corpora.synthetic.synthesis import (
    SAMPLE_RATE,
    Speaker,
    default_data_dir,
    ensure_corpus,
    make_speakers,
    noise,
    render_plan,
    speak,
    speaker_table,
    to_pcm16,
    write_wav,
)
from benchmark.errors import UserError

SPEAKER_STREAM = 21
NUM_SPEAKERS = 24
QUERY_SETS = {"valid": "dev", "test": "eval"}  # speaker split -> query set
PHRASE_SHARE = 0.4  # queries that are adjective + noun; the rest are single nouns of 5+ letters
MAX_PLANTED = 3
MAX_WORDS = 16
SHARD_RECORDINGS = 100
NOISE_KINDS = ("white", "pink", "brown", "hum")
GENERATOR_VERSION = 2
ENGLISH = "nnenglish"
OTHER_LANGUAGES = {  # QUESST 2014's other languages: eSpeak NG voice, common words (4+ letters are queries)
    "albanian": ("sq", "ujë bukë libër dritare derë kopsht qytet fshat pemë lumë mace qen diell mal shkollë letër "
                       "dhe por është ishte jam atje këtu shumë mirë vjetër vogël madh"),
    "basque": ("eu", "ura ogia liburua leihoa atea lorategia hiria herria zuhaitza ibaia katua txakurra eguzkia "
                     "mendia eskola gutuna eta baina da zen naiz han hemen oso ona zaharra txikia handia"),
    "czech": ("cs", "voda chleba kniha okno dveře zahrada město vesnice strom řeka kočka slunce hora škola dopis "
                    "a ale je byl jsem tam tady velmi dobrý starý malý velký"),
    "romanian": ("ro", "apă pâine carte fereastră ușă grădină oraș copac râu pisică câine soare munte școală "
                       "scrisoare și dar este era sunt acolo aici foarte bun vechi mic mare"),
    "slovak": ("sk", "voda chlieb kniha okno dvere záhrada mesto dedina strom rieka mačka slnko hora škola list "
                     "a ale je bol som tam tu veľmi dobrý starý malý veľký"),
}
FOREIGN_WORDS = (4, 10)  # words per non-English document, at least and at most


@dataclass(frozen=True)
class Recording:
    """A query or a document to render; ``index`` seeds its randomness."""

    index: int
    relpath: str  # "Audio/quesst14_00001.wav", "dev_queries/quesst14_dev_0001.wav"
    speaker: Speaker
    words: tuple[str, ...]
    language: str = ENGLISH  # as in language_key_*.lst

    @property
    def uid(self) -> str:
        return Path(self.relpath).stem


@dataclass(frozen=True)
class Plan:
    queries: dict[str, list[Recording]]  # "dev" / "eval" -> queries
    documents: list[Recording]
    truth: dict[str, list[str]]  # query uid -> uids of the documents that contain it


def default_root(num_queries: int, num_documents: int, seed: int) -> Path:
    return default_data_dir() / "synthetic" / f"quesst14-{num_queries}q-{num_documents}d-s{seed}"


def _terms(rng: np.random.Generator, count: int) -> list[tuple[str, ...]]:
    """``count`` distinct query terms: long single nouns and adjective + noun phrases."""
    nouns = [n for n in sentences.NOUNS if len(n) >= 5]
    terms: list[tuple[str, ...]] = []
    while len(terms) < count:
        noun = nouns[int(rng.integers(len(nouns)))]
        if rng.random() < PHRASE_SHARE:
            term = (sentences.ADJECTIVES[int(rng.integers(len(sentences.ADJECTIVES)))], noun)
        else:
            term = (noun,)
        if term not in terms and not any(noun in t for t in terms):  # one query per noun
            terms.append(term)
    return terms


def _in_language(speaker: Speaker, language: str) -> Speaker:
    """The same speaker (variant, pitch, rate) with the eSpeak voice of ``language``."""
    if language == ENGLISH:
        return speaker
    return replace(speaker, voice=f"{OTHER_LANGUAGES[language][0]}+{speaker.voice.split('+')[1]}")


def _other_languages(rng: np.random.Generator, num_queries: int, num_documents: int
                     ) -> tuple[list[tuple[str, tuple[str, ...]]], list[tuple[str, tuple[str, ...]]]]:
    """Non-English ``(language, words)``: ``2 * num_queries`` one-word query terms (each planted in 1 to
    :data:`MAX_PLANTED` documents of its language), then at least ``num_documents`` document texts."""
    vocabulary = {language: words.split() for language, (_, words) in sorted(OTHER_LANGUAGES.items())}
    pool = [(language, (word,)) for language, words in vocabulary.items() for word in words if len(word) >= 4]
    terms = [pool[i] for i in rng.permutation(len(pool))[:2 * num_queries]]

    def text(language: str) -> list[str]:
        words = vocabulary[language]
        return [words[i] for i in rng.integers(len(words), size=int(rng.integers(FOREIGN_WORDS[0], FOREIGN_WORDS[1] + 1)))]

    texts = []
    for language, term in terms:
        for _ in range(int(rng.integers(1, MAX_PLANTED + 1))):
            words = text(language)
            at = int(rng.integers(len(words) + 1))
            texts.append((language, (*words[:at], *term, *words[at:])))
    languages = list(vocabulary)
    while len(texts) < num_documents:
        language = languages[int(rng.integers(len(languages)))]
        texts.append((language, tuple(text(language))))
    return terms, texts


def _contains(words: tuple[str, ...], term: tuple[str, ...]) -> bool:
    return any(words[i:i + len(term)] == term for i in range(len(words) - len(term) + 1))


def plan(num_queries: int, num_documents: int, seed: int) -> Plan:
    """What to render: ``num_queries`` per query set, ``num_documents`` documents, and the truth."""
    if num_queries < 1 or num_documents < 2 * MAX_PLANTED * num_queries:
        raise UserError(f"need at least 1 query per set and {2 * MAX_PLANTED} documents per query, got "
                        f"num_queries={num_queries}, num_documents={num_documents}")
    speakers = make_speakers(NUM_SPEAKERS, seed, stream=SPEAKER_STREAM)
    voices = {split: [s for s in speakers if s.split == split] for split in ("train", "valid", "test")}
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 1])
    terms = _terms(rng, 2 * num_queries)
    other_rng = np.random.default_rng([seed, SPEAKER_STREAM, 3])
    num_other = num_queries // 2
    other_terms, other_texts = _other_languages(other_rng, num_other, num_documents // 3)
    queries: dict[str, list[Recording]] = {}
    index = 0
    for k, (split, name) in enumerate(QUERY_SETS.items()):
        items = [(ENGLISH, term) for term in terms[k * num_queries:(k + 1) * num_queries]]
        items += other_terms[k * num_other:(k + 1) * num_other]
        queries[name] = []
        for i, j in enumerate(other_rng.permutation(len(items))):
            language, term = items[j]
            speaker = _in_language(voices[split][i % len(voices[split])], language)
            queries[name].append(Recording(index, f"{name}_queries/quesst14_{name}_{i + 1:04d}.wav", speaker, term,
                                           language))
            index += 1
    texts = [tuple(sentences.sentence_with(rng, list(term), MAX_WORDS))
             for term in terms for _ in range(int(rng.integers(1, MAX_PLANTED + 1)))]
    texts += [tuple(sentences.sentence(rng, MAX_WORDS)) for _ in range(num_documents - len(texts))]
    every = [(ENGLISH, words) for words in texts] + other_texts
    order = rng.permutation(len(every))
    train = voices["train"]
    documents = [Recording(index + i, f"Audio/quesst14_{i + 1:05d}.wav",
                           _in_language(train[i % len(train)], every[j][0]), every[j][1], every[j][0])
                 for i, j in enumerate(order)]
    truth = {q.uid: [d.uid for d in documents if _contains(d.words, q.words)]
             for qs in queries.values() for q in qs}
    return Plan(queries, documents, truth)


def render_recording(recording: Recording, seed: int) -> np.ndarray:
    """The query or document as int16 of shape ``(samples,)`` at 16 kHz."""
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 2, recording.index])
    speech = speak(" ".join(recording.words), recording.speaker, rng, recording.index)
    speech *= 10 ** (rng.uniform(-20, -3) / 20) / np.max(np.abs(speech))
    pads = (rng.uniform(0.1, 0.3, size=2) * SAMPLE_RATE).astype(int)
    out = np.concatenate([np.zeros(pads[0]), speech, np.zeros(pads[1])])
    rms = np.sqrt(np.mean(speech**2))
    out += noise(str(rng.choice(NOISE_KINDS)), len(out), rng) * rms * 10 ** (-rng.uniform(25, 45) / 20)
    return to_pcm16(out / max(1.0, np.max(np.abs(out)) / 0.99))


def _write_recording(out: Path, recording: Recording, seed: int) -> None:
    """Render and write one query or document (in a worker process; see :func:`.synthesis.render_plan`)."""
    write_wav(out / recording.relpath, render_recording(recording, seed))


def _write_scoring(root: Path, layout: Plan) -> None:
    scoring = root / "scoring"
    scoring.mkdir()
    lists = {"utterances": layout.documents, **layout.queries}
    for name, recordings in lists.items():
        (scoring / f"language_key_{name}.lst").write_text(
            "".join(f"quesst14Database/{r.relpath} {r.language}\n" for r in recordings))
    ecf = "".join(f'<excerpt audio_filename="{d.uid}" channel="1" tbeg="0.000" dur="0.000" source_type="splitcts"/>\n'
                  for d in layout.documents)
    for name, recordings in layout.queries.items():
        truth_dir = scoring / f"groundtruth_quesst14_{name}"
        truth_dir.mkdir()
        (truth_dir / "quesst14.ecf.xml").write_text(
            f'<ecf source_signal_duration="0.000" language="multiple" version="synthetic">\n{ecf}</ecf>\n')
        (truth_dir / f"quesst14_{name}.tlist.xml").write_text(
            '<termlist ecf_filename="quesst14.ecf.xml" version="synthetic" language="multiple" encoding="UTF-8">\n'
            + "".join(f'<term termid="{q.uid}"><termtext>{" ".join(q.words)}</termtext></term>\n' for q in recordings)
            + "</termlist>\n")
        (truth_dir / f"quesst14_{name}.rttm").write_text("".join(
            f"LEXEME {doc} 1 <NA> <NA> {q.uid} lex <NA> <NA>\n" for q in recordings for doc in layout.truth[q.uid]))


def _write_readme(root: Path, layout: Plan, num_queries: int, num_documents: int, seed: int) -> None:
    queries = "\n".join(f"  {q.uid}  {q.language:9s} {' '.join(q.words):24s} in {len(layout.truth[q.uid])} document(s)"
                        for qs in layout.queries.values() for q in qs)
    speakers = list({r.speaker for r in layout.documents} | {q.speaker for qs in layout.queries.values() for q in qs})
    (root / "README.synthetic.txt").write_text(
        f"""SYNTHETIC speech, not recordings: a stand-in for QUESST 2014.

Made by benchmark.corpora.synthetic.quesst14 (generator version {GENERATOR_VERSION}) with
num_queries={num_queries} per query set, num_documents={num_documents}, seed={seed}.
Same layout as quesst14Database (Audio/, dev_queries/, eval_queries/, scoring/), so the
same loader reads both. The English part (nnenglish) is as described below; half as many
queries again and a third as many documents again are in {', '.join(sorted(OTHER_LANGUAGES))}
(strings of common words of the language; each of their queries is one word planted in 1 to
{MAX_PLANTED} documents of its language).

Queries: single nouns or adjective + noun phrases, each spoken alone. Documents:
sentences from benchmark.corpora.synthetic.sentences; every query is planted in 1 to {MAX_PLANTED}
documents, and a document counts as containing a query when the query's words appear
in it in a row. The RTTM files carry no times. Audio: eSpeak NG (espeakng-loader
package), 16 kHz, 0.1-0.3 s of silence on both sides, peak -20..-3 dBFS, white, pink,
brown or hum noise at 25..45 dB SNR. Speakers: split "valid" speaks the dev queries,
"test" the eval queries, "train" the documents.

No recorded speech is included; the tools used are eSpeak NG (GPL-3.0-or-later) and numpy.

Queries (id, text, documents that contain it):
{queries}

Speakers (id, split, voice, eSpeak pitch, pitch range, rate in words/min):
{speaker_table(speakers)}
"""
    )


def _generate(out: Path, layout: Plan, params: dict, progress: bool, workers: int | None) -> None:
    for folder in ("Audio", *(f"{name}_queries" for name in QUERY_SETS.values())):
        (out / folder).mkdir()
    _write_scoring(out, layout)
    _write_readme(out, layout, **params)
    recordings = [q for qs in layout.queries.values() for q in qs] + layout.documents
    render_plan(_write_recording, out, recordings, params["seed"], shard_size=SHARD_RECORDINGS, workers=workers,
                progress=progress, desc="synthesising quesst14", unit="file")


def ensure_synthetic_quesst14(
    root: Path | None = None,
    *,
    num_queries: int = 30,
    num_documents: int = 300,
    seed: int = 0,
    progress: bool = True,
    workers: int | None = None,
) -> Path:
    """Return the root of the synthetic corpus, generating it on first use.

    Args:
        root: where the corpus lives; default :func:`default_root` (under
            ``$SUPERB_DATA_DIR``, default ``~/.cache/superb/data``).
        num_queries: queries in each of the dev and eval sets.
        num_documents: documents in the collection (at least 6 per query).
        seed: selects speakers, queries, sentences, levels, noise; same seed, same bytes.
        progress: show a progress bar.
        workers: worker processes (default: min(2, CPU count)).
    """
    return ensure_corpus(root, default_root(num_queries, num_documents, seed), GENERATOR_VERSION,
                         {"num_queries": num_queries, "num_documents": num_documents, "seed": seed}, plan, _generate,
                         progress=progress, workers=workers)


def main(argv: list[str] | None = None) -> None:
    generator_main(argv, "quesst14", "QUESST 2014", ensure_synthetic_quesst14, num_queries="queries per query set",
                   num_documents="documents")


if __name__ == "__main__":
    main()

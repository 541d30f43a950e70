"""English sentences from a small grammar, for the synthetic content corpora.

Narrative sentences in the style of read books ("the old farmer carried a heavy
basket to the market and mary waited near the bridge"): clauses of 2 to 9 words
joined by conjunctions, over a vocabulary of 421 words (:data:`VOCABULARY`) plus
the plurals of the nouns.
Everything is written here; no outside text is used. Sentences are lists of
lowercase words; :func:`transcript` gives the LibriSpeech form (upper case, no
punctuation).
"""

from __future__ import annotations

import numpy as np

NOUNS = """
apple army arrow autumn baby basket bottle boy branch bread bridge brother bucket
butter cabin candle captain carpet castle cattle chair child church city cloud coat
coffee corner cottage country cousin crown cup daughter desert doctor door dragon
dream eagle engine evening farmer father feather field finger fire fish flower forest
fox friend garden gate ghost girl glass gold grass hammer harbor hat hill horse hunter
island jacket judge kettle king kitchen knife ladder lady lake lamp letter library lion
machine map market meadow merchant message minute mirror monkey moon morning mother
mountain needle night ocean officer orange palace paper parrot pencil picture pillow
pocket poet pot prince princess queen rabbit rain river road rock sailor salt school
scholar season servant shadow sheep ship shoe shoulder singer sister soldier song
spoon stone storm stranger street student sugar summer sun table teacher temple tower
town train traveler treasure tree valley village violin wagon wall water wheel window
winter wolf woman word world
""".split()
ADJECTIVES = """
angry ancient beautiful big bitter black bright broken brown busy careful cheerful
clean clever cold dark deep dirty distant dry early empty famous fresh friendly gentle
golden gray great green happy heavy high hollow honest hungry kind large late lazy
little lonely long loud lucky narrow new noble old pale polite poor proud quiet rich
round sharp silent simple small soft strange strong sweet tall tiny warm weak wet wild
wise wooden yellow young
""".split()
NAMES = """
anna arthur charles daniel david edward elsa emily george grace harold helen henry
james john julia laura lucy margaret martha mary oliver paul peter robert rose samuel
sarah thomas victor william
""".split()
TRANSITIVE = {  # present -> past
    "bring": "brought", "build": "built", "buy": "bought", "call": "called", "carry": "carried",
    "catch": "caught", "clean": "cleaned", "close": "closed", "cover": "covered", "draw": "drew",
    "drop": "dropped", "fill": "filled", "find": "found", "follow": "followed", "give": "gave",
    "hear": "heard", "help": "helped", "hide": "hid", "hold": "held", "keep": "kept",
    "leave": "left", "lift": "lifted", "like": "liked", "lose": "lost", "love": "loved",
    "make": "made", "mend": "mended", "miss": "missed", "move": "moved", "open": "opened",
    "paint": "painted", "pull": "pulled", "push": "pushed", "read": "read", "remember": "remembered",
    "see": "saw", "sell": "sold", "send": "sent", "show": "showed", "steal": "stole",
    "take": "took", "throw": "threw", "touch": "touched", "visit": "visited", "wash": "washed",
    "watch": "watched", "write": "wrote",
}
INTRANSITIVE = {
    "arrive": "arrived", "cry": "cried", "dance": "danced", "fall": "fell", "laugh": "laughed",
    "listen": "listened", "rest": "rested", "run": "ran", "shout": "shouted", "sing": "sang",
    "sit": "sat", "sleep": "slept", "smile": "smiled", "stand": "stood", "stay": "stayed",
    "swim": "swam", "talk": "talked", "travel": "traveled", "wait": "waited", "walk": "walked",
    "wander": "wandered", "whisper": "whispered", "work": "worked",
}
ADVERBS = """
again alone always quickly quietly slowly softly suddenly together carefully happily
sadly loudly gently early late often never soon once
""".split()
PREPOSITIONS = "across behind beside by from in into near over through to toward under with".split()
DETERMINERS = "the a his her their our my this that every".split()
PRONOUNS = "he she they we i you".split()
NUMBERS = "two three four five six seven eight nine ten twelve twenty hundred".split()
TIMES = ["in the morning", "at night", "after dinner", "before dawn", "that evening", "the next day",
         "last winter", "every summer", "for a while", "at last"]
CONJUNCTIONS = ["and", "but", "because", "while", "so", "when", "until", "although"]
OBJECT_PRONOUNS = {"he": "him", "she": "her", "they": "them", "we": "us", "i": "me", "you": "you"}

VOCABULARY = sorted(
    set(NOUNS) | set(ADJECTIVES) | set(NAMES) | set(TRANSITIVE.values()) | set(INTRANSITIVE.values())
    | set(ADVERBS) | set(PREPOSITIONS) | set(DETERMINERS) | set(PRONOUNS) | set(NUMBERS)
    | {w for t in TIMES for w in t.split()} | set(CONJUNCTIONS) | set(OBJECT_PRONOUNS.values())
    | {"there", "was", "were", "many"}
)
"""Every word a generated sentence can contain."""


def _pick(rng: np.random.Generator, words) -> str:
    return words[int(rng.integers(len(words)))]


def noun_phrase(rng: np.random.Generator, plural_ok: bool = True) -> list[str]:
    """``[det] [adj] noun``, a name, or a number and plural noun."""
    roll = rng.random()
    if roll < 0.15:
        return [_pick(rng, NAMES)]
    if roll < 0.22 and plural_ok:
        return [_pick(rng, NUMBERS), _plural(_pick(rng, NOUNS))]
    det = _pick(rng, DETERMINERS)
    adjective = [_pick(rng, ADJECTIVES)] if rng.random() < 0.5 else []
    noun = _pick(rng, NOUNS)
    if det == "a" and (adjective or [noun])[0][0] in "aeiou":
        det = "the"
    return [det, *adjective, noun]


def _plural(noun: str) -> str:
    irregular = {"child": "children", "woman": "women", "sheep": "sheep", "fish": "fish",
                 "knife": "knives", "wolf": "wolves", "cattle": "cattle", "lady": "ladies",
                 "baby": "babies", "city": "cities", "country": "countries", "army": "armies",
                 "library": "libraries", "cherry": "cherries", "fox": "foxes", "glass": "glasses",
                 "princess": "princesses", "church": "churches", "branch": "branches",
                 "monkey": "monkeys", "valley": "valleys"}
    return irregular.get(noun, noun + "s")


def clause(rng: np.random.Generator) -> list[str]:
    """One clause of 2 to about 9 words."""
    subject = [_pick(rng, PRONOUNS)] if rng.random() < 0.25 else noun_phrase(rng, plural_ok=False)
    roll = rng.random()
    if roll < 0.45:
        words = [*subject, _pick(rng, list(TRANSITIVE.values())), *noun_phrase(rng)]
        if rng.random() < 0.4:
            words += [_pick(rng, PREPOSITIONS), *noun_phrase(rng)]
    elif roll < 0.75:
        words = [*subject, _pick(rng, list(INTRANSITIVE.values()))]
        extra = rng.random()
        if extra < 0.4:
            words += [_pick(rng, PREPOSITIONS), *noun_phrase(rng)]
        elif extra < 0.7:
            words.append(_pick(rng, ADVERBS))
    elif roll < 0.85:
        words = ["there", "was", *noun_phrase(rng, plural_ok=False), _pick(rng, PREPOSITIONS),
                 *noun_phrase(rng)]
    else:
        pronoun = _pick(rng, PRONOUNS)
        words = [*subject, _pick(rng, list(TRANSITIVE.values())), OBJECT_PRONOUNS[pronoun],
                 _pick(rng, ADVERBS)]
    if rng.random() < 0.15:
        words += _pick(rng, TIMES).split()
    return words


def sentence(rng: np.random.Generator, max_words: int = 18) -> list[str]:
    """1 to 3 clauses joined by conjunctions, at most ``max_words`` words (a clause is never cut)."""
    words = clause(rng)
    for _ in range(int(rng.choice([0, 0, 1, 1, 2]))):
        more = [_pick(rng, CONJUNCTIONS), *clause(rng)]
        if len(words) + len(more) > max_words:
            break
        words += more
    return words


def sentence_with(rng: np.random.Generator, term: list[str], max_words: int = 18) -> list[str]:
    """A sentence that contains the words of ``term`` in a row (a noun, or adjective and noun)."""
    words = sentence(rng, max_words - len(term) - 2)
    nouns = [i for i, w in enumerate(words) if w in NOUNS]
    if nouns:
        i = nouns[int(rng.integers(len(nouns)))]
        start = i - 1 if i > 0 and words[i - 1] in ADJECTIVES else i
        return [*words[:start], *term, *words[i + 1:]]
    return [*words, _pick(rng, PREPOSITIONS), "the", *term]


def transcript(words: list[str]) -> str:
    """LibriSpeech form: ``"THE OLD FARMER SANG"``."""
    return " ".join(words).upper()

"""English sentences from a small grammar, for the synthetic content corpora.

Narrative sentences in the style of read books ("the old farmer carried a heavy
basket to the market and mary waited near the bridge"): clauses of 2 to 9 words
joined by conjunctions, over a vocabulary of 421 words (:data:`VOCABULARY`) plus
the plurals of the nouns. :data:`COMMON` is the same grammar over about 120 frequent
words (the synthetic LibriSpeech: a vocabulary a small CTC head learns in minutes).
Everything is written here; no outside text is used. Sentences are lists of
lowercase words; :func:`transcript` gives the LibriSpeech form (upper case, no
punctuation).
"""

from __future__ import annotations

from dataclasses import dataclass

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



@dataclass(frozen=True)
class Grammar:
    """The open word classes a sentence is drawn from (verbs as past forms)."""

    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    names: tuple[str, ...]
    transitive: tuple[str, ...]
    intransitive: tuple[str, ...]
    adverbs: tuple[str, ...]
    numbers: tuple[str, ...]
    times: tuple[str, ...]

    @property
    def vocabulary(self) -> list[str]:
        """Every word a sentence of this grammar can contain, plurals of nouns aside."""
        return sorted(set(self.nouns) | set(self.adjectives) | set(self.names) | set(self.transitive)
                      | set(self.intransitive) | set(self.adverbs) | set(self.numbers)
                      | {w for t in self.times for w in t.split()} | set(PREPOSITIONS) | set(DETERMINERS)
                      | set(PRONOUNS) | set(CONJUNCTIONS) | set(OBJECT_PRONOUNS.values())
                      | {"there", "was", "were", "many"})


FULL = Grammar(tuple(NOUNS), tuple(ADJECTIVES), tuple(NAMES), tuple(TRANSITIVE.values()),
               tuple(INTRANSITIVE.values()), tuple(ADVERBS), tuple(NUMBERS), tuple(TIMES))
COMMON = Grammar(
    nouns=tuple("""boy girl man woman child king queen dog horse bird house door road river tree
    water fire bread book letter ship town city garden field hill sun moon night day
    mother father friend teacher farmer""".split()),
    adjectives=tuple("old young little big good small long dark cold warm happy poor".split()),
    names=tuple("mary john anna peter".split()),
    transitive=("saw", "found", "took", "gave", "made", "heard", "kept", "brought", "left", "held"),
    intransitive=("ran", "sat", "slept", "walked", "waited", "sang", "laughed", "stood"),
    adverbs=tuple("again slowly quickly soon often".split()),
    numbers=tuple("two three four five ten".split()),
    times=("at night", "the next day", "at last"),
)
"""A small grammar of frequent words (the synthetic LibriSpeech)."""

VOCABULARY = FULL.vocabulary
"""Every word a generated sentence of the full grammar can contain."""


def _pick(rng: np.random.Generator, words) -> str:
    return words[int(rng.integers(len(words)))]


def noun_phrase(rng: np.random.Generator, plural_ok: bool = True, grammar: Grammar = FULL) -> list[str]:
    """``[det] [adj] noun``, a name, or a number and plural noun."""
    roll = rng.random()
    if roll < 0.15:
        return [_pick(rng, grammar.names)]
    if roll < 0.22 and plural_ok:
        return [_pick(rng, grammar.numbers), _plural(_pick(rng, grammar.nouns))]
    det = _pick(rng, DETERMINERS)
    adjective = [_pick(rng, grammar.adjectives)] if rng.random() < 0.5 else []
    noun = _pick(rng, grammar.nouns)
    if det == "a" and (adjective or [noun])[0][0] in "aeiou":
        det = "the"
    return [det, *adjective, noun]


def _plural(noun: str) -> str:
    irregular = {"child": "children", "man": "men", "woman": "women", "sheep": "sheep", "fish": "fish",
                 "knife": "knives", "wolf": "wolves", "cattle": "cattle", "lady": "ladies",
                 "baby": "babies", "city": "cities", "country": "countries", "army": "armies",
                 "library": "libraries", "cherry": "cherries", "fox": "foxes", "glass": "glasses",
                 "princess": "princesses", "church": "churches", "branch": "branches",
                 "monkey": "monkeys", "valley": "valleys"}
    return irregular.get(noun, noun + "s")


def clause(rng: np.random.Generator, grammar: Grammar = FULL) -> list[str]:
    """One clause of 2 to about 9 words."""
    subject = [_pick(rng, PRONOUNS)] if rng.random() < 0.25 else noun_phrase(rng, False, grammar)
    roll = rng.random()
    if roll < 0.45:
        words = [*subject, _pick(rng, grammar.transitive), *noun_phrase(rng, True, grammar)]
        if rng.random() < 0.4:
            words += [_pick(rng, PREPOSITIONS), *noun_phrase(rng, True, grammar)]
    elif roll < 0.75:
        words = [*subject, _pick(rng, grammar.intransitive)]
        extra = rng.random()
        if extra < 0.4:
            words += [_pick(rng, PREPOSITIONS), *noun_phrase(rng, True, grammar)]
        elif extra < 0.7:
            words.append(_pick(rng, grammar.adverbs))
    elif roll < 0.85:
        words = ["there", "was", *noun_phrase(rng, False, grammar), _pick(rng, PREPOSITIONS),
                 *noun_phrase(rng, True, grammar)]
    else:
        pronoun = _pick(rng, PRONOUNS)
        words = [*subject, _pick(rng, grammar.transitive), OBJECT_PRONOUNS[pronoun],
                 _pick(rng, grammar.adverbs)]
    if rng.random() < 0.15:
        words += _pick(rng, grammar.times).split()
    return words


def sentence(rng: np.random.Generator, max_words: int = 18, grammar: Grammar = FULL) -> list[str]:
    """1 to 3 clauses joined by conjunctions, at most ``max_words`` words (a clause is never cut)."""
    words = clause(rng, grammar)
    for _ in range(int(rng.choice([0, 0, 1, 1, 2]))):
        more = [_pick(rng, CONJUNCTIONS), *clause(rng, grammar)]
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

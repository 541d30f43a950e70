"""Spoken requests to a voice assistant with their slots, for the synthetic Audio SNIPS corpus.

Templates for SNIPS's seven intents (play music, weather, restaurant booking, add to a
playlist, rate a book, find a creative work, find a screening), each a string of plain
words and slots ``{type}`` (SNIPS's slot type names) filled from :data:`VALUES`: cities,
states, countries, dates and times, artists, restaurants, dishes, numbers, titles.
A request is annotated by construction: every word carries its slot type or ``"O"``.
Everything is written here; no outside text is used.
"""

from __future__ import annotations

import numpy as np

OUTSIDE = "O"

_VALUES = {
    "city": "boston|chicago|denver|seattle|houston|phoenix|atlanta|dallas|portland|detroit|new york|los angeles|"
            "san francisco|las vegas|new orleans|paris|london|berlin|madrid|rome|tokyo|sydney|dublin|toronto|"
            "vienna|oslo|lisbon|cairo|mexico city|buenos aires",
    "state": "texas|ohio|oregon|florida|nevada|utah|georgia|maine|vermont|alaska|montana|kansas|arizona|"
             "new mexico|north carolina|south dakota",
    "country": "france|spain|japan|canada|mexico|brazil|italy|norway|egypt|kenya|india|chile|peru|sweden|"
               "poland|ireland",
    "timeRange": "tomorrow|tonight|this weekend|next week|on monday|on friday|this evening|next month|at noon|"
                 "in two hours|on christmas day|the day after tomorrow|next tuesday|at seven pm|"
                 "in the morning|on june third|on march twelfth|at midnight|in ten minutes|on sunday afternoon",
    "condition_temperature": "hot|cold|warm|freezing|chilly|humid",
    "condition_description": "rain|snow|fog|sunshine|thunder|hail|wind|storms",
    "artist": "john baker|the silver lines|maria lopez|dj kato|anna bell|the night owls|peter stone|"
              "lucy grant|the river band|sam cooper|nina west|the blue hearts|oscar reyes|emma frost|"
              "jack hunter|the paper kites|ray charles young|lily moon|max turner|the old timers",
    "music_item": "song|track|album|tune|record|single",
    "service": "spotify|deezer|youtube|pandora|itunes|last fm|groove shark",
    "playlist": "road trip|morning coffee|workout hits|chill evening|study time|summer party|rainy day|"
                "sleep sounds|indie mix|dinner jazz|throwback classics|running songs",
    "year": "nineteen eighty|nineteen ninety five|two thousand|two thousand ten|the sixties|the eighties",
    "restaurant_name": "golden dragon|blue river cafe|the olive tree|mama rosa's|the green lantern|"
                       "silver spoon|red barn grill|the hungry fox|lucky star diner|casa bella|"
                       "the copper pot|harbor house|little saigon|the salty dog",
    "restaurant_type": "restaurant|bar|cafe|pub|diner|bistro|steak house|brasserie|tavern",
    "served_dish": "pizza|sushi|pasta|tacos|curry|burgers|noodles|fried chicken|salad|dumplings",
    "spatial_relation": "nearest|closest|close by|nearby",
    "party_size_number": "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve",
    "rating_value": "zero|one|two|three|four|five|six",
    "best_rating": "five|six|ten",
    "rating_unit": "stars|points",
    "object_select": "this|current|the current",
    "object_type": "book|novel|textbook|saga|song|movie|album|tv show|video game|painting|soundtrack",
    "object_name": "the silent river|a winter journey|the last garden|city of glass|the iron bridge|"
                   "songs of the sea|the lost letter|a house of cards|the quiet hour|midnight in june|"
                   "the red notebook|far from home|the tin soldier|seven small stones|the open door",
    "movie_name": "the long night|return of the tide|the secret lake|cold summer|the glass tower|"
                  "blue horizon|the last train home|dark water|the paper moon|northern lights",
    "location_name": "sunset cinema|regal theater|star movies|grand plaza cinema|downtown theater|"
                     "the palace|harbor cinemas|the majestic",
    "movie_type": "animated movies|horror films|comedies|documentaries|action movies|love stories",
}
VALUES: dict[str, tuple[str, ...]] = {t: tuple(v.split("|")) for t, v in _VALUES.items()}
"""Slot type to its values (lower case words)."""

TEMPLATES: dict[str, tuple[str, ...]] = {
    "PlayMusic": (
        "play {artist}", "play some {music_item} by {artist}", "play {artist} on {service}",
        "i want to hear a {music_item} from {year}", "put on some music from {year} on {service}",
        "can you play my {playlist} playlist",
    ),
    "GetWeather": (
        "what is the weather in {city} {timeRange}", "will it be {condition_temperature} in {state} {timeRange}",
        "is there going to be {condition_description} in {city}", "tell me the forecast for {country} {timeRange}",
        "how {condition_temperature} will it be in {city} {timeRange}",
    ),
    "BookRestaurant": (
        "book a table for {party_size_number} at {restaurant_name}",
        "reserve a {restaurant_type} in {city} for {party_size_number} people {timeRange}",
        "i need a table at a {restaurant_type} that serves {served_dish} {timeRange}",
        "book {restaurant_name} in {state} for {party_size_number}",
        "find the {spatial_relation} {restaurant_type} that serves {served_dish}",
    ),
    "AddToPlaylist": (
        "add {artist} to my {playlist} playlist", "add this {music_item} to {playlist}",
        "put the {music_item} by {artist} on my {playlist} list",
    ),
    "RateBook": (
        "rate {object_name} {rating_value} out of {best_rating}",
        "give {object_select} {object_type} {rating_value} {rating_unit}",
        "i would give {object_name} {rating_value} {rating_unit}",
    ),
    "SearchCreativeWork": (
        "find the {object_type} called {object_name}", "show me the {object_type} {object_name}",
        "i am looking for a {object_type} named {object_name}",
    ),
    "SearchScreeningEvent": (
        "when is {movie_name} playing at {location_name}", "find movie times for {movie_name} {timeRange}",
        "which {movie_type} are showing in {city} {timeRange}", "what is playing at {location_name} {timeRange}",
    ),
}
"""Intent to its phrasings; ``{type}`` is a slot filled from :data:`VALUES`."""


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def request(rng: np.random.Generator) -> tuple[str, list[tuple[str, str]]]:
    """A random request: ``(intent, [(word, slot type or "O"), ...])``, words in lower case."""
    intent = _pick(rng, sorted(TEMPLATES))
    words: list[tuple[str, str]] = []
    for part in _pick(rng, TEMPLATES[intent]).split():
        if part.startswith("{"):
            slot_type = part[1:-1]
            words += [(word, slot_type) for word in _pick(rng, VALUES[slot_type]).split()]
        else:
            words.append((part, OUTSIDE))
    return intent, words

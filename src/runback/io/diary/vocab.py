"""The diary's columns and words: the contract's vocabulary, the accepted aliases and
the limits of a diary file."""

from __future__ import annotations

#: Columns of a new diary file, in the order the contract gives them.
DIARY_COLUMNS = ("date", "pain", "location", "pain_type", "timing", "sleep_hours", "stress",
                 "interventions", "red_flags", "notes")
#: Every column the reader understands (the contract's plus the ``flare`` extension).
KNOWN_COLUMNS = (*DIARY_COLUMNS, "flare")
#: Earliest year a diary date may have; earlier ones are typos (``0025``).
MIN_YEAR = 1900
#: Largest diary file read: decades of daily rows are a few megabytes. [byte]
MAX_DIARY_BYTES = 64 * 2**20

LOCATIONS = ("lower", "mid", "upper")
PAIN_TYPES = ("spasm", "radiating", "ache", "stiffness")
TIMINGS = ("morning", "during_run", "after_run", "rest")
INTERVENTIONS = ("massage", "stretching", "foam_roller", "ice", "heat", "yoga", "core",
                 "strength", "rest", "chiro", "physio", "nsaid")
RED_FLAGS = ("bladder_bowel", "saddle_numbness", "leg_weakness", "both_legs", "fever",
             "weight_loss", "trauma", "night_pain", "cancer_history")

#: Header spellings accepted for the canonical column names (after lower-casing and turning
#: spaces and hyphens into underscores).
HEADER_ALIASES = {
    "day": "date",
    "nrs": "pain",
    "pain_nrs": "pain",
    "pain_score": "pain",
    "score": "pain",
    "type": "pain_type",
    "where": "location",
    "when": "timing",
    "sleep": "sleep_hours",
    "sleep_h": "sleep_hours",
    "intervention": "interventions",
    "treatment": "interventions",
    "treatments": "interventions",
    "red_flag": "red_flags",
    "redflags": "red_flags",
    "note": "notes",
    "comment": "notes",
    "comments": "notes",
    "flare_up": "flare",
    "flareup": "flare",
}

#: Word spellings accepted per field (after the same normalisation as the headers).
WORD_ALIASES = {
    "location": {"low": "lower", "lumbar": "lower", "lower_back": "lower", "middle": "mid",
                 "thoracic": "mid", "mid_back": "mid", "upper_back": "upper"},
    "pain_type": {"spasms": "spasm", "sciatic": "radiating", "sciatica": "radiating",
                  "aching": "ache", "stiff": "stiffness"},
    "timing": {"am": "morning", "during": "during_run", "run": "during_run",
               "after": "after_run", "post_run": "after_run", "resting": "rest"},
    "interventions": {"stretch": "stretching", "foam_rolling": "foam_roller",
                      "foam_roll": "foam_roller", "foamroller": "foam_roller",
                      "chiropractor": "chiro", "physiotherapy": "physio",
                      "physical_therapy": "physio", "ibuprofen": "nsaid",
                      "naproxen": "nsaid", "nsaids": "nsaid"},
    "red_flags": {"incontinence": "bladder_bowel", "retention": "bladder_bowel",
                  "saddle_anaesthesia": "saddle_numbness", "saddle_anesthesia":
                  "saddle_numbness", "weakness": "leg_weakness", "bilateral": "both_legs",
                  "bilateral_sciatica": "both_legs", "fall": "trauma", "accident": "trauma",
                  "cancer": "cancer_history"},
}

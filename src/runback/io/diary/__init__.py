"""Read and append to the pain diary, a small CSV file the runner keeps by hand.

The format is the one in ``docs/cli-contract.md``: a header is required, only ``date``
and ``pain`` are mandatory, and a day may have several rows::

    date,pain,location,pain_type,timing,sleep_hours,stress,interventions,red_flags,notes
    2025-03-04,2,lower,stiffness,morning,7.5,3,stretching;foam_roller,,
    2025-03-05,6,lower,spasm,during_run,6.0,5,,,"locked up at km 8"

Extensions of the contract, all optional:

- a ``flare`` column: ``yes``, ``y``, ``1`` or ``true`` marks a day the runner calls a
  flare-up (``no``, ``n``, ``0``, ``false`` or blank do not);
- a time after the date (``2025-03-04 07:30``) is accepted and ignored;
- header names are matched without regard to case, spaces or hyphens, and the aliases in
  :data:`HEADER_ALIASES` are accepted (``nrs`` for ``pain``, ``sleep`` for ``sleep_hours``);
- words are matched the same way, with the aliases in :data:`WORD_ALIASES`
  (``foam roller`` is ``foam_roller``, ``lumbar`` is ``lower``);
- ``;``- and tab-separated files (as spreadsheets in many locales save them), a UTF-8 byte
  order mark, CRLF line ends and a decimal comma in ``;`` files are accepted;
- list fields (interventions, red_flags) may be separated by ``;``, ``,`` or ``|`` inside
  the field;
- other columns are ignored by the reader and kept by :func:`append_entry`.

Problems are reported line by line, never fatal for the rest of the file. A row whose date
or pain cannot be used, or whose quoting is broken, is left out. A row with an unknown word
in a descriptive field (location, pain type, timing, interventions, red flags) or an
impossible sleep or stress value keeps its date and pain, and only that field is left
blank: a typo in a descriptive word must not turn a logged day into a "not logged" one,
which would change the flare-up analysis. Either way the problem is listed with its line.
Dates must be ``YYYY-MM-DD``: ``04/03/2025`` is refused because it reads as 4 March or
3 April depending on the country.

Modules
-------
vocab   the columns, words, aliases and limits of a diary
parse   decoding, delimiter, records, header and the check of each row
reader  :func:`read_diary` and :class:`DiaryResult`
writer  :func:`append_entry`, :func:`save_entry`, :func:`check_entry`, :func:`row_keys`
"""

from runback.io.diary.reader import DiaryResult, read_diary
from runback.io.diary.vocab import (
    DIARY_COLUMNS,
    HEADER_ALIASES,
    INTERVENTIONS,
    LOCATIONS,
    PAIN_TYPES,
    RED_FLAGS,
    TIMINGS,
    WORD_ALIASES,
)
from runback.io.diary.vocab import KNOWN_COLUMNS as KNOWN_COLUMNS
from runback.io.diary.vocab import MAX_DIARY_BYTES as MAX_DIARY_BYTES
from runback.io.diary.vocab import MIN_YEAR as MIN_YEAR
from runback.io.diary.writer import append_entry, check_entry, row_keys, save_entry

__all__ = [
    "DiaryResult",
    "read_diary",
    "append_entry",
    "save_entry",
    "check_entry",
    "row_keys",
    "DIARY_COLUMNS",
    "LOCATIONS",
    "PAIN_TYPES",
    "TIMINGS",
    "INTERVENTIONS",
    "RED_FLAGS",
    "HEADER_ALIASES",
    "WORD_ALIASES",
]

"""Write locale/fr: the French plural forms of our own (French) messages.

Message ids are French, so French needs no translation, except for plurals:
gettext picks between the two ids of a message it does not know with the
English rule (n != 1), which writes "0 ont été" where French says
"0 a été". This catalogue lists each plural message with the French rule
(n > 1). `make messages` rewrites it; `check_translations.py --fr` checks it.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "locale/en/LC_MESSAGES/django.po"
FRENCH = ROOT / "locale/fr/LC_MESSAGES/django.po"


def french_catalogue() -> polib.POFile:
    french = polib.POFile(wrapwidth=0)
    french.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "fr",
        "Plural-Forms": "nplurals=2; plural=(n > 1);",
    }
    for entry in polib.pofile(str(ENGLISH)):
        if entry.msgid_plural and not entry.obsolete:
            french.append(
                polib.POEntry(
                    msgctxt=entry.msgctxt,
                    msgid=entry.msgid,
                    msgid_plural=entry.msgid_plural,
                    msgstr_plural={0: entry.msgid, 1: entry.msgid_plural},
                    flags=[flag for flag in entry.flags if flag.endswith("-format")],
                )
            )
    return french


def main() -> int:
    expected = str(french_catalogue())
    if "--check" in sys.argv:
        if not FRENCH.exists() or FRENCH.read_text(encoding="utf-8") != expected:
            print("locale/fr est périmé : lancez `make messages`.", file=sys.stderr)
            return 1
        return 0
    FRENCH.parent.mkdir(parents=True, exist_ok=True)
    FRENCH.write_text(expected, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

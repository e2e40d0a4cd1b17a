#!/usr/bin/env bash
# Bring the message catalogs up to date with the code: re-extract every user-facing string from
# evalapp/ and templates/, merge the template into the vi and en catalogs, compile them.
#
# Run it after adding or changing a string, then fill in each new empty msgstr in
# evalapp/translations/vi/LC_MESSAGES/messages.po (Vietnamese, the default locale, must be
# complete: tests/test_translations.py fails otherwise). English msgstr may stay empty; the
# English msgid is shown.
#
# Extraction options are repeated in tests/test_translations.py; keep the two in step.
set -euo pipefail
cd "$(dirname "$0")/.."

pybabel=.venv/bin/pybabel
catalogs=evalapp/translations
pot=$catalogs/messages.pot
locales=(vi en)

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# Only evalapp/ and templates/ are scanned (never .venv/); patterns are in babel.cfg.
"$pybabel" -q extract -F babel.cfg \
  -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
  --sort-output --add-location file \
  --project evalapp --copyright-holder "evalapp contributors" \
  -o "$tmp" evalapp templates

# The template carries its creation time; keep the committed file unchanged when nothing else
# changed, so that re-running this script on an unchanged tree changes no file.
strip_date() { grep -v '^"POT-Creation-Date: ' "$1"; }
if [ ! -f "$pot" ] || ! cmp -s <(strip_date "$pot") <(strip_date "$tmp"); then
  cp "$tmp" "$pot"
fi

for locale in "${locales[@]}"; do
  # No fuzzy matching: a changed string shows up untranslated instead of silently carrying a
  # translation of the old wording. Obsolete entries are dropped (git keeps them).
  "$pybabel" -q update -i "$pot" -d "$catalogs" -l "$locale" \
    --init-missing --no-fuzzy-matching --ignore-obsolete
done

"$pybabel" -q compile -d "$catalogs" -f

# List what still needs a Vietnamese translation.
.venv/bin/python - "$catalogs/vi/LC_MESSAGES/messages.po" <<'EOF'
import sys

from babel.messages.pofile import read_po

with open(sys.argv[1], "rb") as handle:
    catalog = read_po(handle)


def needs_work(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return message.fuzzy or not all(strings)


missing = [m.id for m in catalog if m.id and needs_work(m)]
if missing:
    print(f"{len(missing)} message(s) need a Vietnamese translation in {sys.argv[1]}:")
    for msgid in missing:
        print("  ", msgid if isinstance(msgid, str) else msgid[0])
EOF

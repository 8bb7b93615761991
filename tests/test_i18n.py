"""Dutch first, English second: the English catalogue covers every text."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]


def test_english_catalogue_is_complete_and_keeps_placeholders():
    with (ROOT / "platform/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    with (ROOT / "platform/translations/messages.pot").open("rb") as f:
        template = read_po(f)
    missing = [m.id for m in template if m.id and catalog.get(m.id, context=m.context) is None]
    assert missing == [], "run `make messages` and translate"
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    import re

    for message in catalog:
        if message.id and isinstance(message.id, str):
            assert sorted(re.findall(r"%\(\w+\)\w", message.id)) == sorted(
                re.findall(r"%\(\w+\)\w", message.string)
            ), message.id


def test_template_is_up_to_date_with_the_code(tmp_path):
    """Every text in the code is in messages.pot (else it could never be translated)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for folder in ("platform", "tenants", "bids", "contracts", "templates"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / folder,
            [(p.split("/", 1)[1] if p.startswith(folder + "/") else p, m) for p, m in method_map],
            options_map,
            keywords={
                "_": None,
                "gettext": None,
                "_l": None,
                "lazy_gettext": None,
                "ngettext": (1, 2),
                "pgettext": ((1, "c"), 2),
                "lazy_pgettext": ((1, "c"), 2),
            },
        ):
            found.add(message if isinstance(message, str) else message[0])
    with (ROOT / "platform/translations/messages.pot").open("rb") as f:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert sorted(found - known) == [], "run `make messages` and translate the new texts"

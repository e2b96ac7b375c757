"""Give each card its picture, by rule, editing the `image:` lines of cards/*.yaml in place.

- A card that teaches a timeline event (EVENTS in tools/timeline.py) shows its own
  timeline: image: timeline-<card id>.svg.
- Any other card whose question or answer (front, back, cloze, extra; not the notes) names
  a place of tools/map.py shows that place's map; if it names several, the one it names
  first. Cards with a hand-chosen image of another kind keep it.
- A timeline or map image that no longer fits the rule is removed.

Run from anywhere, after the card texts or EVENTS change, then regenerate and check:

    python3 tools/assign_images.py          # rewrites cards/*.yaml; prints what changed
    python3 tools/assign_images.py --check  # changes nothing; exit 1 if anything would

Only the `image:` lines change; comments, order and the rest of the text stay as they are.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import yaml

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
GENERATED = re.compile(r"^(timeline(-[a-z0-9-]+)?|map-[a-z0-9-]+)\.svg$")
# Cards that name a place only in passing, where its map would not help (review of the
# second edition): the airline card names Xinjiang only to set the other companies apart.
NO_MAP = {
    "joint-company-aviation",
    # Set in Moscow, but asking who, when or what: the place is no part of the answer.
    "stalin-first-position", "stalin-agrees-new-treaty", "negotiators", "mao-moscow-length",
    "acheson-soviet-pressure", "loan-prehistory", "liu-shaoqi-role", "mao-trips-dates",
    "misconception-liu-negotiated", "misconception-mao-arrival-12-december",
    "misconception-mao-until-march",  # retired: its notice names Moscow
    "negotiations-where-when", "projects-largest-batch", "khrushchev-1959-route",
    # Beijing, Korea or Manchuria named only as the setting of a question about who or what.
    "kosygin-1965-destination", "kosygin-zhou-1969-airport", "yalta-concurrence",
    "un-boycott-veto",
}
# Cards that ask about a place without naming it (the name would give away another card's
# answer), with the map that shows it.
MAP_FOR = {"zhenbao-location": "zhenbao-island", "zhenbao-how-it-began": "zhenbao-island"}


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(f"_{name}_tool", TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building
    spec.loader.exec_module(module)
    return module


timeline = _tool("timeline")
maps = _tool("map")


def wanted_image(card: dict, event_cards: set[str]) -> str | None:
    """The picture the rule gives ``card`` (its current image if it is not a generated one)."""
    if card["id"] in event_cards:
        return timeline.image_name(card["id"])
    current = card.get("image")
    if current is not None and not GENERATED.match(current):
        return current
    if card["id"] in NO_MAP:
        return None
    if card["id"] in MAP_FOR:
        return maps.image_name(MAP_FOR[card["id"]])
    text = "\n".join(str(card[f]) for f in ("front", "back", "cloze", "extra") if f in card)
    found = [(at, index, place) for index, place in enumerate(maps.PLACES)
             if (at := maps.names_place(text, place)) is not None]
    return maps.image_name(min(found)[2].key) if found else None


def assign_file(path: Path, event_cards: set[str]) -> tuple[str, list[str]]:
    """The file's new text, and one line per change."""
    text = path.read_text("utf-8")
    data = yaml.safe_load(text) or {}
    cards = {card["id"]: card for card in data.get("cards", [])}
    lines = text.splitlines(keepends=True)
    starts = [(i, m.group(1), m.group(2)) for i, line in enumerate(lines)
              if (m := re.match(r"^(\s*)- id:\s*([a-z0-9-]+)\s*(#.*)?$", line))]
    missing = set(cards) - {card_id for _, _, card_id in starts}
    if missing:
        raise SystemExit(f"{path}: cards {sorted(missing)} do not start with '- id:'; "
                         "set their images by hand")
    changes = []
    # From the last card up, so earlier line numbers stay valid.
    for n in range(len(starts) - 1, -1, -1):
        first, indent, card_id = starts[n]
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        key = " " * (len(indent) + 2) + "image:"
        at = next((i for i in range(first + 1, end) if lines[i].startswith(key)), None)
        current = cards[card_id].get("image")
        wanted = wanted_image(cards[card_id], event_cards)
        if wanted == current:
            continue
        if current is not None and at is None:
            raise SystemExit(f"{path}: card {card_id}: no '{key.strip()}' line at the card's "
                             "own indentation; set its image by hand")
        changes.append(f"{path.name}: {card_id}: {current or '-'} -> {wanted or '-'}")
        if wanted is None:
            assert at is not None  # a card with no image line needs none removed
            del lines[at]
        elif at is None:  # before the card's sources, where the other cards have it
            sources = " " * (len(indent) + 2) + "sources:"
            before = next((i for i in range(first + 1, end) if lines[i].startswith(sources)),
                          first + 1)
            lines.insert(before, f"{key} {wanted}\n")
        else:
            lines[at] = f"{key} {wanted}\n"
    return "".join(lines), sorted(changes)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    event_cards = {event.card for event in timeline.EVENTS}
    all_changes = []
    for path in sorted((ROOT / "cards").glob("*.yaml")):
        if path.name == "deck.yaml":
            continue
        new_text, changes = assign_file(path, event_cards)
        all_changes += changes
        if changes and not check:
            path.write_text(new_text, "utf-8", newline="\n")
    print("\n".join(all_changes) or "no changes")
    return 1 if check and all_changes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

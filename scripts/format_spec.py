"""Write tool spec JSON in the repository's style: a container stays on one line when it fits in 120 columns.

    python scripts/format_spec.py tool_specs/teams/CAL_PATCH_TEAM_DETAILS_BY_ID.json [...]   # rewrite in place
    python scripts/format_spec.py --check tool_specs/*/*.json                                # exit 1 on a change
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

WIDTH = 120


def render(value: Any, indent: int = 0, key_width: int = 0) -> str:
    inline = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or indent + key_width + len(inline) + 1 <= WIDTH:
        return inline
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            head = json.dumps(key, ensure_ascii=False) + ": "
            items.append(pad + head + render(item, indent + 2, len(head)))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return "[\n" + ",\n".join(pad + render(item, indent + 2) for item in value) + "\n" + " " * indent + "]"


def format_text(text: str) -> str:
    return render(json.loads(text)) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    changed = []
    for name in (a for a in argv if a != "--check"):
        path = Path(name)
        old = path.read_text(encoding="utf-8")
        new = format_text(old)
        if new != old:
            changed.append(name)
            if not check:
                path.write_text(new, encoding="utf-8")
    for name in changed:
        print(("would reformat " if check else "reformatted ") + name, file=sys.stderr)
    return 1 if check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

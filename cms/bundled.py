"""Files shipped with cms (fixtures, the schema and its example operations), found the same
way in a wheel and in a source checkout."""

from __future__ import annotations

from pathlib import Path

import cms

_PACKAGE = Path(cms.__file__).resolve().parent


def bundled(name: str) -> Path:
    """The bundled top-level directory ``name`` (``fixtures`` or ``schema``).

    A wheel carries it inside the package (``cms/_bundled/<name>``, by the build backend's
    force-include); a source checkout or editable install reads the top-level one.
    """
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the bundled {name}/ directory is missing from this installation")


def operations() -> dict[str, str]:
    """The example operations of ``schema/operations/``, by name."""
    folder = bundled("schema") / "operations"
    return {
        path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.graphql"))
    }

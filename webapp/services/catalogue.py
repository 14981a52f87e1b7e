"""The mission catalogue: load and validate data files, upsert by slug, export."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from ..domain.errors import Invalid, NotFound
from ..domain.mission_rules import MissionInvalid, check_mission, check_recipe, load_yaml
from ..extensions import db
from ..models import Mission, Recipe
from ..models.catalogue import MISSION_CONTENT_FIELDS

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"


class CatalogueFileError(Invalid):
    """A data file that is not valid YAML, or whose missions or recipes break the rules."""


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    slugs: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@functools.cache
def nice_vocabulary(seed_dir: Path = SEED_DIR) -> dict[str, str]:
    """The NICE work roles the catalogue may cite (shipped, read-only data: read once per process; parsing the
    YAML took longer than the rest of the mission page)."""
    return dict(_read_vocabulary(Path(seed_dir)))


@functools.lru_cache(maxsize=8)
def _read_vocabulary(seed_dir: Path) -> dict[str, str]:
    return load_yaml((seed_dir / "vocabulary.yaml").read_text(encoding="utf-8"))["nice_roles"]


def _read_yaml(path: Path):
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueFileError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise CatalogueFileError(f"{path}: cannot be read: {exc.strerror}") from exc


def read_missions(path: Path, roles: dict[str, str] | None = None) -> list[dict]:
    """Validate every mission in a file or folder (a file may hold one mission or a list).

    All problems of all files are reported together; nothing is returned unless everything is valid.
    """
    roles = roles if roles is not None else nice_vocabulary()
    path = Path(path)
    if not path.exists():
        raise CatalogueFileError(f"{path}: no such file or folder")
    files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path]
    missions, problems, seen = [], [], {}
    for file in files:
        data = _read_yaml(file) if file.exists() else None
        entries = data if isinstance(data, list) else [data]
        for entry in entries:
            try:
                mission = check_mission(entry, roles)
            except MissionInvalid as exc:
                problems.append(exc.with_source(str(file)).message)
                continue
            if mission["slug"] in seen:
                problems.append(f"{file}: mission '{mission['slug']}': slug: duplicate of the mission in {seen[mission['slug']]}")
                continue
            seen[mission["slug"]] = file
            missions.append(mission)
    if problems:
        raise CatalogueFileError("\n".join(problems))
    return missions


def read_recipes(path: Path) -> list[dict]:
    data = _read_yaml(Path(path))
    if not isinstance(data, list):
        raise CatalogueFileError(f"{path}: must hold a list of recipes")
    recipes, problems, seen = [], [], set()
    for entry in data:
        try:
            recipe = check_recipe(entry)
        except Invalid as exc:
            problems.append(f"{path}: {exc.message}")
            continue
        if recipe["slug"] in seen:
            problems.append(f"{path}: recipe '{recipe['slug']}': slug: duplicate")
        seen.add(recipe["slug"])
        recipes.append(recipe)
    if problems:
        raise CatalogueFileError("\n".join(problems))
    return recipes


def upsert_missions(missions: list[dict], *, commit: bool = True) -> UpsertResult:
    result = UpsertResult()
    existing = {m.slug: m for m in db.session.scalars(
        select(Mission).where(Mission.slug.in_([m["slug"] for m in missions])))}
    for data in missions:
        row = existing.get(data["slug"])
        result.slugs.append(data["slug"])
        if row is None:
            db.session.add(Mission(slug=data["slug"], **{f: data[f] for f in MISSION_CONTENT_FIELDS}))
            result.created += 1
            continue
        changed = {f: data[f] for f in MISSION_CONTENT_FIELDS if getattr(row, f) != data[f]}
        if not changed:
            result.unchanged += 1
            continue
        for name, value in changed.items():
            setattr(row, name, value)
        row.version += 1
        result.updated += 1
    if commit:
        db.session.commit()
    return result


def upsert_recipes(recipes: list[dict], *, commit: bool = True) -> UpsertResult:
    result = UpsertResult()
    existing = {r.slug: r for r in db.session.scalars(select(Recipe))}
    fields = ("title", "track", "summary", "url", "body", "duration_minutes", "skill_tags")
    for data in recipes:
        row = existing.get(data["slug"])
        result.slugs.append(data["slug"])
        if row is None:
            db.session.add(Recipe(slug=data["slug"], **{f: data[f] for f in fields}))
            result.created += 1
        elif any(getattr(row, f) != data[f] for f in fields):
            for f in fields:
                setattr(row, f, data[f])
            result.updated += 1
        else:
            result.unchanged += 1
    if commit:
        db.session.commit()
    return result


def seed_catalogue(seed_dir: Path = SEED_DIR) -> tuple[UpsertResult, UpsertResult]:
    """Load the shipped missions and recipes in one transaction; idempotent (upsert by slug)."""
    missions = read_missions(seed_dir / "missions", nice_vocabulary(seed_dir))
    recipes = read_recipes(seed_dir / "recipes.yaml")
    try:
        m = upsert_missions(missions, commit=False)
        r = upsert_recipes(recipes, commit=False)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return m, r


def import_missions(path: Path) -> UpsertResult:
    missions = read_missions(Path(path))
    if not missions:
        raise CatalogueFileError(f"{path}: no missions found")
    try:
        return upsert_missions(missions)
    except Exception:
        db.session.rollback()
        raise


# libyaml's safe dumper when PyYAML was built with it (as its wheels are): YAML that reads back to the same missions
# (it breaks long strings without the pure-Python dumper's escapes), about eight times faster; mission_rules reads
# with libyaml's safe loader the same way.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def export_missions(path: Path) -> int:
    """Write every mission as <path>/<track>/<slug>.yaml, the format import reads."""
    path = Path(path)
    missions = db.session.scalars(select(Mission).order_by(Mission.track, Mission.slug)).all()
    for mission in missions:
        folder = path / mission.track
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{mission.slug}.yaml").write_text(
            yaml.dump(mission.content(), Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8")
    return len(missions)


def get_mission(slug: str, *, include_unpublished: bool = False) -> Mission:
    # No slug holds NUL, and PostgreSQL refuses it in a text parameter (a 500 instead of a 404).
    mission = None if "\x00" in slug else db.session.scalar(select(Mission).where(Mission.slug == slug))
    if mission is None or (not mission.is_published and not include_unpublished):
        raise NotFound(f"No mission '{slug}'.")
    return mission
